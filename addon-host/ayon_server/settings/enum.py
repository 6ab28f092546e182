"""The enum resolvers the server itself provides, and `get_primary_anatomy_preset`.

These read the studio's anatomy or secrets, which Anvil owns. An export never calls them: the
schema post-processing recognises them by `server_enum_name` and tags the field, and Anvil fills
in the values when it serves the schema. Called anyway (by an addon's own resolver, say), they
ask the host context, which an export does not have.
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


@_server_enum("task_types")
async def task_types_enum(project_name: str | None = None) -> list[str]:
    hostcontext.require("the task types of the anatomy")


@_server_enum("folder_types")
async def folder_types_enum(project_name: str | None = None) -> list[str]:
    hostcontext.require("the folder types of the anatomy")


@_server_enum("link_types")
async def link_types_enum(project_name: str | None = None) -> list[str]:
    hostcontext.require("the link types of the anatomy")


@_server_enum("secrets")
async def secrets_enum(project_name: str | None = None) -> list[str]:
    hostcontext.require("the names of the secrets")


@_server_enum("anatomy_presets")
async def anatomy_presets_enum() -> list[str]:
    hostcontext.require("the anatomy presets")


@_server_enum("anatomy_template_items")
async def _anatomy_template_items(
    project_name: str | None = None, category: str | None = None
) -> list[str]:
    hostcontext.require(f"the anatomy templates of category {category}")


def anatomy_template_items_enum(
    project_name: str | None = None, category: str | None = None
) -> functools.partial:
    """A resolver for the template names of one anatomy category (`publish`, `hero`, ...)."""
    return functools.partial(_anatomy_template_items, category=category)


async def get_primary_anatomy_preset():
    hostcontext.require("the primary anatomy preset")
