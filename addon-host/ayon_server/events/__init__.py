"""The event stream: subscriptions are recorded; dispatching needs Anvil, so it refuses here."""

from datetime import datetime
from typing import Any, Callable

from pydantic import Extra

from ayon_server import hostcontext
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
    async def dispatch(cls, topic: str, *args: Any, **kwargs: Any) -> str:
        hostcontext.require(f"dispatching the event {topic}")

    @classmethod
    async def update(cls, event_id: str, *args: Any, **kwargs: Any) -> None:
        hostcontext.require("updating an event")

    @classmethod
    async def get(cls, event_id: str) -> EventModel:
        hostcontext.require("reading an event")


async def dispatch_event(topic: str, *args: Any, **kwargs: Any) -> str:
    return await EventStream.dispatch(topic, *args, **kwargs)


async def update_event(event_id: str, *args: Any, **kwargs: Any) -> None:
    await EventStream.update(event_id, *args, **kwargs)
