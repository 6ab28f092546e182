"""Studio secrets, which live in Anvil and never reach an export.

The HTTP host reads them through Anvil's `GET /api/secrets/{name}` as its own service identity
(admins and service users may read secret values); names through `GET /api/secrets`.
"""

from ayon_server import hostcontext, runtime


def _serving() -> runtime.Serving | None:
    return runtime.current() if hostcontext.current() is None else None


class Secrets:
    @classmethod
    async def get(cls, name: str) -> str | None:
        if (serving := _serving()) is not None:
            secret = await serving.as_host("GET", f"/api/secrets/{runtime.segment(name)}", allow_404=True)
            return None if secret is None else secret.get("value")
        hostcontext.require(f"the secret {name}")

    @classmethod
    async def all(cls) -> dict[str, str]:
        if (serving := _serving()) is not None:
            listed = await serving.as_host("GET", "/api/secrets")
            names = [item["name"] if isinstance(item, dict) else item for item in listed or []]
            return {name: value for name in names if (value := await cls.get(name)) is not None}
        hostcontext.require("the secrets")

    @classmethod
    async def set(cls, name: str, value: str) -> None:
        if (serving := _serving()) is not None:
            await serving.as_host("PUT", f"/api/secrets/{runtime.segment(name)}", body={"value": value})
            return
        hostcontext.require(f"storing the secret {name}")

    @classmethod
    async def delete(cls, name: str) -> None:
        if (serving := _serving()) is not None:
            await serving.as_host("DELETE", f"/api/secrets/{runtime.segment(name)}")
            return
        hostcontext.require(f"deleting the secret {name}")
