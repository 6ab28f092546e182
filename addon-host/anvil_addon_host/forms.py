"""Form bodies for `Form(...)`, `File(...)` and `UploadFile` parameters, read as the request streams in.

`application/x-www-form-urlencoded` and `multipart/form-data` (RFC 7578). A file part goes to a
spooled temporary file (`UploadFile`: memory up to 1 MiB, then disk), so an upload is never held
whole in memory; any other part is a string of at most `MAX_FIELD_BYTES`. Too large a field, too
many parts or too long part headers answer 413; a body that is not the form it says answers 400.
The whole body's size is bounded by the host (`http_host.MAX_BODY_BYTES`) and, before that, by Anvil.
"""

import re
from typing import Any, AsyncIterator
from urllib.parse import parse_qsl

from fastapi import HTTPException, UploadFile

MAX_FIELD_BYTES = 1024 * 1024
MAX_PARTS = 1000
MAX_PART_HEADER_BYTES = 16 * 1024

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class FormData:
    """The parts of a form by name, in order; a name may repeat."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str | UploadFile]] = []

    def getlist(self, name: str) -> list[str | UploadFile]:
        return [value for key, value in self.items if key == name]

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self.items)

    async def close(self) -> None:
        for _, value in self.items:
            if isinstance(value, UploadFile):
                await value.close()


def media_type(content_type: str) -> tuple[str, dict[str, str]]:
    """`multipart/form-data; boundary="x"` → ("multipart/form-data", {"boundary": "x"})."""
    kind, *params = content_type.split(";")
    options = {}
    for param in params:
        key, _, value = param.strip().partition("=")
        options[key.strip().lower()] = value.strip().strip('"')
    return kind.strip().lower(), options


def too_large(what: str) -> HTTPException:
    return HTTPException(413, f"{what} is too large for the addon host")


async def read_form(content_type: str, chunks: AsyncIterator[bytes]) -> FormData:
    kind, options = media_type(content_type)
    if kind == MULTIPART:
        boundary = options.get("boundary")
        if not boundary:
            raise HTTPException(400, "The multipart body has no boundary in its Content-Type")
        return await read_multipart(boundary.encode("latin-1"), chunks)
    form = FormData()
    if kind != URLENCODED:
        return form  # no form fields: the parameters answer "field required", as in FastAPI
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > MAX_FIELD_BYTES * 4:
            raise too_large("The form body")
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    if len(pairs) > MAX_PARTS:
        raise too_large(f"A form of more than {MAX_PARTS} fields")
    form.items = list(pairs)
    return form


_DISPOSITION_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _disposition(value: str) -> dict[str, str]:
    params = {}
    for key, raw in _DISPOSITION_PARAM.findall(value):
        raw = raw.strip()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[key.lower()] = raw
    return params


async def read_multipart(boundary: bytes, chunks: AsyncIterator[bytes]) -> FormData:
    """Splits the body at `--boundary` lines as it arrives; file content is written out chunk by chunk."""
    form = FormData()
    delimiter = b"\r\n--" + boundary
    buffer = bytearray(b"\r\n")  # the first delimiter has no line break before it
    stream = chunks.__aiter__()
    ended = False

    async def more() -> bool:
        nonlocal ended
        if ended:
            return False
        try:
            buffer.extend(await stream.__anext__())
        except StopAsyncIteration:
            ended = True
            return False
        return True

    def malformed(reason: str) -> HTTPException:
        return HTTPException(400, f"The multipart body is malformed: {reason}")

    try:
        # The preamble, up to the first delimiter.
        while (start := buffer.find(delimiter)) < 0:
            del buffer[:max(0, len(buffer) - len(delimiter))]
            if not await more():
                raise malformed("no boundary line")
        del buffer[:start + len(delimiter)]
        while True:
            # After a delimiter: "--" ends the body, a line break starts the next part.
            while len(buffer) < 2:
                if not await more():
                    raise malformed("it ends after a boundary line")
            if buffer.startswith(b"--"):
                return form
            if not buffer.startswith(b"\r\n"):
                raise malformed("a boundary line is followed by something else")
            del buffer[:2]
            # The part's headers, up to a blank line.
            while (end := (0 if buffer.startswith(b"\r\n") else buffer.find(b"\r\n\r\n"))) < 0:
                if len(buffer) > MAX_PART_HEADER_BYTES:
                    raise too_large("A part's header block")
                if not await more():
                    raise malformed("it ends inside a part's headers")
            if end > MAX_PART_HEADER_BYTES:
                raise too_large("A part's header block")
            headers: dict[str, str] = {}
            for line in bytes(buffer[:end]).decode("utf-8", "replace").split("\r\n"):
                if line.strip():
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            del buffer[:end + (2 if end == 0 else 4)]
            disposition = _disposition(headers.get("content-disposition", ""))
            name = disposition.get("name")
            if name is None:
                raise malformed("a part has no name in its Content-Disposition")
            if len(form.items) >= MAX_PARTS:
                raise too_large(f"A form of more than {MAX_PARTS} parts")
            upload = None
            field = bytearray()
            if "filename" in disposition:
                upload = UploadFile(size=0, filename=disposition["filename"], headers=headers,
                                    content_type=headers.get("content-type"))
                form.items.append((name, upload))
            # The part's content, up to the next delimiter; what could be the start of one is kept back.
            while True:
                found = buffer.find(delimiter)
                take = found if found >= 0 else max(0, len(buffer) - len(delimiter))
                if take:
                    if upload is not None:
                        await upload.write(bytes(buffer[:take]))
                    else:
                        field += buffer[:take]
                        if len(field) > MAX_FIELD_BYTES:
                            raise too_large(f"The form field {name!r}")
                    del buffer[:take]
                if found >= 0:
                    del buffer[:len(delimiter)]
                    break
                if not await more():
                    raise malformed(f"it ends inside the part {name!r}")
            if upload is not None:
                await upload.seek(0)
            else:
                form.items.append((name, field.decode("utf-8", "replace")))
    except BaseException:
        await form.close()
        raise

