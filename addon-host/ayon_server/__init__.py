"""Anvil's own, clean-room stand-in for the `ayon_server` package that AYON addons import.

Written from the names, call shapes and output formats that real addons rely on
(docs/addon-host.md), never from AYON's server code. It runs inside Anvil's addon host, a
separate Python process with no database, no Redis and no secrets: whatever needs AYON's own
database refuses with a clear message, whatever needs Anvil's data goes through `hostcontext`,
and any `ayon_server` name this package does not define resolves to a recorded stub (`_stubs`).
"""

from ayon_server import _pydantic_alias  # noqa: F401  (must run before anything imports pydantic)
from ayon_server._stubs import install_stub_finder

AYON_SERVER_VERSION = "1.16.0"
"""The AYON server version this package emulates; addons gate features on it."""

__version__ = AYON_SERVER_VERSION

install_stub_finder()
