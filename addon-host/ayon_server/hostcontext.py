"""What the addon host knows about the server around it, and the record of who asked.

Anything an addon reads from the live server (its own studio or project settings, a project's
anatomy, the primary anatomy preset, secrets, bundles) goes through this module. An export has no
such data: `require` records what was asked for and raises `ContextUnavailable`; the enum
classification uses the record to tell a static resolver from a context-dependent one.

The live host (`python3 -m anvil_addon_host serve`) has no database either: Anvil sends, with each
request, everything a resolver may read (a `RequestContext`). The facades look there first
(`current()`), and still raise `ContextUnavailable`, naming what was missing, when the request does
not carry it. Raw SQL against AYON's database never works here; `refuse_database` says so.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ayon_server._stubs import NotAvailableInAddonHost


class ContextUnavailable(RuntimeError):
    """An addon asked for live server data that the host does not have (in this request)."""


@dataclass(frozen=True)
class RequestContext:
    """What Anvil sent with one live-host request: the addon it is about and the data resolvers read.

    `studio_settings` / `project_settings` are the addon's effective settings (JSON) for
    `settings_variant`; `anatomy` is the project's anatomy when `project_name` is set, otherwise the
    primary anatomy preset. None means "not sent".
    """

    addon_name: str
    addon_version: str
    project_name: str | None = None
    settings_variant: str | None = None
    site_id: str | None = None
    user_name: str | None = None
    studio_settings: dict[str, Any] | None = None
    project_settings: dict[str, Any] | None = None
    anatomy: dict[str, Any] | None = None
    secret_names: list[str] | None = field(default=None)

    def is_for(self, addon: Any) -> bool:
        return getattr(addon, "name", None) == self.addon_name and getattr(addon, "version", None) == self.addon_version

    def variant_matches(self, variant: str | None) -> bool:
        return variant is None or self.settings_variant is None or variant == self.settings_variant


_current: ContextVar[RequestContext | None] = ContextVar("anvil_request_context", default=None)


def current() -> RequestContext | None:
    """The context of the request being served, or None (always None in an export)."""
    return _current.get()


@contextmanager
def serving(context: RequestContext) -> Iterator[RequestContext]:
    """Makes `context` the current one for the block (one live-host request)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


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
    """Called by every facade whose live data is not at hand; `what` names that data."""
    _record(what)
    if current() is None:
        raise ContextUnavailable(f"{what} is not available while Anvil exports an addon")
    raise ContextUnavailable(f"{what} is not available: Anvil did not send it with this request")


def refuse_database(operation: str) -> NoReturn:
    _record("AYON's database")
    raise NotAvailableInAddonHost(
        f"{operation} is not available in Anvil's addon host: this needs AYON's own database"
    )
