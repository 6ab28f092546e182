"""Stored per-user action configuration, which lives in Anvil (`action_config`, by hash)."""

from typing import Any

from ayon_server import hostcontext, runtime


async def get_action_config(config_hash: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    if hostcontext.current() is None and (serving := runtime.current()) is not None:
        stored = await serving.as_host("GET", f"/api/actions/storedConfig/{runtime.segment(config_hash)}")
        return stored.get("value") or {}
    hostcontext.require("the stored action configuration")


async def set_action_config(config_hash: str, value: dict[str, Any], **details: Any) -> None:
    if hostcontext.current() is None and (serving := runtime.current()) is not None:
        body = {"value": value, "addonName": details.get("addon_name"), "addonVersion": details.get("addon_version"),
                "identifier": details.get("identifier"), "projectName": details.get("project_name"),
                "userName": details.get("user_name")}
        await serving.as_host("PUT", f"/api/actions/storedConfig/{runtime.segment(config_hash)}", body=body)
        return
    hostcontext.require("the stored action configuration")
