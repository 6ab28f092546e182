"""A permissive anatomy model whose defaults are Anvil's built-in anatomy.

Addons build anatomies (kitsu, from a tracker) and read the default one (core, for the statuses
enum). Only the collections they read are typed; everything else is accepted as given.
"""

from pydantic import Extra

from ayon_server.settings.anatomy.builtin import builtin_anatomy
from ayon_server.settings.anatomy.folder_types import FolderType
from ayon_server.settings.anatomy.link_types import LinkType
from ayon_server.settings.anatomy.statuses import Status
from ayon_server.settings.anatomy.task_types import TaskType
from ayon_server.settings.common import BaseSettingsModel
from ayon_server.settings.settings_field import SettingsField

__all__ = ["Anatomy", "FolderType", "LinkType", "Status", "TaskType"]


class Anatomy(BaseSettingsModel):
    class Config:
        extra = Extra.allow

    roots: list[dict] = SettingsField(default_factory=lambda: builtin_anatomy()["roots"], title="Roots")
    templates: dict = SettingsField(default_factory=lambda: builtin_anatomy()["templates"], title="Templates")
    attributes: dict = SettingsField(default_factory=lambda: builtin_anatomy()["attributes"], title="Attributes")
    folder_types: list[FolderType] = SettingsField(
        default_factory=lambda: [FolderType(**item) for item in builtin_anatomy()["folder_types"]],
        title="Folder types",
    )
    task_types: list[TaskType] = SettingsField(
        default_factory=lambda: [TaskType(**item) for item in builtin_anatomy()["task_types"]],
        title="Task types",
    )
    link_types: list[LinkType] = SettingsField(
        default_factory=lambda: [LinkType(**item) for item in builtin_anatomy()["link_types"]],
        title="Link types",
    )
    statuses: list[Status] = SettingsField(
        default_factory=lambda: [Status(**item) for item in builtin_anatomy()["statuses"]],
        title="Statuses",
    )
    tags: list[dict] = SettingsField(default_factory=lambda: builtin_anatomy()["tags"], title="Tags")
