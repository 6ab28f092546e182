"""The `serve-http` command: addon endpoints and actions over HTTP on a unix socket.

Anvil starts one such process per instance, on the first request that needs it, and forwards to
it over `--socket`:

* `/api/addons/{name}/{version}/{path}`: an addon's own endpoints, with `X-Anvil-Addon-Dir` (the
  unpacked version folder) and `X-Anvil-User` (the authenticated user, base64 JSON). Anvil has
  already authenticated the request and removed its credentials.
* `POST /_anvil/actions/list | execute | config`: the addons' web actions (JSON in, JSON out).
* `POST /_anvil/events/deliver`: an event dispatched on Anvil, for the handlers that the named addon
  versions subscribed (`EventStream.subscribe`); they run concurrently, each cut off after `timeout`
  seconds, and the answer says how each did.
* `GET /_anvil/ping`: alive and answering.
* a websocket upgrade of `/api/addons/{name}/{version}/{path}`: the addon's websocket route, on this
  connection until either side closes (`fastapi.websockets`); Anvil forwards the messages both ways.

Requests run concurrently on one asyncio loop; a handler that blocks the loop stops them all,
which is why Anvil times every request out and replaces a host that no longer answers a ping.
What addon code reads from the server goes through Anvil's API (`ayon_server.runtime`).
Answers: 404 for an unknown path, 405 for another method, 422 for parameters that do not fit,
the status of an `HTTPException` or AYON exception, 501 for what needs AYON's database, 502
when the addon's code raises anything else.
"""

import asyncio
import base64
import binascii
import json
import logging
import inspect
import os
import time
import traceback
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import WEBSOCKET, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from anvil_addon_host.loading import failure_reason
from anvil_addon_host.routing import (Call, InvalidResponse, Unprocessable, WebsocketOnly, as_response, call_handler,
                                      find_route, routes_of, to_jsonable)
