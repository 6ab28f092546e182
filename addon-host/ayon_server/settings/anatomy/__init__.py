"""A permissive anatomy model with Anvil's own, minimal defaults.

Addons build anatomies (kitsu, from a tracker) and read the default one (core, for the statuses
enum). Only the collections they read are typed; everything else is accepted as given.
"""

from pydantic import Extra

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

    roots: list[dict] = SettingsField(default_factory=list, title="Roots")
    templates: dict = SettingsField(default_factory=dict, title="Templates")
    attributes: dict = SettingsField(default_factory=dict, title="Attributes")
    folder_types: list[FolderType] = SettingsField(
        default_factory=lambda: [FolderType(name=name) for name in ("Folder", "Asset", "Shot")],
        title="Folder types",
    )
    task_types: list[TaskType] = SettingsField(
        default_factory=lambda: [
            TaskType(name="Generic", short_name="gen"),
            TaskType(name="Modeling", short_name="mdl"),
            TaskType(name="Animation", short_name="anim"),
            TaskType(name="Compositing", short_name="comp"),
        ],
        title="Task types",
    )
    link_types: list[LinkType] = SettingsField(
        default_factory=lambda: [LinkType(link_type="reference", input_type="version", output_type="version")],
        title="Link types",
    )
    statuses: list[Status] = SettingsField(
        default_factory=lambda: [
            Status(name="Not ready", short_name="NRD", state="not_started"),
            Status(name="In progress", short_name="PRG", state="in_progress"),
            Status(name="Done", short_name="DONE", state="done"),
        ],
        title="Statuses",
    )
    tags: list[dict] = SettingsField(default_factory=list, title="Tags")
