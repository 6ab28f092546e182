"""Web action manifests and the executor, as real models so that addons can probe their fields."""

from typing import Any, Literal

from ayon_server.actions.context import ActionContext
from ayon_server.types import Field, OPModel

__all__ = [
    "ActionContext",
    "ActionExecutor",
    "BaseActionManifest",
    "DynamicActionManifest",
    "ExecuteResponseModel",
    "SimpleActionManifest",
]


class BaseActionManifest(OPModel):
    identifier: str
    label: str
    category: str = "General"
    group_label: str | None = None
    order: int = 100
    icon: dict[str, Any] | None = None
    admin_only: bool = False
    manager_only: bool = False
    config_fields: list[dict[str, Any]] | None = None
    addon_name: str | None = None
    addon_version: str | None = None
    variant: str | None = None


class SimpleActionManifest(BaseActionManifest):
    entity_type: str | None = None
    entity_subtypes: list[str] | None = None
    allow_multiselection: bool = False


class DynamicActionManifest(BaseActionManifest):
    pass


class ExecuteResponseModel(OPModel):
    type: Literal["form", "launcher", "navigate", "query", "redirect", "simple"] = "simple"
    success: bool = True
    message: str | None = None
    uri: str | None = None
    payload: dict[str, Any] | None = None


LAUNCHER_ARGS_KEY = "anvilLauncherArgs"
"""Where a launcher reply carries its arguments to Anvil, which stores the `action.launcher` event,
makes the one-time token and puts the `ayon-launcher://` URI in their place."""


class ActionExecutor:
    """What an action handler gets: who runs which action in which context, and reply builders."""

    def __init__(self, identifier: str, context: ActionContext, user: Any = None,
                 variant: str = "production", addon_name: str = "", addon_version: str = "",
                 server_url: str | None = None, access_token: str | None = None):
        self.identifier = identifier
        self.context = context
        self.user = user
        self.variant = variant
        self.addon_name = addon_name
        self.addon_version = addon_version
        self.server_url = server_url
        self.access_token = access_token

    async def get_simple_response(self, message: str | None = None, success: bool = True,
                                  **kwargs: Any) -> ExecuteResponseModel:
        return ExecuteResponseModel(type="simple", success=success, message=message, **kwargs)

    async def get_launcher_response(self, args: list[str], message: str | None = None,
                                    **kwargs: Any) -> ExecuteResponseModel:
        payload = {LAUNCHER_ARGS_KEY: [str(arg) for arg in args]}
        return ExecuteResponseModel(type="launcher", success=True, message=message or "Launching action",
                                    payload=payload)

    get_launcher_action_response = get_launcher_response

    async def get_redirect_response(self, uri: str, message: str | None = None, new_tab: bool = False,
                                    **kwargs: Any) -> ExecuteResponseModel:
        return ExecuteResponseModel(type="redirect", success=True, message=message, uri=uri,
                                    payload={"uri": uri, "new_tab": new_tab, **kwargs})

    async def get_navigate_response(self, uri: str, message: str | None = None, **kwargs: Any) -> ExecuteResponseModel:
        return ExecuteResponseModel(type="navigate", success=True, message=message, uri=uri, payload={"uri": uri})

    async def get_query_response(self, query: dict[str, Any], message: str | None = None,
                                 **kwargs: Any) -> ExecuteResponseModel:
        return ExecuteResponseModel(type="query", success=True, message=message, payload={"query": query})

    async def get_form_response(self, title: str, fields: list[dict[str, Any]], message: str | None = None,
                                submit_label: str = "Submit", cancel_label: str = "Cancel",
                                submit_icon: str | None = None, cancel_icon: str | None = None,
                                **kwargs: Any) -> ExecuteResponseModel:
        return ExecuteResponseModel(type="form", success=True, message=message, payload={
            "title": title, "fields": list(fields), "submit_label": submit_label, "cancel_label": cancel_label,
            "submit_icon": submit_icon, "cancel_icon": cancel_icon})
