"""The real `python3 -m anvil_addon_host serve-http` on a unix socket, with a stand-in for Anvil's API.

The stand-in records each call the runtime makes back (path, the host key, the user it acts for) and
answers what Anvil would; the tests check what addon code gets and what reaches Anvil.
"""

import base64
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import ADDON_HOST_DIR, TEST_ADDONS_DIR, host_environment

ADDON_DIR = TEST_ADDONS_DIR / "endpoints"
HOST_KEY = "k" * 64


class FakeAnvil(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []
    answers: dict[str, Any] = {}

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.calls.append({"method": self.command, "path": self.path, "key": self.headers.get("x-anvil-host-key"),
                           "user": self.headers.get("x-as-user"), "body": body})
        status, answer = self.answers.get(f"{self.command} {self.path}", (404, {"detail": "not found"}))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = _answer

    def log_message(self, *args: Any) -> None:
        pass


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("addon-host", timeout=10)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)


class Host:
    def __init__(self, tmp_path: Path, api_port: int):
        self.socket = str(tmp_path / "host.sock")
        environment = host_environment(400)
        environment.update({"ANVIL_API_URL": f"http://127.0.0.1:{api_port}", "ANVIL_HOST_KEY": HOST_KEY})
        self.process = subprocess.Popen([sys.executable, "-m", "anvil_addon_host", "serve-http", "--socket", self.socket],
                                        cwd=tmp_path, env=environment, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            assert self.process.poll() is None, self.process.stderr.read().decode()
            assert time.monotonic() < deadline, "the host did not listen within 10 s"
            time.sleep(0.05)

    def request(self, method: str, path: str, body: Any = None, user: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, raw: Any = None) -> tuple[int, dict[str, str], bytes]:
        """`body` is sent as JSON; `raw` as it is (bytes, or an iterable of chunks sent chunked), with `headers`."""
        connection = UnixConnection(self.socket)
        sent = {"X-Anvil-Addon-Dir": str(ADDON_DIR), **(headers or {})}
        if user is not None:
            sent["X-Anvil-User"] = base64.b64encode(json.dumps(user).encode()).decode()
        payload = raw if body is None else json.dumps(body).encode()
        if body is not None:
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=sent,
                           encode_chunked=payload is not None and not isinstance(payload, bytes))
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def json(self, method: str, path: str, body: Any = None, user: dict[str, Any] | None = None) -> tuple[int, Any]:
        status, _, data = self.request(method, path, body, user)
        return status, json.loads(data)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


BOB = {"name": "bob", "attrib": {"fullName": "Bob"}, "data": {"isAdmin": False}}
ADMIN = {"name": "admin", "data": {"isAdmin": True}}
URL = "/api/addons/endpoints/1.0.0"


@pytest.fixture
def anvil():
    FakeAnvil.calls = []
    FakeAnvil.answers = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAnvil)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def host(tmp_path, anvil):
    running = Host(tmp_path, anvil.server_address[1])
    yield running
    running.close()


def test_our_own_fastapi_is_what_addon_code_imports():
    compat = ADDON_HOST_DIR / "anvil_addon_host" / "compat"
    found = subprocess.run([sys.executable, "-c", "import fastapi; print(fastapi.__file__)"],
                           env={**host_environment(400), "PYTHONPATH": f"{compat}:{ADDON_HOST_DIR}"},
                           capture_output=True, text=True, check=True)
    assert found.stdout.strip().startswith(str(compat))


def test_the_forwarded_user_query_and_headers_reach_the_handler(host):
    status, answer = host.json("GET", f"{URL}/hello?name=you", user=BOB)
    assert status == 200
    assert answer == {"hello": "you", "user": "bob", "isAdmin": False, "probe": None,
                      "authorization": None, "cookie": None}


def test_current_user_is_required_and_never_read_from_the_body(host):
    status, answer = host.json("GET", f"{URL}/hello")
    assert status == 401


def test_a_body_becomes_the_handlers_model_and_bad_input_is_a_422(host):
    ok, echo = host.json("POST", f"{URL}/notes/n1", {"title": "T", "tags": ["x"]}, user=ADMIN)
    bad, refused = host.json("POST", f"{URL}/notes/n1", {"tags": "x"}, user=ADMIN)
    assert ok == 200 and echo["note"] == {"title": "T", "bodyText": "", "tags": ["x"]} and echo["noteId"] == "n1"
    assert bad == 422 and ["body", "title"] in [e["loc"] for e in refused["detail"]]


