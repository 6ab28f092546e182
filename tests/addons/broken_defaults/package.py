name = "broken_defaults"
version = "1.0.0"
