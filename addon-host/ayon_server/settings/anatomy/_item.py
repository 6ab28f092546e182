"""The base of anatomy items: camelCase names accepted, unknown keys kept."""

from pydantic import Extra

from ayon_server.settings.common import BaseSettingsModel
from ayon_server.utils import camelize


class AnatomyItem(BaseSettingsModel):
    class Config:
        extra = Extra.allow
        alias_generator = camelize
