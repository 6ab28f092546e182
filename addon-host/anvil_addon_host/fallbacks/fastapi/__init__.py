"""A stand-in for the parts of FastAPI that addons use at import time.

Parameter markers (`Query`, `Path`, `Body`, `Header`, `Depends`) only record their arguments,
`APIRouter` records its routes, and the request/response classes exist for annotations. Serving
endpoints needs the real FastAPI.
"""

from typing import Any, Callable

from fastapi.responses import Response

__all__ = [
    "APIRouter", "Body", "Depends", "Header", "HTTPException", "Path", "Query", "Request", "Response",
]


class _Parameter:
    def __init__(self, default: Any = ..., **options: Any):
        self.default = default
        self.options = options


def Query(default: Any = ..., **options: Any) -> Any:  # noqa: N802  (FastAPI's names)
    return _Parameter(default, **options)


def Path(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    return _Parameter(default, **options)


def Body(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    return _Parameter(default, **options)


def Header(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    return _Parameter(default, **options)


def Depends(dependency: Callable | None = None, **options: Any) -> Any:  # noqa: N802
    return _Parameter(dependency, **options)


class HTTPException(Exception):
    def __init__(self, status_code: int, detail: Any = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers


class Request:
    """Only for annotations: no request ever reaches the stand-in."""


class _Route:
    def __init__(self, path: str, methods: set[str], name: str):
        self.path = path
        self.methods = methods
        self.name = name


class APIRouter:
    def __init__(self, prefix: str = "", **options: Any):
        self.prefix = prefix
        self.routes: list[_Route] = []

    def add_api_route(self, path: str, endpoint: Callable, *, methods: list[str] | None = None,
                      name: str | None = None, **options: Any) -> None:
        self.routes.append(_Route(path, set(methods or ["GET"]), name or endpoint.__name__))

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
