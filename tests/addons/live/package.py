name = "live"
title = "Live"
version = "1.0.0"
