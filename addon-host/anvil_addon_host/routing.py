"""The host's own routing of addon endpoints: what FastAPI would do with an endpoint's signature.

An addon registers handlers with `add_endpoint(path, handler, method=…)` or `add_router(router)`.
For a request, the routing finds the handler by method and path template (`{name}` is one
segment, `{name:path}` the rest), fills each parameter from where its annotation or default says
(path, query, header, JSON body, form fields and files, `Depends`, the `Request`, the forwarded user
for `CurrentUser` / `UserEntity`), calls it and turns what it returns into a response: through its
response model when it has one (`response_model=`, else its return annotation, as FastAPI does), else
a pydantic model as JSON by alias, `EmptyResponse` as 204, a `Response` as it is. Input that does not
fit answers 422 with FastAPI's `detail: [{loc, msg, type}]`; an answer that does not fit its response
model is the addon's fault (`InvalidResponse`, 502).
"""

import dataclasses
import enum
import os
import inspect
import json
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable

from fastapi import WEBSOCKET, BackgroundTasks, HTTPException, Parameter, Request, UploadFile, WebSocket
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError, create_model

from ayon_server.api.dependencies import CURRENT_USER
from ayon_server.entities.user import UserEntity

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Unprocessable(Exception):
    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(errors)
        self.errors = errors


class InvalidResponse(Exception):
    """What the handler returned does not fit its response model (FastAPI: a server error)."""

    def __init__(self, route: "Route", errors: list[dict[str, Any]]):
        fields = ", ".join(".".join(str(part) for part in e["loc"]) + f": {e['msg']}" for e in errors)
        super().__init__(f"The answer of {route.method} /{route.template} does not fit its response model ({fields})")
        self.errors = errors


class WebsocketOnly(Exception):
    """A plain HTTP request for a websocket route (426: it must be opened as a websocket)."""


_UNSET = object()


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern
    handler: Callable
    name: str
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    _response_model: Any = _UNSET

    def response_model(self) -> tuple[type, bool] | None:
        """The model answers are validated and serialised through (or `dict` / `list` when only the kind is
        checked), and whether it wraps a non-model type."""
        if self._response_model is _UNSET:
            self._response_model = _response_model_of(self)
        return self._response_model


def compile_template(template: str) -> re.Pattern:
    parts = []
    for piece in re.split(r"(\{[^}]+\})", template.strip("/")):
        if piece.startswith("{") and piece.endswith("}"):
            name, _, converter = piece[1:-1].partition(":")
            parts.append(f"(?P<{name}>.+)" if converter == "path" else f"(?P<{name}>[^/]+)")
        else:
            parts.append(re.escape(piece))
    return re.compile("^" + "".join(parts) + "$")


def routes_of(endpoints: list[Any]) -> list[Route]:
    return [Route(e.method, e.path, compile_template(e.path), e.handler, e.name, dict(getattr(e, "options", None) or {}))
            for e in endpoints if e.handler is not None]


