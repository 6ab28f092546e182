"""`AddonLibrary`: the addons loaded in this process (in an export: the one being exported)."""

from typing import Any

import semver

from ayon_server import hostcontext, runtime


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
        """Addon name → version in the bundle of `variant` (production, staging or a dev bundle's name)."""
        if hostcontext.current() is None and (serving := runtime.current()) is not None:
            bundle = await bundle_of_variant(serving, variant)
            return {name: version for name, version in (bundle or {}).get("addons", {}).items() if version}
        hostcontext.require(f"the addon versions of the {variant} bundle")

    @classmethod
    async def get_enabled_addons(cls, variant: str = "production") -> dict[str, Any]:
        """The loaded addon objects of the bundle of `variant` (versions this process has not loaded are left out)."""
        versions = await cls.get_addon_versions_by_variant(variant)
        library = cls.getinstance()
        return {name: addon for name, version in versions.items() if (addon := library.addon(name, version))}


async def bundle_of_variant(serving: Any, variant: str) -> dict[str, Any] | None:
    answer = await serving.as_host("GET", "/api/bundles")
    for bundle in answer.get("bundles", []):
        if variant == "production" and bundle.get("isProduction") or variant == "staging" and bundle.get("isStaging") \
                or bundle.get("name") == variant and bundle.get("isDev"):
            return bundle
    return None
