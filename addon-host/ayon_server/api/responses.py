"""Response models endpoints return."""

from ayon_server.types import OPModel


class EmptyResponse(OPModel):
    """Sent as HTTP 204."""
