"""`AddonLibrary`: the addons loaded in this process (in an export: the one being exported)."""

from typing import Any

import semver

from ayon_server import hostcontext


class AddonDefinition:
    """All loaded versions of one addon, by version string."""

    def __init__(self, name: str):
        self.name = name
        self.versions: dict[str, Any] = {}

    def get(self, version: str) -> Any:
        return self.versions.get(version)

    @property
    def latest(self) -> Any:
        def order(version: str):
            try:
                return (1, semver.VersionInfo.parse(version))
            except ValueError:
                return (0, version)

        return self.versions[max(self.versions, key=order)] if self.versions else None


class AddonLibrary:
    _instance: "AddonLibrary | None" = None

    def __init__(self) -> None:
        self.data: dict[str, AddonDefinition] = {}

    @classmethod
    def getinstance(cls) -> "AddonLibrary":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def register(self, addon: Any) -> None:
        self.data.setdefault(addon.name, AddonDefinition(addon.name)).versions[addon.version] = addon

    def get(self, name: str) -> AddonDefinition | None:
        return self.data.get(name)

    def addon(self, name: str, version: str) -> Any:
        definition = self.data.get(name)
        return definition.get(version) if definition else None

    @classmethod
    async def get_addon_versions_by_variant(cls, variant: str) -> dict[str, str]:
        hostcontext.require(f"the addon versions of the {variant} bundle")

    @classmethod
    async def get_enabled_addons(cls, variant: str = "production") -> dict[str, Any]:
        hostcontext.require(f"the addons of the {variant} bundle")
