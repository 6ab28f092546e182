"""The event stream: dispatch, update and read through Anvil's API; subscriptions kept for Anvil's delivery.

`EventStream.subscribe(topic, handler)` keeps the handler in this process. The addon HTTP host runs it
when Anvil hands it an event dispatched with a matching topic (`POST /_anvil/events/deliver`, see
docs/addons.md, "Event handlers"); an export only reports the topics.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from uuid import uuid4

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


@dataclass(eq=False)
class Subscription:
    topic: str
    handler: Callable
    all_nodes: bool
    token: str


def topic_matches(pattern: str, topic: str) -> bool:
    """AYON's rule: the exact topic, or a pattern ending in `*` for every topic that starts like it."""
    return pattern == topic or (pattern.endswith("*") and topic.startswith(pattern[:-1]))


class EventStream:
    subscribed_topics: list[str] = []
    """Every topic subscribed in this process, in order (the export reports them)."""
    subscriptions: list[Subscription] = []
    """The handlers subscribed and not unsubscribed, in order."""

    @classmethod
    def subscribe(cls, topic: str, handler: Callable, all_nodes: bool = False) -> str:
        cls.subscribed_topics.append(topic)
        subscription = Subscription(topic, handler, all_nodes, uuid4().hex)
        cls.subscriptions.append(subscription)
        return subscription.token

    @classmethod
    def unsubscribe(cls, token: str) -> None:
        cls.subscriptions[:] = [s for s in cls.subscriptions if s.token != token]

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
        return event_model(found)


def event_model(data: dict[str, Any]) -> EventModel:
    """An event as Anvil's REST API shows it (camelCase), as the model addon code reads."""
    return EventModel(**{_snake(key): value for key, value in data.items()})


def _serving() -> runtime.Serving | None:
    return runtime.current() if hostcontext.current() is None else None


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


async def dispatch_event(topic: str, *args: Any, **kwargs: Any) -> str:
    return await EventStream.dispatch(topic, *args, **kwargs)


async def update_event(event_id: str, *args: Any, **kwargs: Any) -> None:
    await EventStream.update(event_id, *args, **kwargs)
