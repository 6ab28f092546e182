from ayon_server.addons import BaseServerAddon


class MinimalAddon(BaseServerAddon):
    pass