from anvil_addon_host.serve import LiveAddon, LiveHost, RequestError
from ayon_server import runtime
from ayon_server._stubs import NotAvailableInAddonHost
from ayon_server.actions import ActionContext, ActionExecutor, ExecuteResponseModel
from ayon_server.entities.user import UserEntity
from ayon_server.events import EventStream, Subscription, event_model, topic_matches
from ayon_server.exceptions import AyonException, ForbiddenException, NotFoundException
from ayon_server.hostcontext import ContextUnavailable

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 512 * 1024 * 1024
BODY_CHUNK_BYTES = 64 * 1024
REASONS = {200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
           302: "Found", 303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 400: "Bad Request",
           401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
           413: "Payload Too Large", 426: "Upgrade Required", 422: "Unprocessable Entity", 500: "Internal Server Error",
           501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable"}


def error_response(status: int, detail: Any, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": status, "detail": detail, **extra}, status_code=status)


class HttpHost:
    def __init__(self) -> None:
        self.live = LiveHost()
        self.loading = asyncio.Lock()
        self.routes: dict[tuple[str, str, str], list[Any]] = {}

    async def addon(self, name: str, version: str, directory: str) -> LiveAddon:
        async with self.loading:
            live = await self.live.addon({"name": name, "version": version, "dir": directory})
        key = (name, version, str(live.dir))
        if key not in self.routes:
            self.routes[key] = routes_of(live.addon.endpoints)
        return live

    # --- requests ----------------------------------------------------------------------------------

    async def handle(self, request: Request, websocket: WebSocket | None = None) -> Response | None:
        """The answer to `request`; for a websocket upgrade (`websocket`), None once the socket was accepted."""
        path = request.url.path
        try:
            if path == "/_anvil/ping":
                return JSONResponse({"pid": os.getpid(), "addons": len(self.live.addons)})
            user = forwarded_user(request)
            serving = runtime.Serving(runtime.api(), user.payload if user else None,
                                      request.headers.get("x-anvil-server-url"))
            with runtime.serving(serving):
                if websocket is not None:
                    return await self.endpoint(request, user, websocket) if path.startswith("/api/addons/") \
                        else error_response(404, f"The addon host has no websocket route {path}")
                if path == "/_anvil/events/deliver" and request.method == "POST":
                    return JSONResponse(await self.deliver(await request.json()))
                if path.startswith("/_anvil/actions/") and request.method == "POST":
                    return JSONResponse(await self.action(path.removeprefix("/_anvil/actions/"), await request.json(), user))
                if path.startswith("/api/addons/"):
                    return await self.endpoint(request, user)
            return error_response(404, f"The addon host has no route {path}")
        except RequestError as error:
            status = 404 if error.type == "AddonNotInstalled" else 502
            return error_response(status, str(error), errorType=error.type)
        except HTTPException as error:
            return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)
        except Unprocessable as error:
            return error_response(422, error.errors)
        except InvalidResponse as error:
            log.warning("%s", error)
            return error_response(502, str(error), errors=error.errors)
        except WebsocketOnly as error:
            return error_response(426, str(error))
        except AyonException as error:
            return error_response(error.status, error.detail, **to_jsonable(getattr(error, "extra", {}) or {}))
        except (NotAvailableInAddonHost, ContextUnavailable) as error:
            return error_response(501, str(error))
        except MemoryError:
            raise
        except (Exception, SystemExit) as error:
            reason = failure_reason(f"{request.method} {path}", error, Path(request.headers.get("x-anvil-addon-dir") or "/nonexistent"))
            log.warning("%s\n%s", reason, "".join(traceback.format_exception(error)))
            return error_response(502, reason)

    async def endpoint(self, request: Request, user: UserEntity | None, websocket: WebSocket | None = None) -> Response | None:
        parts = request.url.path.split("/", 5)  # "", "api", "addons", name, version, rest
        if len(parts) < 5:
            return error_response(404, "No addon endpoint here")
        name, version = parts[3], parts[4]
        rest = parts[5] if len(parts) > 5 else ""
        directory = request.headers.get("x-anvil-addon-dir")
        if not directory:
            return error_response(400, "X-Anvil-Addon-Dir is missing")
        live = await self.addon(name, version, directory)
        routes = self.routes[(name, version, str(live.dir))]
        if websocket is not None:
            route, path_params, _ = find_route(routes, WEBSOCKET, rest)
            if route is None:
                return error_response(404, f"{name} {version} has no websocket route /{rest}")
            return await serve_websocket(route, Call(request, path_params, user, websocket), websocket)
        route, path_params, other_method = find_route(routes, request.method, rest)
        if route is None:
            if other_method:
                return error_response(405, f"{name} {version} does not answer {request.method} on /{rest}")
            return error_response(404, f"{name} {version} has no endpoint /{rest}")
        request.path_params = path_params
        result = await call_handler(route.handler, Call(request, path_params, user))
        return as_response(result, route)

    # --- event handlers ----------------------------------------------------------------------------

    async def deliver(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("event"), dict) or not isinstance(body.get("addons"), list):
            raise RequestError("BadRequest", "the body must be {event, addons, timeout}")
        timeout = float(body.get("timeout") or 30)
        raw_event = body["event"]
        topic = str(raw_event.get("topic") or "")
        outcomes: list[dict[str, Any]] = []
        runs = []
        for spec in body["addons"]:
            try:
                live = await self.addon(spec["name"], spec["version"], spec["dir"])
            except MemoryError:
                raise
            except (Exception, SystemExit) as error:
                reason = error.args[0] if isinstance(error, RequestError) else failure_reason(
                    "loading", error, Path(spec.get("dir") or "/nonexistent"))
                outcomes.append({"addon": spec.get("name"), "version": spec.get("version"), "handler": None,
                                 "ok": False, "error": reason})
                continue
            for subscription in live.handlers:
                if subscription in EventStream.subscriptions and topic_matches(subscription.topic, topic):
                    # Each handler its own copy: what one changes on the event, the next does not see.
                    runs.append(run_handler(live, subscription, event_model(raw_event), timeout))
        outcomes += await asyncio.gather(*runs)
        return {"handlers": outcomes}

    # --- actions -----------------------------------------------------------------------------------

    async def action(self, operation: str, body: Any, user: UserEntity | None) -> Any:
        if not isinstance(body, dict):
            raise RequestError("BadRequest", "the body must be an object")
        if user is None:
            raise HTTPException(401, "Actions need the user who runs them")
        context = ActionContext(**_snake_keys(body.get("context") or {}))
        variant = body.get("variant") or "production"
        if operation == "list":
            actions: list[dict[str, Any]] = []
            for spec in body.get("addons") or []:
                # One addon that cannot load or list must not hide the others' actions.
                try:
                    live = await self.addon(spec["name"], spec["version"], spec["dir"])
                    actions += await list_actions(live, context, variant, body.get("mode") or "simple", user)
                except MemoryError:
                    raise
                except (Exception, SystemExit) as error:
                    log.warning("%s", failure_reason(f"listing the actions of {spec.get('name')} {spec.get('version')}",
                                                     error, Path(spec.get("dir") or "/nonexistent")))
            return {"actions": actions}
        spec = body.get("addon") or {}
        live = await self.addon(spec.get("name"), spec.get("version"), spec.get("dir"))
        identifier = body.get("identifier") or ""
        if operation == "execute":
            await check_action_allowed(live, identifier, context, variant, user)
            executor = ActionExecutor(identifier, context, user=user, variant=variant, addon_name=live.name,
                                      addon_version=live.version, server_url=body.get("serverUrl"))
            result = await live.addon.execute_action(executor)
            if isinstance(result, dict):
                result = ExecuteResponseModel(**result)
            if not isinstance(result, ExecuteResponseModel):
                raise RequestError("BadResult", f"execute_action returned {type(result).__name__}, not a response")
            return json.loads(result.json(by_alias=True))
        if operation == "config":
            if body.get("value") is not None:
                await live.addon.set_action_config(identifier, context, user, variant, body["value"])
            return {"value": await live.addon.get_action_config(identifier, context, user, variant) or {}}
        raise RequestError("UnknownMethod", f"unknown action operation {operation!r}")


async def serve_websocket(route: Any, call: Call, websocket: WebSocket) -> Response | None:
    """Runs a websocket route's handler. Before it accepts, a failure is an HTTP answer as for any endpoint
    (and returning without accepting a 403, as in FastAPI); after, the socket is closed (1011 on a failure)."""
    call.request.path_params = call.path_params
    try:
        await call_handler(route.handler, call)
    except WebSocketDisconnect:
        pass
    except MemoryError:
        raise
    except (Exception, SystemExit) as error:
        if websocket.client_state == WebSocketState.CONNECTING:
            raise
        log.warning("the websocket route /%s failed: %s", route.template, "".join(traceback.format_exception(error)))
        await _closed(websocket, 1011, "the addon's handler failed")
        return None
    if websocket.client_state == WebSocketState.CONNECTING:
        return error_response(403, f"The websocket route /{route.template} did not accept the connection")
    await _closed(websocket, 1000)
    return None


async def _closed(websocket: WebSocket, code: int, reason: str | None = None) -> None:
    try:
        await websocket.close(code, reason)
    except (ConnectionError, RuntimeError):
        pass


async def run_handler(live: LiveAddon, subscription: Subscription, event: Any, timeout: float) -> dict[str, Any]:
    """Runs one handler on the event; its failure or overrun is reported, never raised."""
    handler = subscription.handler
    name = getattr(handler, "__qualname__", None) or repr(handler)
    outcome: dict[str, Any] = {"addon": live.name, "version": live.version, "topic": subscription.topic, "handler": name}
    started = time.monotonic()
    try:
        result = handler(event)
        if inspect.isawaitable(result):
            await asyncio.wait_for(result, timeout)
        outcome["ok"] = True
    except asyncio.TimeoutError:
        outcome.update(ok=False, error=f"did not finish within {timeout:g} s")
    except MemoryError:
        raise
    except (Exception, SystemExit) as error:
        reason = failure_reason(f"the handler {name} of {event.topic}", error, live.dir)
        log.warning("%s\n%s", reason, "".join(traceback.format_exception(error)))
        outcome.update(ok=False, error=reason)
    outcome["seconds"] = round(time.monotonic() - started, 3)
    return outcome


async def list_actions(live: LiveAddon, context: ActionContext, variant: str, mode: str,
                       user: UserEntity) -> list[dict[str, Any]]:
    manifests: list[tuple[str, Any]] = []
    if mode in ("simple", "all"):
        for manifest in await live.addon.get_simple_actions(context.project_name, variant) or []:
            if simple_action_fits(manifest, context):
                manifests.append(("simple", manifest))
    if mode in ("dynamic", "all"):
        for manifest in await live.addon.get_dynamic_actions(context, variant) or []:
            manifests.append(("dynamic", manifest))
    addon_url = f"/addons/{live.name}/{live.version}"
    listed = []
    for kind, manifest in manifests:
        data = to_jsonable(manifest) if not isinstance(manifest, dict) else dict(manifest)
        data = _camel_keys(data)
        if data.get("adminOnly") and not user.is_admin or data.get("managerOnly") and not user.is_manager:
            continue
        icon = data.get("icon")
        if isinstance(icon, dict) and isinstance(icon.get("url"), str):
            icon["url"] = icon["url"].replace("{addon_url}", addon_url)
        data.update({"addonName": live.name, "addonVersion": live.version, "variant": variant, "mode": kind})
        listed.append(data)
    return listed


async def check_action_allowed(live: LiveAddon, identifier: str, context: ActionContext, variant: str,
                               user: UserEntity) -> None:
    """The action exists for this addon (simple, or dynamic in this context) and the user may run it."""
    manifests = list(await live.addon.get_simple_actions(context.project_name, variant) or [])
    if not any(getattr(m, "identifier", None) == identifier for m in manifests):
        manifests += list(await live.addon.get_dynamic_actions(context, variant) or [])
    manifest = next((m for m in manifests if getattr(m, "identifier", None) == identifier), None)
    if manifest is None:
        raise NotFoundException(f"{live.name} {live.version} has no action {identifier}")
    if getattr(manifest, "admin_only", False) and not user.is_admin:
        raise ForbiddenException(f"Only admins may run {identifier}")
    if getattr(manifest, "manager_only", False) and not user.is_manager:
        raise ForbiddenException(f"Only managers may run {identifier}")


def simple_action_fits(manifest: Any, context: ActionContext) -> bool:
    entity_type = getattr(manifest, "entity_type", None)
    if entity_type != (context.entity_type or None):
        return False
    if entity_type is None or entity_type == "project":
        return True
    ids = context.entity_ids or []
    if len(ids) > 1 and not getattr(manifest, "allow_multiselection", False):
        return False
    subtypes = getattr(manifest, "entity_subtypes", None)
    if subtypes:
        return bool(context.entity_subtypes) and all(s in subtypes for s in context.entity_subtypes)
    return True


def _snake_keys(data: dict[str, Any]) -> dict[str, Any]:
    return {"".join(f"_{c.lower()}" if c.isupper() else c for c in k): v for k, v in data.items()}


def _camel_keys(data: dict[str, Any]) -> dict[str, Any]:
    def camel(key: str) -> str:
        head, *rest = key.split("_")
        return head + "".join(w[:1].upper() + w[1:] for w in rest)

    return {camel(k): v for k, v in data.items()}


def forwarded_user(request: Request) -> UserEntity | None:
    raw = request.headers.get("x-anvil-user")
    if not raw:
        return None
    try:
        return UserEntity(json.loads(base64.b64decode(raw)))
    except (ValueError, binascii.Error):
        raise RequestError("BadRequest", "X-Anvil-User is not base64 JSON") from None


# --- HTTP/1.1 on the socket --------------------------------------------------------------------------


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, f"The request body is larger than the addon host takes ({MAX_BODY_BYTES} bytes)")


