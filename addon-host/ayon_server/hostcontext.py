"""What the addon host knows about the server around it, and the record of who asked.

Anything an addon reads from the live server (its own studio or project settings, a project's
anatomy, the primary anatomy preset, secrets, bundles) goes through `require`. An export has no
such context: `require` records what was asked for and raises `ContextUnavailable`. The enum
classification uses the record to tell a static resolver from a context-dependent one. Raw SQL
against AYON's database never works here; `refuse_database` says so.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from ayon_server._stubs import NotAvailableInAddonHost


class ContextUnavailable(RuntimeError):
    """An addon asked for live server data that an export does not have."""


_recordings: list[list[str]] = []


@contextmanager
def recording() -> Iterator[list[str]]:
    """Collects every context access made inside the block (the list is filled as it runs)."""
    accesses: list[str] = []
    _recordings.append(accesses)
    try:
        yield accesses
    finally:
        _recordings.remove(accesses)


def _record(what: str) -> None:
    for accesses in _recordings:
        accesses.append(what)


def require(what: str) -> NoReturn:
    """Called by every facade that needs live data from Anvil; `what` names that data."""
    _record(what)
    raise ContextUnavailable(f"{what} is not available while Anvil exports an addon")


def refuse_database(operation: str) -> NoReturn:
    _record("AYON's database")
    raise NotAvailableInAddonHost(
        f"{operation} is not available in Anvil's addon host: this needs AYON's own database"
    )
