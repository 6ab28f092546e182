name = "broken_hang"
version = "1.0.0"
