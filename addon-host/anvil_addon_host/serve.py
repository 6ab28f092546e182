"""The `serve` command: the live host, a long-running process that answers requests one at a time.

Protocol: one JSON object per line on stdin, one JSON object per line on stdout for each, in order:

    {"id": 7, "method": "resolveEnum", "addon": {"name": "deadline", "version": "0.7.3", "dir": "/…"},
     "resolver": "server.settings.main:defined_deadline_ws_name_enum_resolver",
     "context": {"projectName": null, "settingsVariant": "production", "studioSettings": {…}}}
    {"id": 7, "result": {"enum": ["default"], "enumLabels": {"default": "default"}}}
    {"id": 8, "error": {"type": "ContextUnavailable", "message": "…"}}

Methods: `ping`, `loaded` (the addon versions this process has loaded), `resolveEnum`,
`validateSettings` (a whole settings object through the addon's own model: normalised, or
`ValidationError` with pydantic's `errors`) and `convertOverrides` (the addon's own
`convert_settings_overrides`, for overrides made for another version). An addon
version is loaded on the first request that names it and then kept; only the versions asked for are
ever loaded. The host has no database: a resolver reads what the request's `context` carries (see
`ayon_server.hostcontext.RequestContext`), and anything else is refused with a clear error. stdout
belongs to the protocol alone (the addon's prints go to stderr, as in an export). A `MemoryError`
is answered, then the process exits: Anvil starts a fresh one on the next call.
"""

import asyncio
import copy
import json
import logging
import os
import platform
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import pydantic

from anvil_addon_host import HOST_VERSION
from anvil_addon_host.export import as_json, load_addon
from anvil_addon_host.loading import AddonBroken, failure_reason
from anvil_addon_host.schema import (
    ResolverOrigin,
    call_resolver,
    enum_resolvers,
    enum_values,
    resolver_arguments,
)
from ayon_server import hostcontext
from ayon_server.addons import AddonLibrary, BaseServerAddon
from ayon_server.events import EventStream, Subscription
from ayon_server.exceptions import AyonException

log = logging.getLogger(__name__)

EXIT_OUT_OF_MEMORY = 3


