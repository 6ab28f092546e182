name = "minimal"
title = "Minimal"
version = "1.0.0"