def find_route(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for `method` and `path` with its path parameters; the flag says a path matched another method."""
    from urllib.parse import unquote

    path = path.strip("/")
    other_method = False
    websocket = None
    for route in routes:
        match = route.pattern.match(path)
        if match is None:
            continue
        if route.method == method or (method == "HEAD" and route.method == "GET"):
            return route, {k: unquote(v) for k, v in match.groupdict().items()}, False
        if route.method == WEBSOCKET:
            websocket = route
            continue
        if method == WEBSOCKET:
            continue
        other_method = True
    if websocket is not None and method == WEBSOCKET:
        return websocket, {k: unquote(v) for k, v in websocket.pattern.match(path).groupdict().items()}, False
    if websocket is not None and method == "GET":
        raise WebsocketOnly(f"/{websocket.template} is a websocket route: open it as a websocket")
    return None, {}, other_method


def _split_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        return base, extras
    return annotation, []


def _optional_inner(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(_optional_inner(annotation)) in (list, set, tuple)


def _item_type(annotation: Any) -> Any:
    return (typing.get_args(_optional_inner(annotation)) or (str,))[0]


def _is_upload(annotation: Any) -> bool:
    inner = _item_type(annotation) if _is_list(annotation) else _optional_inner(annotation)
    return isinstance(inner, type) and issubclass(inner, UploadFile)


def _convert(value: str, annotation: Any, loc: list[Any]) -> Any:
    target = _optional_inner(annotation)
    try:
        if target is bool:
            lowered = value.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError("value could not be parsed to a boolean")
        if target is int:
            return int(value)
        if target is float:
            return float(value)
        if isinstance(target, type) and issubclass(target, enum.Enum):
            return target(value)
    except ValueError as error:
        raise Unprocessable([{"loc": loc, "msg": str(error), "type": "type_error"}]) from None
    return value


class Call:
    """Everything one request offers to the parameters of a handler."""

    def __init__(self, request: Request, path_params: dict[str, str], user: UserEntity | None,
                 websocket: WebSocket | None = None):
        self.request = request
        self.websocket = websocket
        self.path_params = path_params
        self.user = user
        self.background = BackgroundTasks()
        self._json: Any = None
        self._json_read = False

    async def form(self) -> Any:
        return await self.request.form()

    async def json_body(self) -> Any:
        if not self._json_read:
            raw = await self.request.body()
            try:
                self._json = json.loads(raw) if raw.strip() else None
            except ValueError as error:
                raise Unprocessable([{"loc": ["body"], "msg": f"the body is not JSON: {error}", "type": "value_error.jsondecode"}]) from None
            self._json_read = True
        return self._json


async def call_handler(handler: Callable, call: Call) -> Any:
    arguments = await resolve_arguments(handler, call)
    result = handler(**arguments)
    if inspect.isawaitable(result):
        result = await result
    for func, args, kwargs in call.background.tasks:
        outcome = func(*args, **kwargs)
        if inspect.isawaitable(outcome):
            await outcome
    return result


async def resolve_arguments(handler: Callable, call: Call) -> dict[str, Any]:
    signature = inspect.signature(handler)
    try:
        hints = typing.get_type_hints(handler, include_extras=True)
    except Exception:  # forward references to names only imported under TYPE_CHECKING
        hints = {}
    body_parameters = [name for name, p in signature.parameters.items() if _where(name, p, hints, call)[0] == "body"]
    errors: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        try:
            arguments[name] = await _value(name, parameter, hints, call, embed=len(body_parameters) > 1)
        except Unprocessable as error:
            errors.extend(error.errors)
        except _Omit:
            continue
    if errors:
        raise Unprocessable(errors)
    return arguments


class _Omit(Exception):
    """The parameter has a default and nothing was given: leave it to Python."""


def _where(name: str, parameter: inspect.Parameter, hints: dict[str, Any], call: Call) -> tuple[str, Any, Parameter | None, Any]:
    annotation = hints.get(name, parameter.annotation)
    base, extras = _split_annotated(annotation)
    marker = next((e for e in extras if isinstance(e, Parameter)), None)
    if isinstance(parameter.default, Parameter):
        marker = parameter.default
    if CURRENT_USER in extras:
        return "user", base, marker, annotation
    inner = _optional_inner(base)
    if marker is not None:
        return marker.kind, base, marker, annotation
    if inner is Request or (isinstance(inner, type) and issubclass(inner, Request)):
        return "request", base, None, annotation
    if isinstance(inner, type) and issubclass(inner, WebSocket):
        return "websocket", base, None, annotation
    if inner is BackgroundTasks:
        return "background", base, None, annotation
    if inner is UserEntity:
        return "user", base, None, annotation
    if _is_upload(inner):
        return "file", base, None, annotation
    if name in call.path_params:
        return "path", base, None, annotation
    if _is_model(inner) or typing.get_origin(inner) is dict or inner is dict:
        return "body", base, None, annotation
    return "query", base, None, annotation


async def _value(name: str, parameter: inspect.Parameter, hints: dict[str, Any], call: Call, embed: bool) -> Any:
    kind, base, marker, _ = _where(name, parameter, hints, call)
    default = marker.default if marker is not None else parameter.default
    required = default is ... or default is inspect.Parameter.empty
    key = (marker.alias if marker is not None and marker.alias else name)
    if kind == "request":
        return call.request
    if kind == "websocket":
        return call.websocket
    if kind == "background":
        return call.background
    if kind == "user":
        if call.user is None:
            raise HTTPException(401, "Not logged in")
        return call.user
    if kind == "depends":
        dependency = marker.dependency or _optional_inner(base)  # type: ignore[union-attr]
        return await call_handler(dependency, call)
    if kind == "path":
        if name not in call.path_params:
            raise Unprocessable([{"loc": ["path", name], "msg": "field required", "type": "value_error.missing"}])
        return _convert(call.path_params[name], base, ["path", name])
    if kind == "header":
        header = key.replace("_", "-")
        value = call.request.headers.get(header)
        if value is None:
            if required:
                raise Unprocessable([{"loc": ["header", header], "msg": "field required", "type": "value_error.missing"}])
            return default
        return _convert(value, base, ["header", header])
    if kind == "cookie":
        return call.request.cookies.get(key, None if required else default)
    if kind in ("form", "file"):
        return await _form_value(kind, key, base, required, default, call)
    if kind == "query":
        if _is_list(base):
            values = call.request.query_params.getlist(key)
            if not values:
                if required:
                    raise Unprocessable([{"loc": ["query", key], "msg": "field required", "type": "value_error.missing"}])
                return default
            (item_type, *_) = typing.get_args(_optional_inner(base)) or (str,)
            return [_convert(v, item_type, ["query", key]) for v in values]
        if key not in call.request.query_params:
            if required:
                raise Unprocessable([{"loc": ["query", key], "msg": "field required", "type": "value_error.missing"}])
            if default is inspect.Parameter.empty:
                raise _Omit()
            return default
        return _convert(call.request.query_params[key], base, ["query", key])
    # body
    data = await call.json_body()
    if embed and isinstance(data, dict):
        data = data.get(key, ... if required else default)
    if data is None or data is ...:
        if required:
            raise Unprocessable([{"loc": ["body"], "msg": "field required", "type": "value_error.missing"}])
        return default
    model = _optional_inner(base)
    if _is_model(model):
        try:
            return model.parse_obj(data)
        except ValidationError as error:
            raise Unprocessable([{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in error.errors()]) from None
    return data


async def _form_value(kind: str, key: str, base: Any, required: bool, default: Any, call: Call) -> Any:
    """A `Form(...)` field or a `File(...)` / `UploadFile` part, as FastAPI reads them ("" counts as missing)."""
    loc = ["body", key]
    values = [v for v in (await call.form()).getlist(key) if v != ""]
    if not values:
        if required:
            raise Unprocessable([{"loc": loc, "msg": "field required", "type": "value_error.missing"}])
        return None if default is inspect.Parameter.empty else default
    many = _is_list(base)
    item = _item_type(base) if many else base
    converted = [await _form_item(kind, value, item, loc) for value in (values if many else values[-1:])]
    return converted if many else converted[0]


async def _form_item(kind: str, value: Any, annotation: Any, loc: list[Any]) -> Any:
    target = _optional_inner(annotation)
    if _is_upload(target):
        if not isinstance(value, UploadFile):
            raise Unprocessable([{"loc": loc, "msg": f"Expected UploadFile, received: {type(value)}", "type": "value_error"}])
        return value
    if target is bytes:
        if isinstance(value, UploadFile):
            return await value.read()
        return value.encode("utf-8")
    if isinstance(value, UploadFile):
        if kind == "file" and target in (typing.Any, inspect.Parameter.empty):
            return value
        raise Unprocessable([{"loc": loc, "msg": "str type expected, a file was sent", "type": "type_error.str"}])
    return _convert(value, annotation, loc)


def _response_model_of(route: Route) -> tuple[type, bool] | None:
    """`response_model=` of the route (None: none), else the handler's return annotation when pydantic can validate it."""
    explicit = "response_model" in route.options
    annotation = route.options.get("response_model") if explicit else _return_annotation(route.handler)
    if annotation is None or annotation is typing.Any or annotation is type(None) or _is_response_class(annotation):
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return None if annotation.__name__ == "EmptyResponse" else (annotation, False)
    if (container := _loose_container(annotation)) is not None:
        return container, True
    try:
        return create_model(f"ResponseOf{route.name}", __root__=(annotation, ...)), True
    except Exception:
        if explicit:
            raise
        return None  # FastAPI refuses such an annotation at start; here it is only not used


def _loose_container(annotation: Any) -> type | None:
    """`dict`, `dict[str, Any]`, `list`, `list[Any]`: validating them only checks the kind (the common return
    annotation of addon handlers, so it is checked directly rather than through a pydantic model)."""
    origin = typing.get_origin(annotation) or annotation
    args = typing.get_args(annotation)
    if origin is dict and all(a in (str, typing.Any) for a in args) and (not args or args[1] is typing.Any):
        return dict
    if origin is list and all(a is typing.Any for a in args):
        return list
    return None


def _return_annotation(handler: Callable) -> Any:
    try:
        return typing.get_type_hints(handler).get("return")
    except Exception:  # forward references to names only imported under TYPE_CHECKING
        return None


def _is_response_class(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, Response)
    return any(_is_response_class(a) for a in typing.get_args(annotation))


def _prepared(value: Any, exclude_unset: bool, exclude_defaults: bool, exclude_none: bool) -> Any:
    """Models as dicts by alias before validation, so a subclass's extra fields are dropped (FastAPI does the same)."""
    if isinstance(value, BaseModel):
        return value.dict(by_alias=True, exclude_unset=exclude_unset, exclude_defaults=exclude_defaults,
                          exclude_none=exclude_none)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _prepared(v, exclude_unset, exclude_defaults, exclude_none) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_prepared(v, exclude_unset, exclude_defaults, exclude_none) for v in value]
    return value


