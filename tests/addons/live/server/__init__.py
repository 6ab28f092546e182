"""Context-dependent enum resolvers for Anvil's live addon host (a test fixture).

None of them is called at export: each names a context parameter. The live host calls them with
the context Anvil sends; some misbehave on purpose (hang, exit, allocate without bound, print).
"""

import os
import time

from ayon_server.addons import BaseServerAddon
from ayon_server.helpers.anatomy import get_project_anatomy
from ayon_server.lib.postgres import Postgres
from ayon_server.settings import BaseSettingsModel, SettingsField, task_types_enum
from ayon_server.settings.enum import get_primary_anatomy_preset


async def tool_names_enum(project_name=None, addon=None, settings_variant="production"):
    if project_name is None:
        settings = await addon.get_studio_settings(variant=settings_variant)
    else:
        settings = await addon.get_project_settings(project_name=project_name, variant=settings_variant)
    return [{"value": tool.name, "label": tool.label or tool.name} for tool in settings.tools]


async def version_statuses_enum(project_name=None):
    if project_name is None:
        anatomy = await get_primary_anatomy_preset()
    else:
        anatomy = await get_project_anatomy(project_name)
    return [status.name for status in anatomy.statuses if "version" in status.scope]


async def task_types_of_anatomy(project_name=None):
    return await task_types_enum(project_name)


async def link_types_from_sql(project_name=None):
    return [row["name"] async for row in Postgres.iterate(f"SELECT name FROM project_{project_name}.link_types")]


def hanging_enum(settings_variant=None):
    while True:
        time.sleep(3600)


def exiting_enum(settings_variant=None):
    os._exit(7)


def greedy_enum(settings_variant=None):
    hoard = []
    while True:
        hoard.append(b"x" * (16 << 20))


def printing_enum(settings_variant=None):
    print("an addon printing to stdout")
    return ["printed"]


class ToolModel(BaseSettingsModel):
    name: str = SettingsField("", title="Name")
    label: str = SettingsField("", title="Label")


class LiveSettings(BaseSettingsModel):
    tools: list[ToolModel] = SettingsField(default_factory=list, title="Tools")
    default_tool: str = SettingsField("", title="Default tool", enum_resolver=tool_names_enum)
    approved_status: str = SettingsField("", title="Approved status", enum_resolver=version_statuses_enum)
    task_type: str = SettingsField("", title="Task type", enum_resolver=task_types_of_anatomy)
    link_type: str = SettingsField("", title="Link type", enum_resolver=link_types_from_sql)
    hanging: str = SettingsField("", enum_resolver=hanging_enum)
    exiting: str = SettingsField("", enum_resolver=exiting_enum)
    greedy: str = SettingsField("", enum_resolver=greedy_enum)
    printing: str = SettingsField("", enum_resolver=printing_enum)


class LiveAddon(BaseServerAddon):
    settings_model = LiveSettings
