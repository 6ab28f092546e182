"""Web action manifests and the executor, as real models so that addons can probe their fields."""

from typing import Any, Literal

from ayon_server import hostcontext
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


class ActionExecutor:
    """What an action handler gets: who runs which action in which context, and reply builders."""

    def __init__(self, identifier: str, context: ActionContext, user: Any = None,
                 variant: str = "production", addon_name: str = "", addon_version: str = ""):
        self.identifier = identifier
        self.context = context
        self.user = user
        self.variant = variant
        self.addon_name = addon_name
        self.addon_version = addon_version

    async def get_simple_response(self, message: str | None = None, success: bool = True,
                                  **kwargs: Any) -> ExecuteResponseModel:
        return ExecuteResponseModel(type="simple", success=success, message=message, **kwargs)

    async def get_launcher_response(self, args: list[str], message: str | None = None,
                                    **kwargs: Any) -> ExecuteResponseModel:
        # The launcher URI carries an event the launcher reads; creating it needs the server.
        hostcontext.require("creating the launcher event of an action")

    get_launcher_action_response = get_launcher_response
