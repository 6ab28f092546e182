from ayon_server.addons import BaseServerAddon

from .studio_library import StudioClient


class BrokenImportAddon(BaseServerAddon):
    client = StudioClient
