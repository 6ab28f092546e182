import time

from ayon_server.addons import BaseServerAddon

while True:  # an import that never finishes
    time.sleep(3600)


class BrokenHangAddon(BaseServerAddon):
    pass
