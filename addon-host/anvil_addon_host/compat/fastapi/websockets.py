"""`WebSocket` as an addon's websocket route gets it: RFC 6455 frames over the connection Anvil opened.

Anvil has authenticated the upgrade and forwards the messages both ways; the handler accepts, receives
and sends as with FastAPI (`receive_text`/`bytes`/`json`, `send_…`, `iter_…`, `close`). Pings are
answered here; a message over `MAX_MESSAGE_BYTES` closes the socket with 1009.
"""

import asyncio
import base64
import enum
import hashlib
import json
import struct
from typing import Any, AsyncIterator, Awaitable, Callable

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _BINARY, _CLOSE, _PING, _PONG, _CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2


class WebSocketDisconnect(Exception):
    def __init__(self, code: int = 1000, reason: str | None = None):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocket:
    """One websocket connection: the upgrade request's headers, query and path parameters, then messages."""

    def __init__(self, request: Any, reader: asyncio.StreamReader | None = None, writer: asyncio.StreamWriter | None = None):
        self.headers = request.headers
        self.query_params = request.query_params
        self.path_params = request.path_params
        self.url = request.url
        self.cookies = request.cookies
        self.state = request.state
        self.client = request.client
        self.scope: dict[str, Any] = {"type": "websocket", "path": request.url.path}
        self._reader = reader
        self._writer = writer
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING

    # --- the handshake and closing -----------------------------------------------------------------

    async def accept(self, subprotocol: str | None = None, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        key = self.headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1(key.encode("latin-1") + _GUID).digest()).decode()
        lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Accept: {accept}"]
        if subprotocol:
            lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
        for name, value in headers or []:
            lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}")
        self._transport().write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self._transport().drain()
        self.client_state = self.application_state = WebSocketState.CONNECTED

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        if self.application_state == WebSocketState.DISCONNECTED:
            return
        if self.application_state == WebSocketState.CONNECTED and self.client_state == WebSocketState.CONNECTED:
            await self._send_frame(_CLOSE, struct.pack("!H", code) + (reason or "").encode("utf-8")[:120])
        self.application_state = WebSocketState.DISCONNECTED

    # --- receiving ---------------------------------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        """The next message, as ASGI spells it (`websocket.receive` with `text` or `bytes`, or `websocket.disconnect`)."""
        try:
            opcode, data = await self._read_message()
        except WebSocketDisconnect as disconnect:
            return {"type": "websocket.disconnect", "code": disconnect.code, "reason": disconnect.reason}
        if opcode == _TEXT:
            return {"type": "websocket.receive", "text": data.decode("utf-8")}
        return {"type": "websocket.receive", "bytes": data}

    async def receive_text(self) -> str:
        opcode, data = await self._read_message()
        return data.decode("utf-8")

    async def receive_bytes(self) -> bytes:
        return (await self._read_message())[1]

    async def receive_json(self, mode: str = "text") -> Any:
        return json.loads((await self._read_message())[1])

    def iter_text(self) -> AsyncIterator[str]:
        return self._until_disconnect(self.receive_text)

    def iter_bytes(self) -> AsyncIterator[bytes]:
        return self._until_disconnect(self.receive_bytes)

    def iter_json(self) -> AsyncIterator[Any]:
        return self._until_disconnect(self.receive_json)

    @staticmethod
    async def _until_disconnect(receive: Callable[[], Awaitable[Any]]) -> AsyncIterator[Any]:
        try:
            while True:
                yield await receive()
        except WebSocketDisconnect:
            return

    # --- sending -----------------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "websocket.accept":
            await self.accept(message.get("subprotocol"), message.get("headers"))
        elif kind == "websocket.close":
            await self.close(message.get("code", 1000), message.get("reason"))
        elif message.get("text") is not None:
            await self.send_text(message["text"])
        else:
            await self.send_bytes(message.get("bytes") or b"")

    async def send_text(self, data: str) -> None:
        await self._send_frame(_TEXT, data.encode("utf-8"))

    async def send_bytes(self, data: bytes) -> None:
        await self._send_frame(_BINARY, bytes(data))

    async def send_json(self, data: Any, mode: str = "text") -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        await (self.send_text(text) if mode == "text" else self.send_bytes(text.encode("utf-8")))

    # --- frames ------------------------------------------------------------------------------------

    def _transport(self) -> asyncio.StreamWriter:
        if self._writer is None:
            raise RuntimeError("this websocket has no connection")
        return self._writer

    async def _send_frame(self, opcode: int, payload: bytes) -> None:
        if self.application_state != WebSocketState.CONNECTED:
            raise RuntimeError("the websocket is not accepted, or already closed")
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        self._transport().write(header + payload)
        await self._transport().drain()

    async def _read_message(self) -> tuple[int, bytes]:
        if self.client_state != WebSocketState.CONNECTED or self._reader is None:
            raise WebSocketDisconnect(1006)
        message = bytearray()
        message_opcode = None
        try:
            while True:
                first, second = await self._reader.readexactly(2)
                fin, opcode, masked, length = first & 0x80, first & 0x0F, second & 0x80, second & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", await self._reader.readexactly(2))
                elif length == 127:
                    (length,) = struct.unpack("!Q", await self._reader.readexactly(8))
                if len(message) + length > MAX_MESSAGE_BYTES:
                    await self.close(1009, "message too big")
                    self.client_state = WebSocketState.DISCONNECTED
                    raise WebSocketDisconnect(1009, "message too big")
                mask = await self._reader.readexactly(4) if masked else b"\0\0\0\0"
                payload = _unmask(await self._reader.readexactly(length), mask) if masked \
                    else await self._reader.readexactly(length)
                if opcode == _PING:
                    await self._send_frame(_PONG, payload)
                    continue
                if opcode == _PONG:
                    continue
                if opcode == _CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    reason = payload[2:].decode("utf-8", "replace") or None
                    await self.close(code if code not in (1005, 1006) else 1000)
                    self.client_state = WebSocketState.DISCONNECTED
                    raise WebSocketDisconnect(code, reason)
                if opcode != _CONTINUATION:
                    message_opcode = opcode
                message += payload
                if fin:
                    return message_opcode or _BINARY, bytes(message)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.client_state = self.application_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(1006) from None


def _unmask(data: bytes, mask: bytes) -> bytes:
    if not data:
        return data
    key = (mask * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(len(data), "big")
