"""Stored per-user action configuration, which lives in Anvil."""

from typing import Any

from ayon_server import hostcontext


async def get_action_config(*args: Any, **kwargs: Any) -> dict[str, Any]:
    hostcontext.require("the stored action configuration")


async def set_action_config(*args: Any, **kwargs: Any) -> None:
    hostcontext.require("the stored action configuration")
