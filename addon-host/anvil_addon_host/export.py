"""The `export` command: one addon version in, one JSON document out.

The document (addons contract §3) holds the class metadata, the settings and site-settings
schemas with their defaults, and every enum field by kind. A version whose code cannot be
imported, has no addon class, or fails in `initialize`, `get_default_settings` or while its
schema is built is reported as broken, with the reason; `pre_setup` and `setup` only add
warnings, since they mostly touch AYON's database, which no export has.
"""

import asyncio
import inspect
import json
import logging
import platform
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import pydantic.json
from pydantic import BaseModel

from anvil_addon_host import HOST_VERSION
from anvil_addon_host.loading import (
    AddonBroken,
    failure_reason,
    find_addon_class,
    find_server_dir,
    import_server_package,
    unique_package_name,
)
from anvil_addon_host.package_metadata import read_package_metadata
from anvil_addon_host.schema import ResolverOrigin, build_schema, top_level_scopes
from ayon_server import AYON_SERVER_VERSION
from ayon_server._stubs import used_stubs
from ayon_server.addons import AddonLibrary, BaseServerAddon
from ayon_server.events import EventStream, Subscription

log = logging.getLogger(__name__)

SETUP_STEP_TIMEOUT_SECONDS = 10


def exporter_info() -> dict[str, str]:
    return {
        "host": HOST_VERSION,
        "python": platform.python_version(),
        "pydantic": pydantic.VERSION,
        "ayonServer": AYON_SERVER_VERSION,
    }


def broken_document(reason: str) -> dict[str, Any]:
    return {
        "exporter": exporter_info(),
        "isBroken": True,
        "reason": reason,
        "addon": None,
        "settings": None,
        "siteSettings": None,
        "enums": [],
    }


async def export(addon_dir: Path, name: str, version: str) -> dict[str, Any]:
    try:
        return await _export(addon_dir, name, version)
    except AddonBroken as broken:
        return broken_document(str(broken))


async def _stage(what: str, addon_dir: Path, function: Callable, *args: Any) -> Any:
    """Calls (and awaits) addon code; any failure, SystemExit included, becomes AddonBroken."""
    try:
        result = function(*args)
        return await result if inspect.isawaitable(result) else result
    except (Exception, SystemExit) as exception:
        reason = failure_reason(what, exception, addon_dir)
        log.error("%s\n%s", reason, "".join(traceback.format_exception(exception)))
        # The frames may hold what exhausted the memory; the reason is all that is kept.
        traceback.clear_frames(exception.__traceback__)
        raise AddonBroken(reason) from None


@dataclass
class LoadedAddon:
    """An addon version imported, constructed, registered in the library and initialized."""

    addon: BaseServerAddon
    package_name: str
    subscriptions: list[str]
    handlers: list[Subscription]


async def load_addon(addon_dir: Path, name: str, version: str) -> LoadedAddon:
    """Imports the version under its unique package name and runs `initialize()`; AddonBroken if it fails."""
    metadata = read_package_metadata(addon_dir, name, version)
    package_name = unique_package_name(name, version)
    server_dir = find_server_dir(addon_dir)
    module = await _stage(
        "importing the server code", addon_dir, import_server_package, server_dir, package_name
    )
    addon_class = find_addon_class(module)
    addon = await _stage(f"constructing {addon_class.__name__}", addon_dir, addon_class, str(addon_dir), metadata)
    AddonLibrary.getinstance().register(addon)
    first_topic, first_handler = len(EventStream.subscribed_topics), len(EventStream.subscriptions)
    try:
        await _stage("initialize()", addon_dir, addon.initialize)
    except BaseException:
        del EventStream.subscriptions[first_handler:]  # a broken version's handlers never run
        raise
    return LoadedAddon(addon, package_name, EventStream.subscribed_topics[first_topic:],
                       EventStream.subscriptions[first_handler:])


async def _export(addon_dir: Path, name: str, version: str) -> dict[str, Any]:
    loaded = await load_addon(addon_dir, name, version)
    addon, package_name, subscriptions = loaded.addon, loaded.package_name, loaded.subscriptions
    addon_class = type(addon)
    warnings = await _run_setup_steps(addon)

    origin = ResolverOrigin(package_name)
    enums = []
    settings = None
    settings_model = addon.get_settings_model()
    if settings_model is not None:
        defaults = await _stage("get_default_settings()", addon_dir, addon.get_default_settings)
        schema, settings_enums = await _stage(
            "building the settings schema", addon_dir, build_schema, settings_model, "settings", origin
        )
        settings = {"schema": schema, "defaults": as_json(defaults)}
        enums += settings_enums
    site_settings = None
    site_model = addon.get_site_settings_model()
    if site_model is not None:
        site_defaults = await _stage("the site settings defaults", addon_dir, site_model)
        site_schema, site_enums = await _stage(
            "building the site settings schema", addon_dir, build_schema, site_model, "siteSettings", origin
        )
        site_settings = {"schema": site_schema, "defaults": as_json(site_defaults)}
        enums += site_enums

    scopes = top_level_scopes(settings["schema"]) if settings else set()
    if used_stubs:
        log.info("stubbed ayon_server names the addon imported: %s", ", ".join(used_stubs))
    return {
        "exporter": exporter_info(),
        "isBroken": False,
        "reason": None,
        "addon": {
            "className": addon_class.__name__,
            "title": addon.title,
            "addonType": addon.addon_type,
            "system": bool(addon.system),
            "hasSettings": settings is not None,
            "hasProjectSettings": "project" in scopes,
            "hasSiteSettings": site_settings is not None,
            "hasProjectSiteSettings": "site" in scopes,
            "frontendScopes": await _optional(addon.get_frontend_scopes(), {}, "get_frontend_scopes", warnings),
            "frontendModules": await _optional(addon.get_frontend_modules(), {}, "get_frontend_modules", warnings),
            "appHostNames": list(addon.get_app_host_names()),
            "endpoints": [
                {"path": endpoint.path, "method": endpoint.method, "name": endpoint.name}
                for endpoint in addon.endpoints
            ],
            "eventSubscriptions": subscriptions,
            "warnings": warnings,
        },
        "settings": settings,
        "siteSettings": site_settings,
        "enums": [enum.to_json() for enum in enums],
    }


async def _run_setup_steps(addon: BaseServerAddon) -> list[str]:
    warnings = []
    for step in (addon.pre_setup, addon.setup):
        try:
            await asyncio.wait_for(step(), SETUP_STEP_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            warnings.append(f"{step.__name__}: did not finish within {SETUP_STEP_TIMEOUT_SECONDS} s")
        except Exception as exception:  # the addon's code: anything can happen
            warnings.append(f"{step.__name__}: {type(exception).__name__}: {exception}")
    if addon.restart_requested:
        warnings.append("setup asked for a server restart")
    return warnings


async def _optional(coroutine: Any, fallback: Any, what: str, warnings: list[str]) -> Any:
    try:
        return await coroutine
    except Exception as exception:  # the addon's code: anything can happen
        warnings.append(f"{what}: {type(exception).__name__}: {exception}")
        return fallback


def as_json(settings: Any) -> Any:
    """Settings (a model or plain data) as JSON-ready data, as pydantic writes them."""
    if isinstance(settings, BaseModel):
        return json.loads(settings.json())
    return json.loads(json.dumps(settings, default=pydantic.json.pydantic_encoder))
