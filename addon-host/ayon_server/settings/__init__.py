"""Everything addons import from `ayon_server.settings`."""

from ayon_server.settings.common import (
    BaseSettingsModel,
    MultiplatformPathListModel,
    MultiplatformPathModel,
)
from ayon_server.settings.enum import (
    anatomy_presets_enum,
    anatomy_template_items_enum,
    folder_types_enum,
    get_primary_anatomy_preset,
    link_types_enum,
    secrets_enum,
    task_types_enum,
)
from ayon_server.settings.settings_field import SettingsField
from ayon_server.settings.validators import ensure_unique_names, normalize_name

__all__ = [
    "BaseSettingsModel",
    "MultiplatformPathListModel",
    "MultiplatformPathModel",
    "SettingsField",
    "anatomy_presets_enum",
    "anatomy_template_items_enum",
    "ensure_unique_names",
    "folder_types_enum",
    "get_primary_anatomy_preset",
    "link_types_enum",
    "normalize_name",
    "secrets_enum",
    "task_types_enum",
]