def through_response_model(route: Route, result: Any) -> Any:
    """The answer validated by the route's response model and serialised as FastAPI does (by alias unless told)."""
    model, wrapped = route.response_model()  # type: ignore[misc]
    options = route.options
    flags = {"exclude_unset": bool(options.get("response_model_exclude_unset")),
             "exclude_defaults": bool(options.get("response_model_exclude_defaults")),
             "exclude_none": bool(options.get("response_model_exclude_none"))}
    prepared = _prepared(result, **flags)
    if model in (dict, list):
        if not isinstance(prepared, model):
            raise InvalidResponse(route, [{"loc": ["response"], "msg": f"value is not a valid {model.__name__}",
                                           "type": f"type_error.{model.__name__}"}])
        if not flags["exclude_none"]:
            return to_jsonable(prepared)
        model = create_model(f"ResponseOf{route.name}", __root__=(model, ...))
    try:
        validated = model.parse_obj(prepared)
    except ValidationError as error:
        raise InvalidResponse(route, [{"loc": ["response", *(p for p in e["loc"] if p != "__root__")], "msg": e["msg"],
                                       "type": e["type"]} for e in error.errors()]) from None
    selection = {} if wrapped else {"include": _field_set(options.get("response_model_include")),
                                    "exclude": _field_set(options.get("response_model_exclude"))}
    return json.loads(validated.json(by_alias=options.get("response_model_by_alias", True), **selection, **flags))


def _field_set(value: Any) -> Any:
    return set(value) if isinstance(value, (list, tuple)) else value


def to_jsonable(value: Any) -> Any:
    """An endpoint's return value as JSON data (pydantic models by alias, as FastAPI sends them)."""
    if isinstance(value, BaseModel):
        return json.loads(value.json(by_alias=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "__dict__"):
        return {k: to_jsonable(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def as_response(result: Any, route: Route | None = None) -> Response:
    if isinstance(result, Response):
        return result
    if type(result).__name__ == "EmptyResponse" and isinstance(result, BaseModel):
        return Response(status_code=204)
    status = int((route.options.get("status_code") if route else None) or 200)
    if status in (204, 304):
        return Response(status_code=status)
    if route is not None and route.response_model() is not None:
        return JSONResponse(through_response_model(route, result), status_code=status)
    return JSONResponse(to_jsonable(result), status_code=status)
