"""`ActionContext`: where a web action was invoked."""

from typing import Any

from ayon_server.types import Field, OPModel


class ActionContext(OPModel):
    project_name: str | None = None
    entity_type: str | None = None
    entity_subtypes: list[str] | None = None
    entity_ids: list[str] | None = None
    form_data: dict[str, Any] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
