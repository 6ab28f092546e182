name = "example"
title = "Example"
version = "1.0.0"
client_dir = "ayon_example"

services = {"worker": {"image": f"studio/example-worker:{version}"}}

ayon_required_addons = {}
ayon_compatible_addons = {}
