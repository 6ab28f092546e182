"""`BaseServerAddon` as the host sees it: metadata, settings models, recorded endpoints."""

from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel
from pydantic.fields import SHAPE_SINGLETON, ModelField

from ayon_server import hostcontext, runtime
from ayon_server.settings.common import BaseSettingsModel


@dataclass(frozen=True)
class EndpointRecord:
    """An endpoint an addon registered: the path under `/api/addons/{name}/{version}/`.

    `method` is an HTTP method or `WEBSOCKET`; `options` are the route's keywords (`response_model`,
    `status_code`, …).
    """

    path: str
    method: str
    name: str
    handler: Callable | None = None
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


class BaseServerAddon:
    """The server part of an addon version, constructed by the host from its package metadata.

    Subclasses set `settings_model` / `site_settings_model`, override `initialize` to register
    endpoints, and may override the settings and action methods below.
    """

    name: str = ""
    version: str = ""
    title: str | None = None
    addon_type: str = "pipeline"
    system: bool = False
    app_host_name: str | None = None
    services: dict[str, Any] = {}
    frontend_scopes: dict[str, Any] = {}
    frontend_modules: dict[str, Any] = {}
    settings_model: type[BaseSettingsModel] | None = None
    site_settings_model: type[BaseSettingsModel] | None = None

    def __init__(self, addon_dir: str, metadata: dict[str, Any]):
        self.addon_dir = addon_dir
        self.name = metadata["name"]
        self.version = metadata["version"]
        self.title = metadata.get("title") or self.title or self.name
        self.services = metadata.get("services") or self.services
        self.app_host_name = metadata.get("app_host_name") or self.app_host_name
        self.endpoints: list[EndpointRecord] = []
        self.restart_requested = False

    # --- lifecycle -------------------------------------------------------------------------------

    def initialize(self) -> None:
        """Registers endpoints and event handlers; runs once after construction."""

    async def pre_setup(self) -> None:
        """Runs after every addon is initialized, before `setup`."""

    async def setup(self) -> None:
        """Runs once the server is up."""

    def request_server_restart(self) -> None:
        self.restart_requested = True

    # --- endpoints -------------------------------------------------------------------------------

    def add_endpoint(
        self,
        path: str,
        handler: Callable,
        *,
        method: str = "GET",
        name: str | None = None,
        description: str | None = None,
        **route_options: Any,
    ) -> None:
        self.endpoints.append(
            EndpointRecord(path.lstrip("/"), method.upper(), name or handler.__name__, handler, route_options)
        )

    def add_router(self, router: Any) -> None:
        for route in getattr(router, "routes", []):
            prefix = getattr(router, "prefix", "")
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                self.endpoints.append(
                    EndpointRecord((prefix + route.path).lstrip("/"), method, route.name,
                                   getattr(route, "endpoint", None), dict(getattr(route, "options", None) or {}))
                )

    # --- settings --------------------------------------------------------------------------------

    def get_settings_model(self) -> type[BaseSettingsModel] | None:
        return self.settings_model

    def get_site_settings_model(self) -> type[BaseSettingsModel] | None:
        return self.site_settings_model

    async def get_default_settings(self) -> BaseSettingsModel | None:
        model = self.get_settings_model()
        return model() if model is not None else None

    async def get_studio_settings(self, variant: str = "production") -> BaseSettingsModel | None:
        context = hostcontext.current()
        if (
            context is not None
            and context.is_for(self)
            and context.studio_settings is not None
            and context.variant_matches(variant)
        ):
            return self._settings_from(context.studio_settings)
        if context is None and (serving := runtime.current()) is not None:
            settings = await serving.as_user(
                "GET", f"/api/addons/{runtime.segment(self.name)}/{runtime.segment(self.version)}/settings",
                query={"variant": variant})
            return self._settings_from(settings)
        hostcontext.require(f"the {variant} studio settings of {self.name} {self.version}")

    async def get_project_settings(
        self, project_name: str, variant: str = "production"
    ) -> BaseSettingsModel | None:
        context = hostcontext.current()
        if (
            context is not None
            and context.is_for(self)
            and context.project_settings is not None
            and context.project_name == project_name
            and context.variant_matches(variant)
        ):
            return self._settings_from(context.project_settings)
        if context is None and (serving := runtime.current()) is not None:
            settings = await serving.as_user(
                "GET", f"/api/addons/{runtime.segment(self.name)}/{runtime.segment(self.version)}"
                f"/settings/{runtime.segment(project_name)}", query={"variant": variant})
            return self._settings_from(settings)
        hostcontext.require(
            f"the {variant} settings of {self.name} {self.version} in project {project_name}"
        )

    def _settings_from(self, effective: dict[str, Any]) -> BaseSettingsModel | None:
        """The settings model filled with effective settings Anvil sent (validated as AYON does)."""
        model = self.get_settings_model()
        return model.parse_obj(effective) if model is not None else None

    async def get_project_site_settings(
        self, project_name: str, user_name: str, site_id: str, variant: str = "production"
    ) -> BaseSettingsModel | None:
        hostcontext.require(f"the project site settings of {self.name} {self.version}")

    async def get_site_settings(self, user_name: str, site_id: str) -> BaseSettingsModel | None:
        hostcontext.require(f"the site settings of {self.name} {self.version}")

    async def on_settings_changed(self, *args: Any, **kwargs: Any) -> None:
        """Called after settings of this addon were saved."""

    async def convert_settings_overrides(
        self, source_version: str, overrides: dict[str, Any]
    ) -> dict[str, Any]:
        """Best effort: keeps the overrides that still fit the model, field by field."""
        model = self.get_settings_model()
        return _overrides_fitting(model, overrides) if model is not None else {}

    # --- what the web UI and the launcher read ---------------------------------------------------

    async def get_frontend_scopes(self) -> dict[str, Any]:
        return self.frontend_scopes

    async def get_frontend_modules(self) -> dict[str, Any]:
        return self.frontend_modules

    def get_app_host_names(self) -> list[str]:
        return [self.app_host_name] if self.app_host_name else []

    # --- actions ---------------------------------------------------------------------------------

    async def get_simple_actions(
        self, project_name: str | None = None, variant: str = "production"
    ) -> list:
        return []

    async def get_dynamic_actions(self, context: Any, variant: str = "production") -> list:
        return []

    async def execute_action(self, executor: Any) -> Any:
        from ayon_server.exceptions import NotFoundException

        raise NotFoundException(f"{self.name} {self.version} has no action {executor.identifier}")

    async def create_action_config_hash(self, identifier: str, context: Any, user: Any, variant: str) -> str:
        """The key one user's options of one action in one context are stored under."""
        from ayon_server.utils import hash_data

        return hash_data([user.name, self.name, self.version, identifier, variant,
                          context.project_name, context.entity_type, sorted(context.entity_ids or [])])

    async def get_action_config(self, identifier: str, context: Any, user: Any, variant: str) -> dict[str, Any]:
        from ayon_server.actions.config import get_action_config

        return await get_action_config(await self.create_action_config_hash(identifier, context, user, variant))

    async def set_action_config(self, identifier: str, context: Any, user: Any, variant: str,
                                config: dict[str, Any]) -> None:
        from ayon_server.actions.config import set_action_config

        await set_action_config(
            await self.create_action_config_hash(identifier, context, user, variant), config,
            addon_name=self.name, addon_version=self.version, identifier=identifier,
            project_name=context.project_name, user_name=user.name)


def _overrides_fitting(model: type[BaseModel], overrides: dict[str, Any]) -> dict[str, Any]:
    fields_by_key: dict[str, ModelField] = {}
    for field in model.__fields__.values():
        fields_by_key[field.name] = field
        fields_by_key[field.alias] = field
    fitting: dict[str, Any] = {}
    for key, value in overrides.items():
        field = fields_by_key.get(key)
        if field is None:
            continue
        if _is_sub_model(field) and isinstance(value, dict):
            fitting[key] = _overrides_fitting(field.type_, value)
            continue
        _, errors = field.validate(value, {}, loc=key, cls=model)
        if not errors:
            fitting[key] = value
    return fitting


def _is_sub_model(field: ModelField) -> bool:
    return (
        field.shape == SHAPE_SINGLETON
        and isinstance(field.type_, type)
        and issubclass(field.type_, BaseModel)
    )
