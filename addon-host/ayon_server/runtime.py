"""The live server behind the HTTP host: Anvil's own API, reached with the host's credential.

The HTTP host (`python3 -m anvil_addon_host serve-http`) gets Anvil's address and a key from its
environment (`ANVIL_API_URL`, `ANVIL_HOST_KEY`). Addon code never sees a database: settings,
bundles, anatomy, entities, events and secrets are read and written through Anvil's REST API,
as the user Anvil forwarded with the request (`X-As-User`, so Anvil's access rules apply to
what the addon reads) or, where AYON's server would act as itself (secrets, the launcher event),
as the host's own service identity.
"""

import asyncio
import json
import os
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator
from urllib.parse import quote, urlencode, urlsplit

from ayon_server.exceptions import (
    AyonException,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    UnauthorizedException,
)

CALL_TIMEOUT_SECONDS = 30


class AnvilApiError(AyonException):
    """Anvil answered a call of the runtime with an error; its status and detail travel on."""


_ERRORS = {400: BadRequestException, 401: UnauthorizedException, 403: ForbiddenException,
           404: NotFoundException, 409: ConflictException}


class AnvilApi:
    """A small HTTP/1.1 client for Anvil's API on loopback (no third-party client needed)."""

    def __init__(self, base_url: str, host_key: str):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"ANVIL_API_URL must be an http:// address, not {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.host_key = host_key

    async def call(self, method: str, path: str, *, query: dict[str, Any] | None = None, body: Any = None,
                   user: str | None = None, allow_404: bool = False) -> Any:
        """JSON in, JSON out; `user` is whom Anvil should act for (None: the host's service identity)."""
        target = self.prefix + path
        if query:
            target += "?" + urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        payload = b"" if body is None else json.dumps(body, default=str).encode("utf-8")
        headers = [
            f"{method} {target} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"X-Anvil-Host-Key: {self.host_key}",
            "Accept: application/json",
            "Connection: close",
            f"Content-Length: {len(payload)}",
        ]
        if body is not None:
            headers.append("Content-Type: application/json")
        if user:
            headers.append(f"X-As-User: {user}")
        status, text = await asyncio.wait_for(self._exchange("\r\n".join(headers).encode() + b"\r\n\r\n" + payload),
                                              CALL_TIMEOUT_SECONDS)
        data = json.loads(text) if text.strip() else None
        if status == 404 and allow_404:
            return None
        if status >= 400:
            detail = data.get("detail") if isinstance(data, dict) else None
            error = _ERRORS.get(status, AnvilApiError)(detail or f"Anvil answered {status} to {method} {path}")
            error.status = status
            raise error
        return data

    async def _exchange(self, request: bytes) -> tuple[int, str]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length: int | None = None
            chunked = False
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip())
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
            if chunked:
                body = bytearray()
                while True:
                    size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        break
                    body += await reader.readexactly(size)
                    await reader.readline()
            elif length is not None:
                body = await reader.readexactly(length)
            else:
                body = await reader.read()
            return status, bytes(body).decode("utf-8")
        finally:
            writer.close()


class Serving:
    """Who a request of the HTTP host is for: the forwarded user (a dict as Anvil sent it)."""

    def __init__(self, api: AnvilApi, user: dict[str, Any] | None, server_url: str | None = None):
        self.api = api
        self.user = user
        self.server_url = server_url

    @property
    def user_name(self) -> str | None:
        return self.user.get("name") if self.user else None

    async def as_user(self, method: str, path: str, **options: Any) -> Any:
        return await self.api.call(method, path, user=self.user_name, **options)

    async def as_host(self, method: str, path: str, **options: Any) -> Any:
        return await self.api.call(method, path, user=None, **options)


_api: AnvilApi | None = None
_serving: ContextVar[Serving | None] = ContextVar("anvil_serving", default=None)


def configure_from_environment() -> AnvilApi:
    global _api
    _api = AnvilApi(os.environ["ANVIL_API_URL"], os.environ["ANVIL_HOST_KEY"])
    return _api


def api() -> AnvilApi | None:
    return _api


def current() -> Serving | None:
    """The request being served by the HTTP host, or None (exports and the JSON-line host)."""
    serving = _serving.get()
    if serving is None and _api is not None:
        # Work the addon started outside a request (an event handler, a task) acts as the host.
        return Serving(_api, None)
    return serving


@contextmanager
def serving(value: Serving) -> Iterator[Serving]:
    token = _serving.set(value)
    try:
        yield value
    finally:
        _serving.reset(token)


def segment(value: str) -> str:
    """One path segment, escaped."""
    return quote(str(value), safe="")
