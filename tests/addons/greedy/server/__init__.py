from ayon_server.addons import BaseServerAddon

hoard = []
while True:  # allocates until the host's memory limit stops it
    hoard.append(b"x" * (16 << 20))


class GreedyAddon(BaseServerAddon):
    pass
