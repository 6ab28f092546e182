"""Entities as addon code reads and writes them: through Anvil's REST API as the forwarded user.

`ProjectEntity.load(name)`, `FolderEntity.load(project, id)`, … answer objects whose attributes
are the entity's fields in snake_case (`task_type`, `folder_id`, `task_types`), with `attrib` and
`data` as in AYON. Anvil's own access rules apply: a user who may not read the entity gets
AYON's 403/404.

Writes go through Anvil's one write path, the REST routes of the operations pipeline:
`FolderEntity(project_name=…, payload={…})` then `save()` creates (`POST`), a loaded entity whose
fields or `attrib` values were changed saves only what changed (`PATCH`), `delete()` deletes. They
act as the forwarded user (in an event handler: the host itself); what Anvil refuses arrives as
AYON's exceptions (`BadRequestException` naming the field, `ConflictException`, …).
"""

import copy
from typing import Any
from uuid import uuid4

from ayon_server import hostcontext, runtime
from ayon_server._stubs import NotAvailableInAddonHost, stub_attribute
from ayon_server.entities.user import UserEntity

__all__ = [
    "FolderEntity", "ProductEntity", "ProjectEntity", "RepresentationEntity", "TaskEntity", "UserEntity",
    "VersionEntity", "WorkfileEntity",
]


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


