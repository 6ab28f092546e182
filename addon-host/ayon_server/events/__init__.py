"""The event stream: subscriptions are recorded; dispatching needs Anvil, so it refuses here."""

from datetime import datetime
from typing import Any, Callable

from pydantic import Extra

from ayon_server import hostcontext, runtime
from ayon_server.types import Field, OPModel


class EventModel(OPModel):
    class Config:
        extra = Extra.allow

    id: str = Field(default="")
    hash: str = Field(default="")
    topic: str = Field(default="")
    project: str | None = None
    user: str | None = None
    sender: str | None = None
    depends_on: str | None = None
    status: str = "finished"
    retries: int = 0
    description: str = ""
    summary: dict[str, Any] = Field(default_factory=dict)
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class EventStream:
    subscribed_topics: list[str] = []
    """Every topic subscribed in this process, in order (the export reports them)."""

    @classmethod
    def subscribe(cls, topic: str, handler: Callable, all_nodes: bool = False) -> str:
        cls.subscribed_topics.append(topic)
        return f"{topic}:{len(cls.subscribed_topics)}"

    @classmethod
    def unsubscribe(cls, token: str) -> None:
        """Subscriptions are only recorded, so there is nothing to cancel."""

    @classmethod
    async def dispatch(cls, topic: str, sender: str | None = None, hash: str | None = None,  # noqa: A002
                       project: str | None = None, user: str | None = None, depends_on: str | None = None,
                       description: str | None = None, summary: dict[str, Any] | None = None,
                       payload: dict[str, Any] | None = None, finished: bool = True, store: bool = True,
                       **kwargs: Any) -> str | None:
        """Through Anvil's `POST /api/events`, as the host's service identity (AYON's server dispatches as itself)."""
        serving = _serving()
        if serving is None:
            hostcontext.require(f"dispatching the event {topic}")
        body = {"topic": topic, "sender": sender, "hash": hash, "project": project, "dependsOn": depends_on,
                "description": description, "summary": summary or {}, "payload": payload or {},
                "finished": finished, "store": store, "reuse": bool(kwargs.get("reuse"))}
        answer = await serving.as_host("POST", "/api/events", body={k: v for k, v in body.items() if v is not None})
        return answer.get("id") if answer else None

    @classmethod
    async def update(cls, event_id: str, sender: str | None = None, project: str | None = None,
                     user: str | None = None, status: str | None = None, description: str | None = None,
                     summary: dict[str, Any] | None = None, payload: dict[str, Any] | None = None,
                     progress: float | None = None, store: bool = True, retries: int | None = None,
                     **kwargs: Any) -> None:
        serving = _serving()
        if serving is None:
            hostcontext.require("updating an event")
        body = {"sender": sender, "project": project, "user": user, "status": status, "description": description,
                "summary": summary, "payload": payload, "progress": progress, "retries": retries}
        await serving.as_host("PATCH", f"/api/events/{runtime.segment(event_id)}",
                              body={k: v for k, v in body.items() if v is not None})

    @classmethod
    async def get(cls, event_id: str) -> EventModel:
        serving = _serving()
        if serving is None:
            hostcontext.require("reading an event")
        found = await serving.as_host("GET", f"/api/events/{runtime.segment(event_id)}")
        return EventModel(**{_snake(key): value for key, value in found.items()})


def _serving() -> runtime.Serving | None:
    return runtime.current() if hostcontext.current() is None else None


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


async def dispatch_event(topic: str, *args: Any, **kwargs: Any) -> str:
    return await EventStream.dispatch(topic, *args, **kwargs)


async def update_event(event_id: str, *args: Any, **kwargs: Any) -> None:
    await EventStream.update(event_id, *args, **kwargs)
