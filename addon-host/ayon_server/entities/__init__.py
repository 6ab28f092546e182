"""Entities as addon code reads them: loaded through Anvil's REST API as the forwarded user.

`ProjectEntity.load(name)`, `FolderEntity.load(project, id)`, … answer objects whose attributes
are the entity's fields in snake_case (`task_type`, `folder_id`, `task_types`), with `attrib` and
`data` as in AYON. Anvil's own access rules apply: a user who may not read the entity gets
AYON's 403/404. Writing entities from addon code (`save`, `delete`) is not available.
"""

from typing import Any

from ayon_server import hostcontext, runtime
from ayon_server._stubs import NotAvailableInAddonHost, stub_attribute
from ayon_server.entities.user import UserEntity

__all__ = [
    "FolderEntity", "ProductEntity", "ProjectEntity", "RepresentationEntity", "TaskEntity", "UserEntity",
    "VersionEntity", "WorkfileEntity",
]


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


class Fields:
    """A JSON object with attribute access (`attrib.fps`), snake_case names mapped to camelCase keys."""

    def __init__(self, values: dict[str, Any]):
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        head, *rest = name.split("_")
        camel = head + "".join(word[:1].upper() + word[1:] for word in rest)
        if camel in values:
            return values[camel]
        if name.startswith("_"):
            raise AttributeError(name)
        return None

    def get(self, key: str, default: Any = None) -> Any:
        return object.__getattribute__(self, "_values").get(key, default)

    def dict(self, **options: Any) -> dict[str, Any]:
        return dict(object.__getattribute__(self, "_values"))

    def __iter__(self):
        return iter(object.__getattribute__(self, "_values").items())


class ApiEntity:
    entity_type = ""
    collection = ""

    def __init__(self, project_name: str | None, payload: dict[str, Any]):
        self.project_name = project_name
        self._payload = payload

    @classmethod
    async def load(cls, project_name: str, entity_id: str, **options: Any) -> "ApiEntity":
        serving = _serving(f"loading a {cls.entity_type}")
        payload = await serving.as_user(
            "GET", f"/api/projects/{runtime.segment(project_name)}/{cls.collection}/{runtime.segment(entity_id)}")
        return cls(project_name, payload)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        payload = self.__dict__["_payload"]
        head, *rest = name.split("_")
        camel = head + "".join(word[:1].upper() + word[1:] for word in rest)
        for key in (camel, name):
            if key in payload:
                value = payload[key]
                return Fields(value) if key == "attrib" and isinstance(value, dict) else value
        return None

    @property
    def id(self) -> str | None:  # noqa: A003
        return self._payload.get("id")

    @property
    def name(self) -> str | None:
        return self._payload.get("name")

    @property
    def attrib(self) -> Fields:
        return Fields(self._payload.get("attrib") or {})

    @property
    def data(self) -> dict[str, Any]:
        return self._payload.get("data") or {}

    @property
    def payload(self) -> Fields:
        return Fields({_snake(k): v for k, v in self._payload.items()})

    def dict(self, **options: Any) -> dict[str, Any]:
        return {_snake(k): v for k, v in self._payload.items()}

    def as_user(self, user: Any) -> "ApiEntity":
        return self

    def ensure_read_access(self, user: Any) -> None:
        """Loaded as the forwarded user: Anvil already refused what they may not read."""

    async def save(self, *args: Any, **kwargs: Any) -> None:
        raise NotAvailableInAddonHost(f"saving a {self.entity_type} is not available in Anvil's addon host")

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise NotAvailableInAddonHost(f"deleting a {self.entity_type} is not available in Anvil's addon host")


class ProjectEntity(ApiEntity):
    entity_type = "project"

    def __init__(self, payload: dict[str, Any]):
        super().__init__(payload.get("name"), payload)

    @classmethod
    async def load(cls, name: str, **options: Any) -> "ProjectEntity":  # type: ignore[override]
        serving = _serving("loading a project")
        return cls(await serving.as_user("GET", f"/api/projects/{runtime.segment(name)}"))


class FolderEntity(ApiEntity):
    entity_type, collection = "folder", "folders"


class TaskEntity(ApiEntity):
    entity_type, collection = "task", "tasks"


class ProductEntity(ApiEntity):
    entity_type, collection = "product", "products"


class VersionEntity(ApiEntity):
    entity_type, collection = "version", "versions"


class RepresentationEntity(ApiEntity):
    entity_type, collection = "representation", "representations"


class WorkfileEntity(ApiEntity):
    entity_type, collection = "workfile", "workfiles"


def _serving(what: str) -> runtime.Serving:
    serving = runtime.current() if hostcontext.current() is None else None
    if serving is None:
        hostcontext.require(what)
    return serving


def __getattr__(name: str) -> Any:
    return stub_attribute(__name__, name)
