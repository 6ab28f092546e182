name = "endpoints"
title = "Endpoints"
version = "1.0.0"
