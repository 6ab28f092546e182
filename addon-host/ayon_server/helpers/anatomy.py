"""Reading a project's anatomy, which lives in Anvil (the live host gets it with the request)."""

from typing import Any

from ayon_server import hostcontext, runtime
from ayon_server.settings.anatomy import Anatomy


def anatomy_json(project_name: str | None) -> dict[str, Any] | None:
    """The anatomy the current request carries for `project_name` (None: the primary preset), or None."""
    context = hostcontext.current()
    if context is None or context.anatomy is None or context.project_name != (project_name or None):
        return None
    return context.anatomy


async def get_project_anatomy(project_name: str) -> Anatomy:
    anatomy = anatomy_json(project_name) if project_name else None
    if anatomy is not None:
        return Anatomy.parse_obj(anatomy)
    if hostcontext.current() is None and (serving := runtime.current()) is not None:
        return Anatomy.parse_obj(await serving.as_user("GET", f"/api/projects/{runtime.segment(project_name)}/anatomy"))
    hostcontext.require(f"the anatomy of project {project_name}")
