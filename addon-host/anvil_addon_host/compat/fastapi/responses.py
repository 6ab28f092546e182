"""Response classes: each knows its status, headers and how to produce its body (`body_chunks`)."""

import json
import mimetypes
import os
from typing import Any, AsyncIterator

FILE_CHUNK_SIZE = 64 * 1024


class Response:
    media_type: str | None = None

    def __init__(self, content: Any = None, status_code: int = 200, headers: dict[str, str] | None = None,
                 media_type: str | None = None, **options: Any):
        self.status_code = status_code
        self.headers = dict(headers or {})
        if media_type is not None:
            self.media_type = media_type
        self.body = self.render(content)

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        if isinstance(content, bytes):
            return content
        return str(content).encode("utf-8")

    def content_type(self) -> str | None:
        if self.media_type is None:
            return None
        if self.media_type.startswith("text/") and "charset" not in self.media_type:
            return f"{self.media_type}; charset=utf-8"
        return self.media_type

    def content_length(self) -> int | None:
        """The body's length when known before it is sent; None means it is streamed."""
        return len(self.body)

    async def body_chunks(self) -> AsyncIterator[bytes]:
        if self.body:
            yield self.body


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str).encode("utf-8")


class PlainTextResponse(Response):
    media_type = "text/plain"


class HTMLResponse(Response):
    media_type = "text/html"


class RedirectResponse(Response):
    def __init__(self, url: str, status_code: int = 307, headers: dict[str, str] | None = None, **options: Any):
        super().__init__(None, status_code=status_code, headers=headers)
        self.url = str(url)
        self.headers["location"] = self.url


class StreamingResponse(Response):
    def __init__(self, content: Any, status_code: int = 200, headers: dict[str, str] | None = None,
                 media_type: str | None = None, **options: Any):
        self.content = content
        super().__init__(None, status_code=status_code, headers=headers, media_type=media_type)

    def content_length(self) -> int | None:
        return None

    async def body_chunks(self) -> AsyncIterator[bytes]:
        content = self.content
        if hasattr(content, "__aiter__"):
            async for chunk in content:
                yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        else:
            for chunk in content:  # type: ignore[union-attr]
                yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


class FileResponse(Response):
    def __init__(self, path: Any, status_code: int = 200, headers: dict[str, str] | None = None,
                 media_type: str | None = None, filename: str | None = None, **options: Any):
        self.path = os.fspath(path)
        super().__init__(None, status_code=status_code, headers=headers,
                         media_type=media_type or mimetypes.guess_type(self.path)[0] or "application/octet-stream")
        if filename:
            self.headers.setdefault("content-disposition", f'attachment; filename="{filename}"')

    def content_length(self) -> int | None:
        return os.path.getsize(self.path)

    async def body_chunks(self) -> AsyncIterator[bytes]:
        with open(self.path, "rb") as file:
            while chunk := file.read(FILE_CHUNK_SIZE):
                yield chunk


