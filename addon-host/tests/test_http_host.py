"""The real `python3 -m anvil_addon_host serve-http` on a unix socket, with a stand-in for Anvil's API.

The stand-in records each call the runtime makes back (path, the host key, the user it acts for) and
answers what Anvil would; the tests check what addon code gets and what reaches Anvil.
"""

import base64
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
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = UnixConnection(self.socket)
        sent = {"X-Anvil-Addon-Dir": str(ADDON_DIR), **(headers or {})}
        if user is not None:
            sent["X-Anvil-User"] = base64.b64encode(json.dumps(user).encode()).decode()
        payload = None if body is None else json.dumps(body).encode()
        if payload is not None:
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=sent)
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
