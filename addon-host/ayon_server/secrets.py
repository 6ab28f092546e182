"""Studio secrets, which live in Anvil and never reach an export."""

from ayon_server import hostcontext


class Secrets:
    @classmethod
    async def get(cls, name: str) -> str | None:
        hostcontext.require(f"the secret {name}")

    @classmethod
    async def all(cls) -> dict[str, str]:
        hostcontext.require("the secrets")

    @classmethod
    async def set(cls, name: str, value: str) -> None:
        hostcontext.require(f"storing the secret {name}")

    @classmethod
    async def delete(cls, name: str) -> None:
        hostcontext.require(f"deleting the secret {name}")
