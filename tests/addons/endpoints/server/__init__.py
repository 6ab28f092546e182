"""Addon endpoints and web actions for Anvil's addon HTTP host (a test fixture).

Endpoints in both registration styles (`add_endpoint`, an `APIRouter`), with the parameter kinds
real addons use, a streamed file, one that hangs, one that blocks the whole loop, one that fails,
one that runs raw SQL, one per runtime facade (settings, entity reads and writes, events, secrets),
answers shaped by a response model, form fields and file uploads, and a websocket route. Event
handlers on `endpoints.hook.*`: one marks the event handled through Anvil's API, one fails or waits
for the other when the event's payload asks it to. Actions:
a launcher action for tasks, a form, a redirect and a manager-only one; a stored per-user option.
"""

import asyncio
import hashlib
import os
import time
from typing import Any

from fastapi import APIRouter, File, Form, Header, HTTPException, Path, Query, Request, UploadFile, WebSocket
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import Field

from ayon_server.actions import ActionExecutor, ExecuteResponseModel, SimpleActionManifest
from ayon_server.addons import BaseServerAddon
from ayon_server.api.dependencies import CurrentUser
from ayon_server.entities import FolderEntity, ProjectEntity, TaskEntity
from ayon_server.events import EventModel, EventStream
from ayon_server.exceptions import ForbiddenException
from ayon_server.forms import SimpleForm
from ayon_server.lib.postgres import Postgres
from ayon_server.secrets import Secrets
from ayon_server.settings import BaseSettingsModel, SettingsField
from ayon_server.types import OPModel


class EndpointsSettings(BaseSettingsModel):
    greeting: str = SettingsField("hello", title="Greeting")


class Note(OPModel):
    title: str = Field(..., min_length=1)
    body_text: str = ""
    tags: list[str] = Field(default_factory=list)


class Echo(OPModel):
    user_name: str
    is_admin: bool
    note: Note
    note_id: str


class Version(OPModel):
    name: str
    frame_start: int | None = None


class PublicShot(OPModel):
    name: str
    folder_type: str = "Shot"
    comment: str | None = None
    versions: list[Version] = Field(default_factory=list)


class StoredShot(PublicShot):
    secret_path: str


router = APIRouter(prefix="/router")


@router.get("/ping")
async def router_ping(user: CurrentUser) -> dict[str, str]:
    return {"pong": user.name}


@router.get("/shots/{name}", response_model=PublicShot, response_model_exclude_none=True)
async def shot_as_dict(name: str) -> dict[str, Any]:
    """A dict with a key the model does not have and nested items that carry extra keys."""
    return {"name": name, "secretPath": "/mnt/secret", "versions": [{"name": "v001", "frameStart": 1001, "internal": 1},
                                                                    {"name": "v002"}]}


@router.get("/shots/{name}/stored")
async def stored_shot(name: str) -> PublicShot:
    """No `response_model`: the return annotation is the model, so the subclass's field is dropped."""
    return StoredShot(name=name, secret_path="/mnt/secret", comment=None, versions=[Version(name="v001")])


@router.get("/shots", response_model=list[PublicShot], response_model_by_alias=False)
async def shot_list() -> list[Any]:
    return [StoredShot(name="sh010", secret_path="/x", versions=[Version(name="v1", frame_start=1)]), {"name": "sh020"}]


@router.get("/broken-shot", response_model=PublicShot)
async def broken_shot() -> dict[str, Any]:
    return {"versions": [{"frameStart": "soon"}]}


@router.post("/uploads", status_code=201)
async def upload(user: CurrentUser, title: str = Form(...), file: UploadFile = File(...), count: int = Form(1),
                 tags: list[str] = Form([]), extra: list[UploadFile] = File([])) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    while chunk := await file.read(65536):
        digest.update(chunk)
        size += len(chunk)
    return {"user": user.name, "title": title, "count": count, "tags": tags, "filename": file.filename,
            "contentType": file.content_type, "size": size, "sha256": digest.hexdigest(),
            "onDisk": bool(getattr(file.file, "_rolled", False)),
            "extra": [{"filename": f.filename, "text": (await f.read()).decode()} for f in extra]}


@router.post("/login")
async def form_login(name: str = Form(...), remember: bool = Form(False)) -> dict[str, Any]:
    return {"name": name, "remember": remember}


@router.websocket("/live/{room}")
async def live(websocket: WebSocket, room: str, user: CurrentUser, shout: bool = False) -> None:
    """Greets, then echoes each text (upper-cased with `?shout=true`); "bye" closes with 4000, "fail" fails."""
    await websocket.accept()
    await websocket.send_json({"room": room, "user": user.name})
    async for text in websocket.iter_text():
        if text == "bye":
            await websocket.close(4000, "bye")
            return
        if text == "fail":
            raise ValueError("the websocket handler fails on purpose")
        await websocket.send_text(text.upper() if shout else text)


