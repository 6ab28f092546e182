"""Response classes of the FastAPI stand-in: they hold what they were given."""

from typing import Any


class Response:
    def __init__(self, content: Any = None, status_code: int = 200, headers: dict[str, str] | None = None,
                 media_type: str | None = None, **options: Any):
        self.body = content
        self.status_code = status_code
        self.headers = headers or {}
        self.media_type = media_type


class JSONResponse(Response):
    media_type = "application/json"


class PlainTextResponse(Response):
    media_type = "text/plain"


class FileResponse(Response):
    def __init__(self, path: Any, **options: Any):
        super().__init__(**options)
        self.path = path


class RedirectResponse(Response):
    def __init__(self, url: str, status_code: int = 307, **options: Any):
        super().__init__(status_code=status_code, **options)
        self.url = url


class StreamingResponse(Response):
    pass
