"""The FastAPI names addon code imports, served by the host's own routing (`anvil_addon_host.routing`).

Parameter markers (`Query`, `Path`, `Body`, `Form`, `File`, `Header`, `Depends`) carry their default
and options; the routing reads them from the endpoint's signature, plain or inside `Annotated[...]`.
`APIRouter` keeps its routes with their endpoints and options (`response_model`, `status_code`, …)
so that `add_router` can serve them, websocket routes included (`fastapi.websockets`).
"""

import json
import tempfile
from typing import Any, AsyncIterator, Callable

from fastapi import status  # noqa: F401  (addons use fastapi.status.HTTP_…)
from fastapi.websockets import WebSocket, WebSocketDisconnect, WebSocketState  # noqa: F401
from fastapi.responses import (  # noqa: F401
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

__all__ = [
    "APIRouter", "BackgroundTasks", "Body", "Cookie", "Depends", "File", "Form", "Header", "HTTPException",
    "Path", "Query", "Request", "Response", "UploadFile", "WebSocket", "WebSocketDisconnect", "status",
]


class Parameter:
    """Where an endpoint parameter comes from (`kind`), its default (`...`: required) and options."""

    kind = "query"

    def __init__(self, default: Any = ..., *, alias: str | None = None, **options: Any):
        self.default = default
        self.alias = alias
        self.options = options


class _Query(Parameter):
    kind = "query"


class _Path(Parameter):
    kind = "path"


class _Body(Parameter):
    kind = "body"


class _Form(Parameter):
    kind = "form"


class _File(Parameter):
    kind = "file"


class _Header(Parameter):
    kind = "header"


class _Cookie(Parameter):
    kind = "cookie"


class _Depends(Parameter):
    kind = "depends"

    def __init__(self, dependency: Callable | None = None, **options: Any):
        super().__init__(None, **options)
        self.dependency = dependency


def Query(default: Any = ..., **options: Any) -> Any:  # noqa: N802  (FastAPI's names)
    return _Query(default, **options)


def Path(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    return _Path(default, **options)


def Body(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    return _Body(default, **options)


def Form(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    return _Form(default, **options)


def File(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    return _File(default, **options)


def Header(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    return _Header(default, **options)


def Cookie(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    return _Cookie(default, **options)


def Depends(dependency: Callable | None = None, **options: Any) -> Any:  # noqa: N802
    return _Depends(dependency, **options)


class HTTPException(Exception):
    def __init__(self, status_code: int, detail: Any = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers


class Headers(dict):
    """Request headers, looked up without regard to case."""

    def __init__(self, pairs: list[tuple[str, str]]):
        super().__init__((name.lower(), value) for name, value in pairs)

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class QueryParams(dict):
    """The query string: `params[name]` is the last value, `getlist(name)` all of them."""

    def __init__(self, pairs: list[tuple[str, str]]):
        super().__init__()
        self._pairs = pairs
        for name, value in pairs:
            self[name] = value

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


class URL:
    def __init__(self, path: str, query: str):
        self.path = path
        self.query = query

    def __str__(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")


class State:
    """`request.state`: free attributes."""


class Client:
    def __init__(self, host: str):
        self.host = host
        self.port = 0


class Request:
    """One HTTP request as the addon sees it. The body streams in as it is read (`stream()`), or is read
    whole once and kept (`body()`, `json()`), or read as a form (`form()`)."""

    def __init__(self, method: str, path: str, query: str, headers: list[tuple[str, str]],
                 body_reader: Callable[[], AsyncIterator[bytes]], path_params: dict[str, str] | None = None,
                 client_host: str = "127.0.0.1"):
        from urllib.parse import parse_qsl

        self.method = method
        self.url = URL(path, query)
        self.headers = Headers(headers)
        self.query_params = QueryParams(parse_qsl(query, keep_blank_values=True))
        self.path_params = path_params or {}
        self.cookies: dict[str, str] = {}
        self.state = State()
        self.client = Client(client_host)
        self.scope: dict[str, Any] = {"type": "http", "method": method, "path": path}
        self._body_reader = body_reader
        self._body: bytes | None = None
        self._form: Any = None

    async def stream(self) -> AsyncIterator[bytes]:
        if self._body is not None:
            yield self._body
            return
        async for chunk in self._body_reader():
            yield chunk

    async def body(self) -> bytes:
        if self._body is None:
            self._body = b"".join([chunk async for chunk in self._body_reader()])
        return self._body

    async def json(self) -> Any:
        return json.loads(await self.body() or b"null")

    async def form(self) -> Any:
        """The form body (`anvil_addon_host.forms`), read once; its files are closed with the request."""
        if self._form is None:
            from anvil_addon_host.forms import read_form

            self._form = await read_form(self.headers.get("content-type", ""), self.stream())
        return self._form

    async def close(self) -> None:
        if self._form is not None:
            await self._form.close()


class UploadFile:
    """An uploaded file of a form: its content in a spooled temporary file (memory up to 1 MiB, then disk)."""

    SPOOL_BYTES = 1024 * 1024

    def __init__(self, file: Any = None, *, size: int | None = None, filename: str | None = None,
                 headers: dict[str, str] | None = None, content_type: str | None = None):
        self.file = file if file is not None else tempfile.SpooledTemporaryFile(max_size=self.SPOOL_BYTES)
        self.size = size
        self.filename = filename
        self.headers = Headers(list((headers or {}).items()))
        self.content_type = content_type or self.headers.get("content-type") or "application/octet-stream"

    async def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    async def write(self, data: bytes) -> None:
        if self.size is not None:
            self.size += len(data)
        self.file.write(data)

    async def seek(self, offset: int) -> None:
        self.file.seek(offset)

    async def close(self) -> None:
        self.file.close()

    def __repr__(self) -> str:
        return f"UploadFile(filename={self.filename!r}, size={self.size!r}, content_type={self.content_type!r})"


class BackgroundTasks:
    """Tasks run after the response is sent (here: right after the endpoint returns)."""

    def __init__(self) -> None:
        self.tasks: list[tuple[Callable, tuple, dict]] = []

    def add_task(self, func: Callable, *args: Any, **kwargs: Any) -> None:
        self.tasks.append((func, args, kwargs))


WEBSOCKET = "WEBSOCKET"


class APIRoute:
    """A route: its methods are HTTP methods, or `{"WEBSOCKET"}` for a websocket route."""

    def __init__(self, path: str, endpoint: Callable, methods: set[str], name: str, options: dict[str, Any]):
        self.path = path
        self.endpoint = endpoint
        self.methods = methods
        self.name = name
        self.options = options


class APIRouter:
    def __init__(self, prefix: str = "", **options: Any):
        self.prefix = prefix
        self.options = options
        self.routes: list[APIRoute] = []

    def add_api_route(self, path: str, endpoint: Callable, *, methods: list[str] | None = None,
                      name: str | None = None, **options: Any) -> None:
        self.routes.append(APIRoute(path, endpoint, {m.upper() for m in (methods or ["GET"])},
                                    name or endpoint.__name__, options))

    def include_router(self, router: "APIRouter", prefix: str = "", **options: Any) -> None:
        for route in router.routes:
            self.routes.append(APIRoute(prefix + router.prefix + route.path, route.endpoint, route.methods,
                                        route.name, route.options))

    def add_api_websocket_route(self, path: str, endpoint: Callable, name: str | None = None, **options: Any) -> None:
        self.routes.append(APIRoute(path, endpoint, {WEBSOCKET}, name or endpoint.__name__, options))

    add_websocket_route = add_api_websocket_route

    def websocket(self, path: str, name: str | None = None, **options: Any) -> Callable:
        def register(endpoint: Callable) -> Callable:
            self.add_api_websocket_route(path, endpoint, name=name, **options)
            return endpoint

        return register

    websocket_route = websocket

    def api_route(self, path: str, *, methods: list[str] | None = None, **options: Any) -> Callable:
        def register(endpoint: Callable) -> Callable:
            self.add_api_route(path, endpoint, methods=methods, **options)
            return endpoint

        return register

    def get(self, path: str, **options: Any) -> Callable:
        return self.api_route(path, methods=["GET"], **options)

    def post(self, path: str, **options: Any) -> Callable:
        return self.api_route(path, methods=["POST"], **options)

    def put(self, path: str, **options: Any) -> Callable:
        return self.api_route(path, methods=["PUT"], **options)

    def patch(self, path: str, **options: Any) -> Callable:
        return self.api_route(path, methods=["PATCH"], **options)

    def delete(self, path: str, **options: Any) -> Callable:
        return self.api_route(path, methods=["DELETE"], **options)

    def head(self, path: str, **options: Any) -> Callable:
        return self.api_route(path, methods=["HEAD"], **options)