_READ_ONLY = frozenset({
    "id", "ownAttrib", "inheritedAttrib", "path", "parents", "createdAt", "updatedAt", "hasChildren", "hasTasks",
    "hasProducts", "hasVersions", "hasReviewables", "childCount", "projectName", "entityType",
})
"""Fields Anvil computes; a change to them (kitsu appends to `own_attrib`) is never sent."""


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What a PATCH must carry: changed top-level fields, and of `attrib` only the changed values."""
    body: dict[str, Any] = {}
    for key, value in after.items():
        if key in _READ_ONLY or before.get(key) == value and key in before:
            continue
        if key == "attrib" and isinstance(value, dict):
            old = before.get("attrib") or {}
            changed = {k: v for k, v in value.items() if k not in old or old[k] != v}
            if changed:
                body["attrib"] = changed
            continue
        body[key] = value
    return body


class Fields:
    """A JSON object with attribute access (`attrib.fps`), snake_case names mapped to camelCase keys."""

    def __init__(self, values: dict[str, Any]):
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        camel = _camel(name)
        if camel in values:
            return values[camel]
        if name.startswith("_"):
            raise AttributeError(name)
        return None

    def __setattr__(self, name: str, value: Any) -> None:
        """`entity.attrib.fps = 25` writes into the entity (attribute names are kept as they are)."""
        object.__getattribute__(self, "_values")[name] = value

    def get(self, key: str, default: Any = None) -> Any:
        return object.__getattribute__(self, "_values").get(key, default)

    def dict(self, **options: Any) -> dict[str, Any]:
        return dict(object.__getattribute__(self, "_values"))

    def __iter__(self):
        return iter(object.__getattribute__(self, "_values").items())


class ApiEntity:
    entity_type = ""
    collection = ""

    _own = frozenset({"project_name", "exists"})

    def __init__(self, project_name: str | None, payload: dict[str, Any], exists: bool = False, validate: bool = True,
                 **options: Any):
        """`payload` as AYON's models take it (`folder_type`, `parent_id`) or as Anvil's REST answers it."""
        object.__setattr__(self, "project_name", project_name)
        object.__setattr__(self, "exists", exists)
        object.__setattr__(self, "_payload", {_camel(k): v for k, v in (payload or {}).items()})
        object.__setattr__(self, "_saved", copy.deepcopy(self._payload) if exists else {})

    @classmethod
    async def load(cls, project_name: str, entity_id: str, **options: Any) -> "ApiEntity":
        serving = _serving(f"loading a {cls.entity_type}")
        payload = await serving.as_user(
            "GET", f"/api/projects/{runtime.segment(project_name)}/{cls.collection}/{runtime.segment(entity_id)}")
        return cls(project_name, payload, exists=True)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name in self._own:
            object.__setattr__(self, name, value)
        else:
            self._payload[_camel(name)] = value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        payload = self.__dict__["_payload"]
        for key in (_camel(name), name):
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
        if not isinstance(self._payload.get("attrib"), dict):
            self._payload["attrib"] = {}
        return Fields(self._payload["attrib"])

    @property
    def data(self) -> dict[str, Any]:
        if not isinstance(self._payload.get("data"), dict):
            self._payload["data"] = {}
        return self._payload["data"]

    @property
    def own_attrib(self) -> list[str]:
        if not isinstance(self._payload.get("ownAttrib"), list):
            self._payload["ownAttrib"] = []
        return self._payload["ownAttrib"]

    @property
    def payload(self) -> Fields:
        return Fields({_snake(k): v for k, v in self._payload.items()})

    def dict(self, **options: Any) -> dict[str, Any]:
        return {_snake(k): v for k, v in self._payload.items()}

    def as_user(self, user: Any) -> "ApiEntity":
        return self

    def ensure_read_access(self, user: Any) -> None:
        """Loaded as the forwarded user: Anvil already refused what they may not read."""

    async def ensure_create_access(self, user: Any, **options: Any) -> None:
        """Written as the forwarded user: Anvil refuses what they may not write when it is saved."""

    async def ensure_update_access(self, user: Any, **options: Any) -> None:
        """As `ensure_create_access`."""

    async def ensure_delete_access(self, user: Any, **options: Any) -> None:
        """As `ensure_create_access`."""

    def _url(self, with_id: bool = True) -> str:
        base = f"/api/projects/{runtime.segment(self.project_name)}/{self.collection}"
        return f"{base}/{runtime.segment(self.id)}" if with_id else base

    async def save(self, *args: Any, **kwargs: Any) -> bool:
        """Creates the entity, or sends what changed since it was loaded or saved; True when anything was written."""
        serving = _serving(f"saving a {self.entity_type}")
        if not self.exists:
            self._payload.setdefault("id", uuid4().hex)
            body = {k: v for k, v in self._payload.items() if k not in _READ_ONLY or k == "id"}
            created = await serving.as_user("POST", self._url(with_id=False), body=body)
            if isinstance(created, dict) and created.get("id"):
                self._payload["id"] = created["id"]
            self.exists = True
        else:
            body = _changes(self._saved, self._payload)
            if not body:
                return False
            await serving.as_user("PATCH", self._url(), body=body)
        self._saved = copy.deepcopy(self._payload)
        return True

    async def delete(self, *args: Any, **kwargs: Any) -> bool:
        if not self.exists or not self.id:
            raise NotAvailableInAddonHost(f"this {self.entity_type} was never saved, so it cannot be deleted")
        await _serving(f"deleting a {self.entity_type}").as_user("DELETE", self._url())
        self.exists = False
        return True


class ProjectEntity(ApiEntity):
    entity_type = "project"

    def __init__(self, payload: dict[str, Any], exists: bool = False, validate: bool = True, **options: Any):
        super().__init__(payload.get("name"), payload, exists=exists)

    @classmethod
    async def load(cls, name: str, **options: Any) -> "ProjectEntity":  # type: ignore[override]
        serving = _serving("loading a project")
        return cls(await serving.as_user("GET", f"/api/projects/{runtime.segment(name)}"), exists=True)

    def _url(self, with_id: bool = True) -> str:
        return f"/api/projects/{runtime.segment(self.project_name)}"

    async def save(self, *args: Any, **kwargs: Any) -> bool:
        """Sends what changed (`attrib`, `data`, `task_types`, `statuses`, …) with `PATCH /api/projects/{name}`."""
        if not self.exists:
            raise NotAvailableInAddonHost("creating a project is not available in Anvil's addon host")
        return await super().save()

    async def delete(self, *args: Any, **kwargs: Any) -> bool:
        raise NotAvailableInAddonHost("deleting a project is not available in Anvil's addon host")


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