def test_files_are_sent_with_their_length_and_generators_chunked(host):
    status, headers, data = host.request("GET", f"{URL}/files/icon.svg", user=ADMIN)
    assert status == 200 and headers["content-type"] == "image/svg+xml"
    assert data == (ADDON_DIR / "public" / "icon.svg").read_bytes() and headers["content-length"] == str(len(data))
    status, headers, data = host.request("GET", f"{URL}/stream?chunks=2", user=ADMIN)
    assert headers["transfer-encoding"] == "chunked" and data == b"line 0\nline 1\n"


def test_settings_are_read_from_anvil_as_the_forwarded_user_with_the_host_key(host):
    FakeAnvil.answers["GET /api/addons/endpoints/1.0.0/settings?variant=staging"] = (200, {"greeting": "hi"})
    status, answer = host.json("GET", f"{URL}/greeting?variant=staging", user=BOB)
    assert (status, answer) == (200, {"greeting": "hi"})
    call = FakeAnvil.calls[-1]
    assert (call["key"], call["user"]) == (HOST_KEY, "bob")


def test_anvils_refusal_of_an_entity_read_is_the_endpoints_answer(host):
    FakeAnvil.answers["GET /api/projects/p"] = (403, {"code": 403, "detail": "You do not have access to project p"})
    status, answer = host.json("GET", f"{URL}/projects/p/tasks/t1", user=BOB)
    assert status == 403 and answer["detail"] == "You do not have access to project p"


def test_secrets_are_read_as_the_host_itself_never_as_the_user(host):
    FakeAnvil.answers["GET /api/secrets/ftrack_key"] = (200, {"name": "ftrack_key", "value": "s3cr3t"})
    status, answer = host.json("GET", f"{URL}/secrets/ftrack_key", user=BOB)
    missing, absent = host.json("GET", f"{URL}/secrets/nothing", user=BOB)
    assert (status, answer) == (200, {"name": "ftrack_key", "found": True})
    assert absent == {"name": "nothing", "found": False}
    assert [c["user"] for c in FakeAnvil.calls if c["path"].startswith("/api/secrets/")] == [None, None]


def test_events_are_dispatched_and_updated_through_anvil(host):
    FakeAnvil.answers["POST /api/events"] = (200, {"id": "e1"})
    FakeAnvil.answers["PATCH /api/events/e1"] = (204, None)
    FakeAnvil.answers["GET /api/events/e1"] = (200, {"id": "e1", "topic": "endpoints.test", "status": "finished",
                                                      "description": "done by the addon", "dependsOn": None})
    status, answer = host.json("POST", f"{URL}/events", {"description": "x"}, user=BOB)
    assert (status, answer) == (200, {"id": "e1", "status": "finished", "description": "done by the addon"})
    dispatched = next(c for c in FakeAnvil.calls if c["method"] == "POST")
    assert dispatched["body"]["topic"] == "endpoints.test" and dispatched["body"]["finished"] is False
    assert next(c for c in FakeAnvil.calls if c["method"] == "PATCH")["body"] == {"status": "finished", "description": "done by the addon"}


def test_raw_sql_answers_501_naming_the_call(host):
    status, answer = host.json("GET", f"{URL}/sql", user=ADMIN)
    assert status == 501 and "Postgres.fetch" in answer["detail"]


def test_a_failing_handler_is_a_502_with_its_place_and_the_host_keeps_serving(host):
    status, answer = host.json("GET", f"{URL}/fail", user=ADMIN)
    assert status == 502 and "server/__init__.py:" in answer["detail"]
    assert host.json("GET", f"{URL}/hello", user=ADMIN)[0] == 200


def test_actions_are_listed_for_the_context_and_the_users_level(host):
    spec = {"name": "endpoints", "version": "1.0.0", "dir": str(ADDON_DIR)}
    context = {"projectName": "p", "entityType": "task", "entityIds": ["t1"], "entitySubtypes": ["Compositing"]}
    _, for_bob = host.json("POST", "/_anvil/actions/list", {"addons": [spec, {**spec, "name": "missing", "dir": "/nope"}],
                                                          "context": context, "mode": "all"}, user=BOB)
    _, for_admin = host.json("POST", "/_anvil/actions/list", {"addons": [spec], "context": context}, user=ADMIN)
    assert [a["identifier"] for a in for_bob["actions"]] == ["endpoints.launch", "endpoints.form"]
    assert [a["identifier"] for a in for_admin["actions"]] == ["endpoints.launch", "endpoints.form", "endpoints.admin"]
    assert for_bob["actions"][0]["icon"]["url"] == "/api/addons/endpoints/1.0.0/files/icon.svg"


