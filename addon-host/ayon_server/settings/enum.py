"""The enum resolvers the server itself provides, and `get_primary_anatomy_preset`.

These read the studio's anatomy or secrets, which Anvil owns. An export never calls them: the
schema post-processing recognises them by `server_enum_name` and tags the field, and Anvil fills
in the values when it serves the schema. Called anyway (by an addon's own resolver, say), they
ask the host context: an export has none; the live host answers from the anatomy and secret names
of the request, when it carries them.
"""

import functools
from collections.abc import Callable
from typing import Any

from ayon_server import hostcontext

_SERVER_ENUM_ATTRIBUTE = "anvil_server_enum"


def _server_enum(name: str) -> Callable[[Callable], Callable]:
    def mark(resolver: Callable) -> Callable:
        setattr(resolver, _SERVER_ENUM_ATTRIBUTE, name)
        return resolver

    return mark


def server_enum_name(resolver: Any) -> str | None:
    """`task_types`, `anatomy_template_items:publish`, ... for our resolvers; None otherwise."""
    if isinstance(resolver, functools.partial):
        name = getattr(resolver.func, _SERVER_ENUM_ATTRIBUTE, None)
        if name is None:
            return None
        arguments = [str(value) for value in resolver.args] + [
            str(value) for value in resolver.keywords.values() if value is not None
        ]
        return ":".join([name, *arguments])
    return getattr(resolver, _SERVER_ENUM_ATTRIBUTE, None)


def _anatomy(project_name: str | None) -> dict[str, Any] | None:
    from ayon_server.helpers.anatomy import anatomy_json  # the helpers import the settings package

    return anatomy_json(project_name)


def _names(items: Any) -> list[str]:
    return [item["name"] for item in items or [] if isinstance(item, dict) and "name" in item]


@_server_enum("task_types")
async def task_types_enum(project_name: str | None = None) -> list[str]:
    if (anatomy := _anatomy(project_name)) is not None:
        return _names(anatomy.get("task_types"))
    hostcontext.require("the task types of the anatomy")


@_server_enum("folder_types")
async def folder_types_enum(project_name: str | None = None) -> list[str]:
    if (anatomy := _anatomy(project_name)) is not None:
        return _names(anatomy.get("folder_types"))
    hostcontext.require("the folder types of the anatomy")


@_server_enum("link_types")
async def link_types_enum(project_name: str | None = None) -> list[str]:
    hostcontext.require("the link types of the anatomy")


@_server_enum("secrets")
async def secrets_enum(project_name: str | None = None) -> list[str]:
    context = hostcontext.current()
    if context is not None and context.secret_names is not None:
        return list(context.secret_names)
    hostcontext.require("the names of the secrets")


@_server_enum("anatomy_presets")
async def anatomy_presets_enum() -> list[str]:
    hostcontext.require("the anatomy presets")


@_server_enum("anatomy_template_items")
async def _anatomy_template_items(
    project_name: str | None = None, category: str | None = None
) -> list[str]:
    if (anatomy := _anatomy(project_name)) is not None:
        return _names((anatomy.get("templates") or {}).get(category))
    hostcontext.require(f"the anatomy templates of category {category}")


def anatomy_template_items_enum(
    project_name: str | None = None, category: str | None = None
) -> functools.partial:
    """A resolver for the template names of one anatomy category (`publish`, `hero`, ...)."""
    return functools.partial(_anatomy_template_items, category=category)


async def get_primary_anatomy_preset():
    if (anatomy := _anatomy(None)) is not None:
        from ayon_server.settings.anatomy import Anatomy

        return Anatomy.parse_obj(anatomy)
    hostcontext.require("the primary anatomy preset")
