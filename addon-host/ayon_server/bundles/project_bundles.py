"""Per-project bundles, read from Anvil (`GET /api/projects/{name}/bundle`, `GET /api/bundles`)."""

from typing import Any

from ayon_server import hostcontext, runtime
from ayon_server.addons.library import bundle_of_variant


def _serving(what: str) -> runtime.Serving:
    serving = runtime.current() if hostcontext.current() is None else None
    if serving is None:
        hostcontext.require(what)
    return serving


async def _project_bundle_name(project_name: str, variant: str) -> str | None:
    if variant not in ("production", "staging"):
        return None
    serving = _serving(f"the bundle of project {project_name}")
    answer = await serving.as_user("GET", f"/api/projects/{runtime.segment(project_name)}/bundle", allow_404=True)
    return (answer or {}).get(variant)


async def has_project_bundle(project_name: str, variant: str = "production") -> bool:
    return await _project_bundle_name(project_name, variant) is not None


async def get_project_bundle_addons(project_name: str, variant: str = "production") -> dict[str, Any]:
    """The addon versions of the project's bundle, over the studio's bundle of `variant`."""
    serving = _serving(f"the bundle of project {project_name}")
    studio = await bundle_of_variant(serving, variant) or {}
    addons = dict(studio.get("addons") or {})
    name = await _project_bundle_name(project_name, variant)
    if name is not None:
        answer = await serving.as_host("GET", "/api/bundles")
        for bundle in answer.get("bundles", []):
            if bundle.get("name") == name:
                addons.update({k: v for k, v in (bundle.get("addons") or {}).items() if v})
    return addons
