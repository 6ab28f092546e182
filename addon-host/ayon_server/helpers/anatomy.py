"""Reading a project's anatomy, which lives in Anvil."""

from ayon_server import hostcontext
from ayon_server.settings.anatomy import Anatomy


async def get_project_anatomy(project_name: str) -> Anatomy:
    hostcontext.require(f"the anatomy of project {project_name}")
