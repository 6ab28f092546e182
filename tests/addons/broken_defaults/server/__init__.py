from ayon_server.addons import BaseServerAddon
from ayon_server.settings import BaseSettingsModel, SettingsField


class BrokenDefaultsSettings(BaseSettingsModel):
    threshold: int = SettingsField(title="Threshold")


def load_studio_defaults():
    raise ValueError("the studio defaults file is missing")


class BrokenDefaultsAddon(BaseServerAddon):
    settings_model = BrokenDefaultsSettings

    async def get_default_settings(self):
        return self.get_settings_model()(**load_studio_defaults())