@router.websocket("/closed")
async def closed(websocket: WebSocket) -> None:
    await websocket.close()  # before accepting: the upgrade is refused


class EndpointsAddon(BaseServerAddon):
    settings_model = EndpointsSettings

    def initialize(self) -> None:
        self.add_endpoint("hello", self.hello, method="GET")
        self.add_endpoint("notes/{note_id}", self.save_note, method="POST")
        self.add_endpoint("items/{item_id}", self.get_item, method="GET")
        self.add_endpoint("files/{name}", self.get_file, method="GET")
        self.add_endpoint("stream", self.stream, method="GET")
        self.add_endpoint("hang", self.hang, method="GET")
        self.add_endpoint("block", self.block, method="GET")
        self.add_endpoint("fail", self.fail, method="GET")
        self.add_endpoint("sql", self.sql, method="GET")
        self.add_endpoint("admin", self.admin_only, method="GET")
        self.add_endpoint("greeting", self.greeting, method="GET")
        self.add_endpoint("settings", self.shadowed_settings, method="GET")
        self.add_endpoint("projects/{project_name}/tasks/{task_id}", self.task_info, method="GET")
        self.add_endpoint("events", self.dispatch_event, method="POST")
        self.add_endpoint("projects/{project_name}/shots", self.write_entities, method="POST")
        self.add_endpoint("secrets/{name}", self.read_secret, method="GET")
        self.add_router(router)
        EventStream.subscribe("endpoints.hook.*", self.on_hook_trouble)
        EventStream.subscribe("endpoints.hook.*", self.on_hook)
        EventStream.subscribe("endpoints.count.*", self.on_count)

    # --- event handlers ----------------------------------------------------------------------------

    async def on_hook(self, event: EventModel) -> None:
        if event.payload.get("for") != self.name:
            return  # the test database holds other copies of this addon, which get the event too
        await EventStream.update(
            event.id, description=f"handled by {self.name} {self.version}: {event.topic} n={event.payload.get('n')}",
            summary={**event.summary, "handledBy": self.version})

    async def on_count(self, event: EventModel) -> None:
        """Appends one line per run, naming the instance whose host ran it, to the file the payload names."""
        if event.payload.get("for") != self.name:
            return
        with open(event.payload["file"], "a", encoding="utf-8") as file:
            file.write(f"{event.id} {os.environ.get('ANVIL_API_URL')}\n")

    async def on_hook_trouble(self, event: EventModel) -> None:
        if event.payload.get("for") != self.name:
            return
        if event.payload.get("fail"):
            raise ValueError("the handler fails on purpose")
        if event.payload.get("wait"):
            # Subscribed first: it sees the other handler's change only if that one runs meanwhile.
            while not (current := await EventStream.get(event.id)).description.startswith("handled"):
                await asyncio.sleep(0.05)
            await EventStream.update(event.id, description=current.description + "; the first handler saw it")

    async def hello(self, user: CurrentUser, request: Request, name: str = Query("world"),
                    x_probe: str | None = Header(None)) -> dict[str, Any]:
        return {"hello": name, "user": user.name, "isAdmin": user.is_admin,
                "probe": x_probe, "authorization": request.headers.get("authorization"),
                "cookie": request.headers.get("cookie")}

    async def save_note(self, user: CurrentUser, note: Note, note_id: str = Path(...)) -> Echo:
        return Echo(user_name=user.name, is_admin=user.is_admin, note=note, note_id=note_id)

    async def get_item(self, item_id: int, verbose: bool = False) -> dict[str, Any]:
        return {"itemId": item_id, "verbose": verbose}

    async def get_file(self, name: str) -> FileResponse:
        if name != "icon.svg":
            raise HTTPException(404, f"no file {name}")
        return FileResponse(f"{self.addon_dir}/public/icon.svg", media_type="image/svg+xml")

    async def stream(self, chunks: int = 3) -> StreamingResponse:
        async def lines():
            for index in range(chunks):
                yield f"line {index}\n"
                await asyncio.sleep(0)

        return StreamingResponse(lines(), media_type="text/plain")

    async def hang(self) -> dict[str, str]:
        await asyncio.sleep(3600)
        return {"never": "answered"}

    async def block(self) -> dict[str, str]:
        time.sleep(3600)  # blocks the host's whole loop: Anvil must replace the host
        return {"never": "answered"}

    async def fail(self) -> dict[str, str]:
        raise ValueError("the endpoint fails on purpose")

    async def sql(self) -> list[Any]:
        return await Postgres.fetch("SELECT * FROM public.users")

    async def admin_only(self, user: CurrentUser) -> dict[str, str]:
        if not user.is_admin:
            raise ForbiddenException("Only admins may call this")
        return {"admin": user.name}

    async def greeting(self, variant: str = "production", project: str | None = None) -> dict[str, Any]:
        if project:
            settings = await self.get_project_settings(project, variant=variant)
        else:
            settings = await self.get_studio_settings(variant=variant)
        return {"greeting": settings.greeting}

    async def shadowed_settings(self) -> dict[str, bool]:
        return {"shadowed": True}  # Anvil's own /settings route must win

    async def task_info(self, project_name: str, task_id: str) -> dict[str, Any]:
        project = await ProjectEntity.load(project_name)
        task = await TaskEntity.load(project_name, task_id)
        return {"project": project.name, "taskTypes": [t["name"] for t in project.task_types],
                "task": task.name, "taskType": task.task_type, "folderId": task.folder_id}

    async def write_entities(self, user: CurrentUser, project_name: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        folder = FolderEntity(project_name=project_name, payload={
            "name": body["name"], "folder_type": body.get("folderType", "Shot"), "attrib": {"fps": 24}})
        await folder.save()
        task = TaskEntity(project_name=project_name, payload={"name": "comp", "task_type": "Compositing", "folder_id": folder.id})
        await task.save()
        loaded = await FolderEntity.load(project_name, folder.id)
        loaded.label = body["name"].upper()
        loaded.attrib.fps = 25
        loaded.data["by"] = user.name
        await loaded.save()
        unchanged = await loaded.save()
        if body.get("deleteTask"):
            await (await TaskEntity.load(project_name, task.id)).delete()
        project = await ProjectEntity.load(project_name)
        project.attrib.resolutionWidth = 1234
        await project.save()
        return {"folderId": folder.id, "taskId": task.id, "savedAgain": unchanged}

    async def dispatch_event(self, user: CurrentUser, request: Request) -> dict[str, Any]:
        body = await request.json()
        event_id = await EventStream.dispatch("endpoints.test", description=body.get("description"),
                                              summary={"by": user.name}, finished=False)
        await EventStream.update(event_id, status="finished", description="done by the addon")
        event = await EventStream.get(event_id)
        return {"id": event_id, "status": event.status, "description": event.description}

    async def read_secret(self, name: str) -> dict[str, Any]:
        return {"name": name, "found": await Secrets.get(name) is not None}

    # --- actions ---------------------------------------------------------------------------------

    async def get_simple_actions(self, project_name: str | None = None, variant: str = "production"):
        return [
            SimpleActionManifest(
                identifier="endpoints.launch", label="Launch it", category="Tests", order=1,
                icon={"type": "url", "url": "/api{addon_url}/files/icon.svg"},
                entity_type="task", entity_subtypes=["Compositing"], allow_multiselection=False,
                config_fields=SimpleForm().boolean("skip_last_workfile", label="Skip last workfile", value=False),
            ),
            SimpleActionManifest(identifier="endpoints.form", label="Ask", entity_type="task",
                                 icon={"type": "material-symbols", "name": "help"}),
            SimpleActionManifest(identifier="endpoints.redirect", label="Open docs", entity_type="folder",
                                 allow_multiselection=True),
            SimpleActionManifest(identifier="endpoints.admin", label="Admin only", entity_type="task",
                                 admin_only=True),
        ]

    async def execute_action(self, executor: ActionExecutor) -> ExecuteResponseModel:
        context = executor.context
        if executor.identifier == "endpoints.launch":
            config = await self.get_action_config(executor.identifier, context, executor.user, executor.variant)
            args = ["addon", "endpoints", "launch", "--project", context.project_name,
                    "--task-id", context.entity_ids[0]]
            if config.get("skip_last_workfile"):
                args += ["--skip-last-workfile"]
            return await executor.get_launcher_response(args=args)
        if executor.identifier == "endpoints.form":
            if context.form_data:
                return await executor.get_simple_response(message=f"You said {context.form_data.get('answer')}")
            return await executor.get_form_response(
                title="A question", fields=SimpleForm().text("answer", label="Answer", value=""))
        if executor.identifier == "endpoints.redirect":
            return await executor.get_redirect_response("https://example.com/docs", new_tab=True)
        if executor.identifier == "endpoints.admin":
            return await executor.get_simple_response(message="admin did it")
        return await executor.get_simple_response(message="unknown action", success=False)
