"""Request dependencies used in endpoint signatures, as the host's routing fills them."""

from typing import Annotated

from ayon_server._stubs import stub_attribute
from ayon_server.entities.user import UserEntity

CURRENT_USER = "the user Anvil authenticated and forwarded"

CurrentUser = Annotated[UserEntity, CURRENT_USER]
"""The user Anvil authenticated; the routing passes the forwarded user (never from the request body)."""

CurrentUserOptional = Annotated[UserEntity | None, CURRENT_USER]


def __getattr__(name: str):
    return stub_attribute(__name__, name)