class RequestBody:
    """A request's body as it arrives on the connection (a length or chunked), read at most once, up to
    `MAX_BODY_BYTES`; what the handler leaves unread is drained before the answer."""

    def __init__(self, reader: asyncio.StreamReader, length: int | None):
        self.reader = reader
        self.remaining = length  # None: chunked
        self.chunk_left = 0
        self.taken = 0
        self.done = length == 0

    async def chunks(self) -> AsyncIterator[bytes]:
        while not self.done:
            if chunk := await self._next():
                yield chunk

    async def _next(self) -> bytes:
        if self.remaining is None:
            if self.chunk_left == 0:
                size = int((await self.reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while (await self.reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    self.done = True
                    return b""
                self.chunk_left = size
            data = await self.reader.read(min(self.chunk_left, BODY_CHUNK_BYTES))
            self.chunk_left -= len(data)
            if self.chunk_left == 0 and data:
                await self.reader.readline()
        else:
            data = await self.reader.read(min(self.remaining, BODY_CHUNK_BYTES))
            self.remaining -= len(data)
            self.done = self.remaining == 0
        if not data:
            raise asyncio.IncompleteReadError(b"", None)
        self.taken += len(data)
        if self.taken > MAX_BODY_BYTES:
            raise BodyTooLarge()
        return data

    async def drain(self) -> None:
        async for _ in self.chunks():
            pass


async def read_request(reader: asyncio.StreamReader) -> tuple[Request, RequestBody] | None:
    line = await reader.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: list[tuple[str, str]] = []
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    lookup = {name.lower(): value for name, value in headers}
    if "chunked" in lookup.get("transfer-encoding", "").lower():
        body = RequestBody(reader, None)
    else:
        body = RequestBody(reader, int(lookup.get("content-length") or 0))
        if (body.remaining or 0) > MAX_BODY_BYTES:
            raise BodyTooLarge()
    path, _, query = target.partition("?")
    return Request(method.upper(), path, query, headers, body.chunks), body


async def write_response(writer: asyncio.StreamWriter, response: Response, head_only: bool) -> None:
    length = response.content_length()
    lines = [f"HTTP/1.1 {response.status_code} {REASONS.get(response.status_code, 'Status')}"]
    headers = {k.lower(): str(v) for k, v in response.headers.items()}
    if (content_type := response.content_type()) and "content-type" not in headers:
        headers["content-type"] = content_type
    no_body = response.status_code in (204, 304)
    if not no_body:
        if length is None:
            headers["transfer-encoding"] = "chunked"
        else:
            headers["content-length"] = str(length)
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    if not no_body and not head_only:
        async for chunk in response.body_chunks():
            if not chunk:
                continue
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if length is None else chunk)
            await writer.drain()
        if length is None:
            writer.write(b"0\r\n\r\n")
    elif length is None and not no_body:
        writer.write(b"0\r\n\r\n")
    await writer.drain()


async def serve_connection(host: HttpHost, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                received = await read_request(reader)
            except BodyTooLarge as error:
                await write_response(writer, error_response(413, error.detail), False)
                return
            except (ValueError, asyncio.IncompleteReadError) as error:
                await write_response(writer, error_response(400, f"Bad request: {error}"), False)
                return
            if received is None:
                return
            request, body = received
            if request.headers.get("upgrade", "").lower() == "websocket":
                # The connection becomes the socket's and ends with it.
                answer = await host.handle(request, WebSocket(request, reader, writer))
                if answer is not None:
                    await write_response(writer, answer, False)
                return
            try:
                response = await host.handle(request)
                keep_open = True
                try:
                    # The rest of the body is read before answering: a client still sending may not be reading yet.
                    await body.drain()
                except BodyTooLarge as error:
                    response, keep_open = error_response(413, error.detail), False
                except (ValueError, asyncio.IncompleteReadError):
                    return
                try:
                    await write_response(writer, response, request.method == "HEAD")
                except (ConnectionError, OSError):
                    return
                except Exception as error:  # the body failed half-way: the connection cannot carry on
                    log.warning("streaming the answer to %s failed: %s", request.url.path, error)
                    return
            finally:
                await request.close()
            if not keep_open or request.headers.get("connection", "").lower() == "close":
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


async def serve_http(socket_path: str) -> None:
    runtime.configure_from_environment()
    host = HttpHost()
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    server = await asyncio.start_unix_server(lambda r, w: serve_connection(host, r, w), path=socket_path)
    os.chmod(socket_path, 0o600)
    log.info("the addon HTTP host listens on %s (pid %d)", socket_path, os.getpid())
    async with server:
        await server.serve_forever()
