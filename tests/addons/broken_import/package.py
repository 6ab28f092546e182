name = "broken_import"
version = "1.0.0"
