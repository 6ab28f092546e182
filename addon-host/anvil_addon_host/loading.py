"""Importing an addon version's server package, and saying where it failed when it does."""

import importlib.util
import re
import sys
import traceback
import types
from pathlib import Path

from ayon_server.addons import BaseServerAddon

_MAX_MESSAGE = 600


class AddonBroken(Exception):
    """The addon cannot be used; the message is the reason Anvil shows."""


def unique_package_name(name: str, version: str) -> str:
    """A module name per addon version, so that several versions can live in one process."""
    return "anvil_addon__" + re.sub(r"\W", "_", f"{name}__{version}")


def find_server_dir(addon_dir: Path) -> Path:
    """`server/` of the version folder; in AYON's oldest layout the version folder is the package itself."""
    for candidate in (addon_dir / "server", addon_dir):
        if (candidate / "__init__.py").is_file():
            return candidate
    raise AddonBroken("the package has no server/__init__.py (nor, in the oldest layout, an __init__.py at its root)")


def import_server_package(server_dir: Path, package_name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        package_name, server_dir / "__init__.py", submodule_search_locations=[str(server_dir)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[package_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        for loaded in [n for n in sys.modules if n == package_name or n.startswith(package_name + ".")]:
            del sys.modules[loaded]
        raise
    return module


def find_addon_class(module: types.ModuleType) -> type[BaseServerAddon]:
    candidates = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, BaseServerAddon) and value is not BaseServerAddon
    ]
    # A module may import a base class of its own next to the addon: keep the most derived.
    most_derived = [c for c in candidates if not any(o is not c and issubclass(o, c) for o in candidates)]
    if not most_derived:
        raise AddonBroken("server/__init__.py defines no subclass of BaseServerAddon")
    return most_derived[0]


def failure_reason(what: str, exception: BaseException, addon_dir: Path) -> str:
    """`<what> failed: <Type>: <message> (at server/x.py:12)`; the location is the addon's."""
    message = str(exception).strip()
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + " …"
    reason = f"{what} failed: {type(exception).__name__}" + (f": {message}" if message else "")
    location = _addon_location(exception, addon_dir)
    return reason + (f" (at {location})" if location else "")


def _addon_location(exception: BaseException, addon_dir: Path) -> str | None:
    root = addon_dir.resolve()
    frames = [(frame.filename, frame.lineno) for frame in traceback.extract_tb(exception.__traceback__)]
    if isinstance(exception, SyntaxError) and exception.filename:
        frames.append((exception.filename, exception.lineno))
    for filename, line in reversed(frames):
        try:
            relative = Path(filename).resolve().relative_to(root)
        except ValueError:
            continue
        return f"{relative.as_posix()}:{line}"
    return None