class RequestError(Exception):
    """A request the host refuses; `type` is the error type Anvil receives, `errors` any details."""

    def __init__(self, error_type: str, message: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.type = error_type
        self.errors = errors


@dataclass
class LiveAddon:
    """One loaded addon version and the enum resolvers of its settings models (found on first use)."""

    name: str
    version: str
    dir: Path
    addon: BaseServerAddon
    package_name: str
    handlers: list[Subscription] = field(default_factory=list)
    _resolvers: dict[str, Any] | None = field(default=None, repr=False)

    def resolver(self, resolver_id: str) -> Any:
        if self._resolvers is None:
            models = [self.addon.get_settings_model(), self.addon.get_site_settings_model()]
            self._resolvers = enum_resolvers([m for m in models if m is not None], ResolverOrigin(self.package_name))
        found = self._resolvers.get(resolver_id)
        if found is None:
            raise RequestError(
                "UnknownResolver",
                f"{self.name} {self.version} has no enum resolver {resolver_id} in its settings models",
            )
        return found


class LiveHost:
    def __init__(self) -> None:
        self.addons: dict[tuple[str, str], LiveAddon] = {}

    async def handle(self, request: dict[str, Any]) -> Any:
        method = request.get("method")
        if method == "ping":
            return {"host": HOST_VERSION, "python": platform.python_version(), "pid": os.getpid()}
        if method == "loaded":
            return {
                "addons": [
                    {"name": live.name, "version": live.version, "dir": str(live.dir)}
                    for live in self.addons.values()
                ]
            }
        if method == "resolveEnum":
            return await self.resolve_enum(request)
        if method == "validateSettings":
            return await self.validate_settings(request)
        if method == "convertOverrides":
            return await self.convert_overrides(request)
        raise RequestError(
            "UnknownMethod",
            f"unknown method {method!r}; known: ping, loaded, resolveEnum, validateSettings, convertOverrides",
        )

    async def validate_settings(self, request: dict[str, Any]) -> dict[str, Any]:
        """The settings as the addon's model makes them (its validators run), or why they are refused."""
        live = await self.addon(request.get("addon"))
        which = request.get("model")
        if which not in ("settings", "siteSettings"):
            raise RequestError("BadRequest", "`model` must be \"settings\" or \"siteSettings\"")
        model = live.addon.get_settings_model() if which == "settings" else live.addon.get_site_settings_model()
        if model is None:
            raise RequestError("NoSettingsModel", f"{live.name} {live.version} has no {which} model")
        settings = request.get("settings")
        if not isinstance(settings, dict):
            raise RequestError("BadRequest", "`settings` must be an object")
        try:
            validated = model(**settings)
        except pydantic.ValidationError as error:
            issues = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
            raise RequestError("ValidationError", _summary(issues), issues) from None
        except AyonException as error:
            # Validators raise the server's own exceptions too (ensure_unique_names, addon checks),
            # which pydantic lets through without saying where.
            issues = [{"loc": _field_of(error), "msg": str(error) or error.detail, "type": "value_error"}]
            traceback.clear_frames(error.__traceback__)
            raise RequestError("ValidationError", _summary(issues), issues) from None
        return {"settings": as_json(validated)}

    async def convert_overrides(self, request: dict[str, Any]) -> dict[str, Any]:
        """Overrides made for `sourceVersion`, as the addon's own converter makes them fit this version."""
        live = await self.addon(request.get("addon"))
        source_version = request.get("sourceVersion")
        overrides = request.get("overrides")
        if not isinstance(source_version, str) or not source_version:
            raise RequestError("BadRequest", "`sourceVersion` must be the version the overrides were made for")
        if not isinstance(overrides, dict):
            raise RequestError("BadRequest", "`overrides` must be an object")
        try:
            converted = await live.addon.convert_settings_overrides(source_version, copy.deepcopy(overrides))
        except MemoryError:
            raise
        except (Exception, SystemExit) as exception:
            reason = failure_reason("convert_settings_overrides()", exception, live.dir)
            log.warning("%s\n%s", reason, "".join(traceback.format_exception(exception)))
            traceback.clear_frames(exception.__traceback__)
            raise RequestError(type(exception).__name__, reason) from None
        if not isinstance(converted, dict):
            raise RequestError("BadResult", f"convert_settings_overrides() returned {type(converted).__name__}, not an object")
        return {"overrides": as_json(converted)}

    async def resolve_enum(self, request: dict[str, Any]) -> dict[str, Any]:
        live = await self.addon(request.get("addon"))
        resolver_id = request.get("resolver")
        if not isinstance(resolver_id, str) or not resolver_id:
            raise RequestError("BadRequest", "resolveEnum needs `resolver`, the resolver id of the export")
        resolver = live.resolver(resolver_id)
        context = request_context(live, request.get("context"))
        arguments = resolver_arguments(resolver, {
            "project_name": context.project_name,
            "addon": live.addon,
            "settings_variant": context.settings_variant or "production",
            "site_id": context.site_id,
            "user_name": context.user_name,
        })
        with hostcontext.serving(context):
            try:
                items = await call_resolver(resolver, arguments)
            except MemoryError:
                raise
            except (Exception, SystemExit) as exception:
                reason = failure_reason(f"the resolver {resolver_id}", exception, live.dir)
                log.warning("%s\n%s", reason, "".join(traceback.format_exception(exception)))
                traceback.clear_frames(exception.__traceback__)
                raise RequestError(type(exception).__name__, reason) from None
        try:
            values, labels = enum_values(items)
        except (TypeError, KeyError) as exception:
            raise RequestError(
                "BadResolverResult",
                f"the resolver {resolver_id} returned {type(items).__name__}, not a list of values: {exception}",
            ) from None
        return {"enum": values, "enumLabels": labels}

    async def addon(self, spec: Any) -> LiveAddon:
        """The version named by the request, loaded now if this process has not yet."""
        if not isinstance(spec, dict) or not all(isinstance(spec.get(key), str) and spec[key] for key in ("name", "version", "dir")):
            raise RequestError("BadRequest", "the request needs `addon`: {name, version, dir}")
        name, version, directory = spec["name"], spec["version"], Path(spec["dir"])
        if not directory.is_absolute() or not directory.is_dir():
            raise RequestError("BadRequest", f"the addon folder {directory} is not an absolute path to a folder")
        key = (name, version)
        live = self.addons.get(key)
        if live is not None and live.dir == directory:
            return live
        if live is not None:
            # A reinstall with other bytes: the new folder replaces the old code under the same module name.
            log.info("addon %s %s moved from %s to %s; reloading", name, version, live.dir, directory)
            self.unload(key)
        log.info("loading addon %s %s from %s", name, version, directory)
        try:
            loaded = await load_addon(directory, name, version)
        except AddonBroken as broken:
            self.unload(key)
            raise RequestError("AddonBroken", f"addon {name} {version} cannot be loaded: {broken}") from None
        live = LiveAddon(name, version, directory, loaded.addon, loaded.package_name, loaded.handlers)
        self.addons[key] = live
        return live

    def unload(self, key: tuple[str, str]) -> None:
        name, version = key
        live = self.addons.pop(key, None)
        if live is not None:
            EventStream.subscriptions[:] = [s for s in EventStream.subscriptions if s not in live.handlers]
        definition = AddonLibrary.getinstance().get(name)
        if definition is not None:
            definition.versions.pop(version, None)
        from anvil_addon_host.loading import unique_package_name

        package_name = unique_package_name(name, version)
        for module in [m for m in sys.modules if m == package_name or m.startswith(package_name + ".")]:
            del sys.modules[module]


def request_context(live: LiveAddon, raw: Any) -> hostcontext.RequestContext:
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise RequestError("BadRequest", "`context` must be an object")

    def text(key: str) -> str | None:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise RequestError("BadRequest", f"context.{key} must be a string or null")
        return value or None

    def obj(key: str) -> dict[str, Any] | None:
        value = raw.get(key)
        if value is not None and not isinstance(value, dict):
            raise RequestError("BadRequest", f"context.{key} must be an object or null")
        return value

    secret_names = raw.get("secretNames")
    if secret_names is not None and not (isinstance(secret_names, list) and all(isinstance(s, str) for s in secret_names)):
        raise RequestError("BadRequest", "context.secretNames must be a list of strings or null")
    return hostcontext.RequestContext(
        addon_name=live.name,
        addon_version=live.version,
        project_name=text("projectName"),
        settings_variant=text("settingsVariant"),
        site_id=text("siteId"),
        user_name=text("userName"),
        studio_settings=obj("studioSettings"),
        project_settings=obj("projectSettings"),
        anatomy=obj("anatomy"),
        secret_names=secret_names,
    )


def _field_of(error: BaseException) -> list[Any]:
    """The path of the field whose validator raised `error`, read from pydantic's frames.

    Each model being validated starts a level (`validate_model`); within a level, the innermost
    `loc` pydantic's field code holds (`"profiles"`, then `("profiles", 0)`) is that level's part.
    """
    path: list[Any] = []
    level: list[Any] = []
    for frame, _ in traceback.walk_tb(error.__traceback__):
        filename = frame.f_code.co_filename.replace("\\", "/")
        if filename.endswith("pydantic/main.py") and frame.f_code.co_name == "validate_model":
            path += level
            level = []
        elif filename.endswith("pydantic/fields.py") and "loc" in frame.f_locals:
            loc = frame.f_locals["loc"]
            level = list(loc) if isinstance(loc, tuple) else [loc]
    return path + level


def _summary(issues: list[dict[str, Any]]) -> str:
    first = issues[0]
    where = ".".join(str(part) for part in first["loc"]) or "settings"
    more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _error(request_id: Any, error_type: str, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if errors is not None:
        error["errors"] = errors
    return {"id": request_id, "error": error}


def serve(requests: BinaryIO, responses: TextIO, memory_reserve: list[bytearray]) -> int:
    """Answers requests until stdin closes (exit 0) or the memory runs out (EXIT_OUT_OF_MEMORY)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    host = LiveHost()
    log.info("the live addon host is ready (pid %d)", os.getpid())

    def answer(response: dict[str, Any]) -> None:
        responses.write(json.dumps(response, ensure_ascii=False, default=str))
        responses.write("\n")
        responses.flush()

    while True:
        line = requests.readline()
        if not line:
            return 0
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise RequestError("BadRequest", "a request is one JSON object per line")
            request_id = request.get("id")
            response = {"id": request_id, "result": loop.run_until_complete(host.handle(request))}
        except RequestError as error:
            response = _error(request_id, error.type, str(error), error.errors)
        except ValueError as error:  # not JSON
            response = _error(request_id, "BadRequest", f"the request is not JSON: {error}")
        except MemoryError:
            memory_reserve.clear()
            log.error("MemoryError: the request used up the host's memory limit; exiting")
            answer(_error(request_id, "MemoryError", "the addon host ran out of memory"))
            return EXIT_OUT_OF_MEMORY
        except (Exception, SystemExit) as error:  # the host's own fault; it keeps serving
            log.error("request failed\n%s", "".join(traceback.format_exception(error)))
            response = _error(request_id, type(error).__name__, str(error))
        answer(response)
