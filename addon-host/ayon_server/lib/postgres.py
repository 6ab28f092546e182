"""`Postgres`: addons that run SQL against AYON's own tables cannot work here, and say so.

Every attribute of `Postgres` (`fetch`, `execute`, `iterate`, `pool`, `transaction`...) refuses
as soon as it is touched, with the name of what was asked for.
"""

from typing import Any

from ayon_server import hostcontext


class _RefusingType(type):
    def __getattr__(cls, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        hostcontext.refuse_database(f"Postgres.{name}")


class Postgres(metaclass=_RefusingType):
    """AYON's connection pool; there is none in the addon host."""
