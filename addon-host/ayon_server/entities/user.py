"""`UserEntity`: the user Anvil authenticated and forwarded with the request, or one loaded by name."""

from typing import Any

from ayon_server import hostcontext, runtime
from ayon_server.exceptions import ForbiddenException


class UserEntity:
    entity_type = "user"

    def __init__(self, payload: dict[str, Any]):
        self._payload = payload
        self.name: str = payload.get("name", "")
        self.attrib = _Attrib(payload.get("attrib") or {})
        self.data: dict[str, Any] = payload.get("data") or {}
        self.active: bool = payload.get("active", True)

    @classmethod
    async def load(cls, name: str, **options: Any) -> "UserEntity":
        serving = runtime.current() if hostcontext.current() is None else None
        if serving is None:
            hostcontext.require(f"loading the user {name}")
        return cls(await serving.as_user("GET", f"/api/users/{runtime.segment(name)}"))

    @property
    def is_admin(self) -> bool:
        return bool(self.data.get("isAdmin"))

    @property
    def is_service(self) -> bool:
        return bool(self.data.get("isService"))

    @property
    def is_manager(self) -> bool:
        return bool(self.data.get("isManager")) or self.is_admin or self.is_service

    @property
    def is_guest(self) -> bool:
        return bool(self.data.get("isGuest"))

    @property
    def is_developer(self) -> bool:
        return bool(self.data.get("isDeveloper"))

    @property
    def access_groups(self) -> dict[str, list[str]]:
        return self.data.get("accessGroups") or {}

    def check_project_access(self, project_name: str) -> None:
        if self.is_manager:
            return
        if project_name.lower() not in {name.lower() for name in self.access_groups}:
            raise ForbiddenException(f"{self.name} has no access to project {project_name}")

    ensure_project_access = check_project_access

    @property
    def payload(self) -> dict[str, Any]:
        return dict(self._payload)

    def dict(self, **options: Any) -> dict[str, Any]:
        return self.payload

    def __repr__(self) -> str:
        return f"<UserEntity {self.name}>"


class _Attrib:
    def __init__(self, values: dict[str, Any]):
        self.__dict__.update({"_values": values})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        head, *rest = name.split("_")
        return self._values.get(head + "".join(w[:1].upper() + w[1:] for w in rest), self._values.get(name))

    def dict(self, **options: Any) -> dict[str, Any]:
        return dict(self._values)