def test_a_launcher_answer_carries_its_arguments_for_anvil(host):
    FakeAnvil.answers[f"GET /api/actions/storedConfig/{_config_hash()}"] = (200, {"value": {}})
    spec = {"name": "endpoints", "version": "1.0.0", "dir": str(ADDON_DIR)}
    status, answer = host.json("POST", "/_anvil/actions/execute", {
        "addon": spec, "identifier": "endpoints.launch",
        "context": {"projectName": "p", "entityType": "task", "entityIds": ["t1"]}}, user=BOB)
    assert status == 200 and answer["type"] == "launcher"
    assert answer["payload"]["anvilLauncherArgs"] == ["addon", "endpoints", "launch", "--project", "p", "--task-id", "t1"]


def _config_hash() -> str:
    sys.path.insert(0, str(ADDON_HOST_DIR))
    from ayon_server.utils import hash_data

    return hash_data(["bob", "endpoints", "1.0.0", "endpoints.launch", "production", "p", "task", ["t1"]])


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "b0undary-x") -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body of (name, filename or None, content) parts."""
    body = bytearray()
    for name, filename, content in parts:
        body += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"Content-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_a_response_model_drops_extra_fields_and_nones_and_sends_aliases(host):
    status, answer = host.json("GET", f"{URL}/router/shots/sh010", user=BOB)
    assert status == 200
    assert answer == {"name": "sh010", "folderType": "Shot",
                      "versions": [{"name": "v001", "frameStart": 1001}, {"name": "v002"}]}


def test_the_return_annotation_is_the_response_model_when_the_route_names_none(host):
    status, answer = host.json("GET", f"{URL}/router/shots/sh020/stored", user=BOB)
    listed, shots = host.json("GET", f"{URL}/router/shots", user=BOB)
    assert status == 200
    assert answer == {"name": "sh020", "folderType": "Shot", "comment": None, "versions": [{"name": "v001", "frameStart": None}]}
    assert listed == 200
    assert shots == [{"name": "sh010", "folder_type": "Shot", "comment": None, "versions": [{"name": "v1", "frame_start": 1}]},
                     {"name": "sh020", "folder_type": "Shot", "comment": None, "versions": []}]


def test_an_answer_that_does_not_fit_its_response_model_is_a_502_naming_the_fields(host):
    status, answer = host.json("GET", f"{URL}/router/broken-shot", user=BOB)
    assert status == 502
    assert [e["loc"] for e in answer["errors"]] == [["response", "name"], ["response", "versions", 0, "name"],
                                                    ["response", "versions", 0, "frameStart"]]
    assert "does not fit its response model" in answer["detail"]


def test_form_fields_and_files_reach_the_handler_and_a_large_file_is_spooled_to_disk(host):
    content = os.urandom(3 * 1024 * 1024) + b"\r\n--b0undary-tail"
    body, headers = multipart([("title", None, "Plate ✓".encode()), ("file", "plate.exr", content), ("count", None, b"3"),
                               ("tags", None, b"a"), ("tags", None, b"b"), ("extra", "a.txt", b"first"),
                               ("extra", "b.txt", b"")])
    status, _, data = host.request("POST", f"{URL}/router/uploads", user=BOB, headers=headers, raw=body)
    answer = json.loads(data)
    assert status == 201
    assert answer == {"user": "bob", "title": "Plate ✓", "count": 3, "tags": ["a", "b"], "filename": "plate.exr",
                      "contentType": "application/octet-stream", "size": len(content),
                      "sha256": hashlib.sha256(content).hexdigest(), "onDisk": True,
                      "extra": [{"filename": "a.txt", "text": "first"}, {"filename": "b.txt", "text": ""}]}


def test_a_chunked_multipart_body_is_read_as_it_streams_in(host):
    body, headers = multipart([("title", None, b"small"), ("file", "x.bin", b"0123456789" * 1000)])
    pieces = [body[i:i + 7] for i in range(0, len(body), 7)]
    status, _, data = host.request("POST", f"{URL}/router/uploads", user=BOB, headers=headers, raw=iter(pieces))
    answer = json.loads(data)
    assert status == 201 and answer["size"] == 10000 and answer["onDisk"] is False


def test_a_missing_form_field_or_text_where_a_file_belongs_is_a_422_naming_it(host):
    body, headers = multipart([("file", None, b"not a file"), ("count", None, b"many")])
    status, _, data = host.request("POST", f"{URL}/router/uploads", user=BOB, headers=headers, raw=body)
    as_json, _, json_data = host.request("POST", f"{URL}/router/uploads", {"title": "x"}, user=BOB)
    assert status == 422
    assert [e["loc"] for e in json.loads(data)["detail"]] == [["body", "title"], ["body", "file"], ["body", "count"]]
    assert as_json == 422 and ["body", "file"] in [e["loc"] for e in json.loads(json_data)["detail"]]


def test_an_urlencoded_form_is_read_into_the_form_fields(host):
    status, _, data = host.request("POST", f"{URL}/router/login", user=BOB, raw=b"name=J%C3%BCrgen&remember=true",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, json.loads(data)) == (200, {"name": "Jürgen", "remember": True})


def test_a_form_field_over_the_limit_is_a_413_and_a_malformed_body_a_400(host):
    body, headers = multipart([("title", None, b"x" * (1024 * 1024 + 1)), ("file", "f", b"1")])
    too_large, _, large = host.request("POST", f"{URL}/router/uploads", user=BOB, headers=headers, raw=body)
    malformed, _, bad = host.request("POST", f"{URL}/router/uploads", user=BOB, headers=headers,
                                     raw=b"--b0undary-x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nno end")
    assert too_large == 413 and "'title'" in json.loads(large)["detail"]
    assert malformed == 400 and "malformed" in json.loads(bad)["detail"]
    assert host.json("GET", f"{URL}/hello", user=BOB)[0] == 200


class SocketClient:
    """A websocket client on the host's socket: the upgrade as Anvil sends it, then masked frames."""

    def __init__(self, host: Host, path: str, user: dict[str, Any] | None = BOB):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(host.socket)
        headers = {"Host": "addon-host", "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(), "X-Anvil-Addon-Dir": str(ADDON_DIR)}
        if user is not None:
            headers["X-Anvil-User"] = base64.b64encode(json.dumps(user).encode()).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode())
        self.file = self.sock.makefile("rb")
        self.status = int(self.file.readline().split()[1])
        self.headers = {}
        while (line := self.file.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            self.headers[name.strip().lower()] = value.strip()
        if self.status != 101:
            length = int(self.headers.get("content-length", 0))
            self.body = json.loads(self.file.read(length)) if length else None

    def send(self, text: str, opcode: int = 1) -> None:
        data = text.encode()
        mask = os.urandom(4)
        header = bytes([0x80 | opcode]) + (bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + len(data).to_bytes(2, "big"))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def receive(self) -> tuple[int, bytes]:
        first, second = self.file.read(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self.file.read(2), "big")
        elif length == 127:
            length = int.from_bytes(self.file.read(8), "big")
        return first & 0x0F, self.file.read(length)

    def close(self) -> None:
        self.sock.close()


def test_a_websocket_route_gets_the_user_and_path_and_echoes_until_closed(host):
    client = SocketClient(host, f"{URL}/router/live/r1?shout=true")
    assert client.status == 101
    key = base64.b64encode(b"0123456789abcdef") + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §4.2.2
    assert client.headers["sec-websocket-accept"] == base64.b64encode(hashlib.sha1(key).digest()).decode()
    assert client.receive() == (1, b'{"room":"r1","user":"bob"}')
    client.send("hello " * 30)
    assert client.receive() == (1, ("HELLO " * 30).encode())
    client.send("", opcode=9)
    assert client.receive() == (10, b"")
    client.send("bye")
    opcode, payload = client.receive()
    assert opcode == 8 and int.from_bytes(payload[:2], "big") == 4000 and payload[2:] == b"bye"
    client.close()


def test_a_failing_websocket_handler_closes_with_1011_and_the_host_keeps_serving(host):
    client = SocketClient(host, f"{URL}/router/live/r2")
    client.receive()
    client.send("fail")
    opcode, payload = client.receive()
    assert opcode == 8 and int.from_bytes(payload[:2], "big") == 1011
    client.close()
    assert host.json("GET", f"{URL}/hello", user=BOB)[0] == 200


def test_a_websocket_refused_before_accepting_or_unknown_or_without_a_user_is_an_http_answer(host):
    refused = SocketClient(host, f"{URL}/router/closed")
    unknown = SocketClient(host, f"{URL}/router/nothing")
    anonymous = SocketClient(host, f"{URL}/router/live/r3", user=None)
    plain, answer = host.json("GET", f"{URL}/router/live/r3", user=BOB)
    assert (refused.status, unknown.status, anonymous.status) == (403, 404, 401)
    assert "did not accept" in refused.body["detail"] and "no websocket route" in unknown.body["detail"]
    assert plain == 426 and "open it as a websocket" in answer["detail"]
