"""Request dependencies used in endpoint signatures; in the host they only need to exist."""

from typing import Annotated

from ayon_server._stubs import make_stub, stub_attribute

UserEntity = make_stub("ayon_server.entities.UserEntity")

CurrentUser = Annotated[UserEntity, "the user Anvil authenticated and forwarded"]


def __getattr__(name: str):
    return stub_attribute(__name__, name)
