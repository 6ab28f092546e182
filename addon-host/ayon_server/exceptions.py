"""AYON's exception names, each with the HTTP status the server answers with."""

from typing import Any


class AyonException(Exception):
    status: int = 500
    detail: str = "Error"

    def __init__(self, detail: str | None = None, **extra: Any):
        if detail is not None:
            self.detail = detail
        self.extra = extra
        super().__init__(self.detail)


class BadRequestException(AyonException):
    status = 400
    detail = "Bad request"


class InvalidSettingsException(AyonException):
    status = 400
    detail = "Invalid settings"


class UnauthorizedException(AyonException):
    status = 401
    detail = "Not logged in"


class ForbiddenException(AyonException):
    status = 403
    detail = "Forbidden"


class NotFoundException(AyonException):
    status = 404
    detail = "Not found"


class ConflictException(AyonException):
    status = 409
    detail = "Conflict"


class NotImplementedException(AyonException):
    status = 501
    detail = "Not implemented"


class ServiceUnavailableException(AyonException):
    status = 503
    detail = "Service unavailable"


def __getattr__(name: str) -> type[AyonException]:
    # A newer AYON exception name still has to be raisable and catchable: a 500 by default.
    if name.endswith("Exception") and not name.startswith("_"):
        exception_class = type(name, (AyonException,), {"__module__": __name__})
        globals()[name] = exception_class
        return exception_class
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
