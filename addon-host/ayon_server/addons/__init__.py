"""`BaseServerAddon`, the class every addon's server part subclasses, and `AddonLibrary`."""

from ayon_server.addons.addon import BaseServerAddon, EndpointRecord
from ayon_server.addons.library import AddonDefinition, AddonLibrary

__all__ = ["AddonDefinition", "AddonLibrary", "BaseServerAddon", "EndpointRecord"]
