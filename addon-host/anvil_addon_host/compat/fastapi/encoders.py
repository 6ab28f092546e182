"""`jsonable_encoder`: what the routing sends for an endpoint's return value."""

from anvil_addon_host.routing import to_jsonable as jsonable_encoder  # noqa: F401
