"""`logger`: what addons log goes to the host's stderr, which Anvil keeps for failure reports."""

import logging as _logging
import sys

_handler = _logging.StreamHandler(sys.stderr)
_handler.setFormatter(_logging.Formatter("%(levelname)s %(name)s: %(message)s"))
_log = _logging.getLogger("addon")
_log.addHandler(_handler)
_log.setLevel(_logging.DEBUG)
_log.propagate = False


class AddonLogger:
    """The loguru-style calls addons make on AYON's logger."""

    def trace(self, message: str, *args, **kwargs) -> None:
        _log.debug(message)

    def debug(self, message: str, *args, **kwargs) -> None:
        _log.debug(message)

    def info(self, message: str, *args, **kwargs) -> None:
        _log.info(message)

    def success(self, message: str, *args, **kwargs) -> None:
        _log.info(message)

    def warning(self, message: str, *args, **kwargs) -> None:
        _log.warning(message)

    def error(self, message: str, *args, **kwargs) -> None:
        _log.error(message)

    def critical(self, message: str, *args, **kwargs) -> None:
        _log.critical(message)

    def exception(self, message: str, *args, **kwargs) -> None:
        _log.exception(message)

    def bind(self, **kwargs) -> "AddonLogger":
        return self


logger = AddonLogger()
