"""An addon that uses every settings feature Anvil's addon host exports (a test fixture)."""

from ayon_server.addons import BaseServerAddon
from ayon_server.events import EventStream

from .settings import DEFAULT_VALUES, ExampleSettings, ExampleSiteSettings


class ExampleAddon(BaseServerAddon):
    settings_model = ExampleSettings
    site_settings_model = ExampleSiteSettings
    frontend_scopes = {"project": {}}

    async def get_default_settings(self):
        return self.get_settings_model()(**DEFAULT_VALUES)

    def initialize(self):
        self.add_endpoint("/greeting", self.get_greeting, method="GET")
        EventStream.subscribe("bundle.updated", self.on_bundle_updated)

    async def get_greeting(self) -> dict[str, str]:
        return {"greeting": f"hello from {self.name} {self.version}"}

    async def on_bundle_updated(self, event) -> None:
        pass
