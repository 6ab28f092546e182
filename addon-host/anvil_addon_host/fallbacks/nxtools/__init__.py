"""A stand-in for `nxtools`: the `logging` object and `slugify` that addons import."""

from ayon_server.logging import AddonLogger
from ayon_server.utils import slugify


class _NxLogger(AddonLogger):
    def goodnews(self, message: str, *args, **kwargs) -> None:
        self.info(message)


logging = _NxLogger()

__all__ = ["logging", "slugify"]
