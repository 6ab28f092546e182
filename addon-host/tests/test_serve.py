"""The live host: `python3 -m anvil_addon_host serve`, run as Anvil runs it, fed JSON lines."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import ADDON_HOST_DIR, TEST_ADDONS_DIR, host_environment, write_addon

BUILTIN_ANATOMY = ADDON_HOST_DIR.parent / "src" / "Anvil.Server" / "Features" / "Anatomy" / "builtin-anatomy.json"


class LiveProcess:
    def __init__(self, memory_limit_mb: int = 400):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "anvil_addon_host", "serve"], env=host_environment(memory_limit_mb), cwd=TEST_ADDONS_DIR,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.next_id = 0

    def send_line(self, line: str) -> dict[str, Any]:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, f"the host gave no answer (exit {self.process.poll()})"
        return json.loads(answer)

    def call(self, method: str, **fields: Any) -> dict[str, Any]:
        self.next_id += 1
        response = self.send_line(json.dumps({"id": self.next_id, "method": method, **fields}))
        assert response["id"] == self.next_id
        return response

    def resolve(self, addon: str, resolver: str, context: dict[str, Any] | None = None, *,
                version: str = "1.0.0", addon_dir: Path | None = None) -> dict[str, Any]:
        spec = {"name": addon, "version": version, "dir": str(addon_dir or TEST_ADDONS_DIR / addon)}
        return self.call("resolveEnum", addon=spec, resolver=resolver, context=context or {})

    def close(self) -> int:
        self.process.stdin.close()
        return self.process.wait(timeout=10)


@pytest.fixture
def host():
    live = LiveProcess()
    yield live
    if live.process.poll() is None:
        live.process.kill()
        live.process.wait()


def test_ping_answers_and_closing_stdin_ends_the_process(host):
    result = host.call("ping")["result"]
    assert result["host"].startswith("anvil-addon-host")
    assert result["pid"] == host.process.pid
    assert host.close() == 0


def test_a_settings_dependent_resolver_reads_the_studio_settings_of_the_request(host):
    studio = {"profiles": [{"name": "alpha"}, {"name": "beta"}]}
    response = host.resolve("example", "server.settings:profile_names_enum",
                            {"settingsVariant": "production", "studioSettings": studio})
    assert response["result"] == {"enum": ["alpha", "beta"], "enumLabels": {"alpha": "alpha", "beta": "beta"}}


def test_project_settings_are_read_for_the_project_of_the_request_with_labels(host):
    project = {"tools": [{"name": "nuke", "label": "Nuke 15"}, {"name": "maya", "label": ""}]}
    response = host.resolve("live", "server:tool_names_enum", {"projectName": "demo", "projectSettings": project})
    assert response["result"] == {"enum": ["nuke", "maya"], "enumLabels": {"nuke": "Nuke 15", "maya": "maya"}}


def test_what_the_request_does_not_carry_is_refused_by_name(host):
    error = host.resolve("example", "server.settings:profile_names_enum", {"settingsVariant": "staging"})["error"]
    assert error["type"] == "ContextUnavailable"
    assert "the staging studio settings of example 1.0.0" in error["message"]
    assert "server/settings.py" in error["message"]


def test_the_project_anatomy_and_the_primary_preset_come_from_the_request(host):
    anatomy = json.loads(BUILTIN_ANATOMY.read_text())
    expected = [s["name"] for s in anatomy["statuses"] if "version" in s["scope"]]
    assert expected
    project = host.resolve("live", "server:version_statuses_enum", {"projectName": "demo", "anatomy": anatomy})
    assert project["result"]["enum"] == expected
    primary = host.resolve("live", "server:version_statuses_enum", {"anatomy": anatomy})
    assert primary["result"]["enum"] == expected
    other = host.resolve("live", "server:version_statuses_enum", {"projectName": "other"})
    assert other["error"]["type"] == "ContextUnavailable"
    assert "the anatomy of project other" in other["error"]["message"]


def test_server_enums_called_by_an_addon_resolver_read_the_anatomy_of_the_request(host):
    context = {"projectName": "demo", "anatomy": {"task_types": [{"name": "Animation"}, {"name": "Lighting"}]}}
    assert host.resolve("live", "server:task_types_of_anatomy", context)["result"]["enum"] == ["Animation", "Lighting"]


def test_raw_sql_is_refused(host):
    error = host.resolve("live", "server:link_types_from_sql", {"projectName": "demo"})["error"]
    assert error["type"] == "NotAvailableInAddonHost"
    assert "needs AYON's own database" in error["message"]


def test_what_an_addon_prints_never_reaches_the_protocol(host):
    assert host.resolve("live", "server:printing_enum")["result"]["enum"] == ["printed"]
    assert host.call("ping")["result"]["pid"] == host.process.pid


def test_only_the_versions_asked_for_are_loaded(host):
    assert host.call("loaded")["result"] == {"addons": []}
    host.resolve("live", "server:printing_enum")
    host.resolve("live", "server:printing_enum")
    assert host.call("loaded")["result"]["addons"] == [
        {"name": "live", "version": "1.0.0", "dir": str(TEST_ADDONS_DIR / "live")}
    ]


def test_two_versions_of_one_addon_live_side_by_side(host, tmp_path):
    for version, target in (("1.0.0", "local"), ("2.0.0", "farm")):
        write_addon(tmp_path / version, {"server/__init__.py": (
            "from ayon_server.addons import BaseServerAddon\n"
            "from ayon_server.settings import BaseSettingsModel, SettingsField\n"
            f"def targets(settings_variant=None):\n    return ['{target}']\n"
            "class Settings(BaseSettingsModel):\n"
            "    target: str = SettingsField('', enum_resolver=targets)\n"
            "class TwinAddon(BaseServerAddon):\n    settings_model = Settings\n"
        )})
    for version, target in (("1.0.0", "local"), ("2.0.0", "farm"), ("1.0.0", "local")):
        answer = host.resolve("twin", "server:targets", version=version, addon_dir=tmp_path / version)
        assert answer["result"]["enum"] == [target]
    assert [a["version"] for a in host.call("loaded")["result"]["addons"]] == ["1.0.0", "2.0.0"]


def test_bad_requests_get_errors_and_the_host_keeps_serving(host):
    assert host.send_line("not json")["error"]["type"] == "BadRequest"
    assert host.call("frobnicate")["error"]["type"] == "UnknownMethod"
    assert host.call("resolveEnum", resolver="x")["error"]["type"] == "BadRequest"
    unknown = host.resolve("live", "server:no_such_enum")["error"]
    assert unknown["type"] == "UnknownResolver"
    assert "live 1.0.0 has no enum resolver server:no_such_enum" in unknown["message"]
    broken = host.resolve("broken_import", "server:anything")["error"]
    assert broken["type"] == "AddonBroken"
    assert "importing the server code failed" in broken["message"]
    assert host.call("ping")["result"]["pid"] == host.process.pid


def test_a_resolver_that_exhausts_the_memory_is_answered_and_the_process_exits(host):
    error = host.resolve("live", "server:greedy_enum")["error"]
    assert error["type"] == "MemoryError"
    assert host.process.wait(timeout=10) == 3


def test_a_resolver_that_exits_takes_only_the_host_down(host):
    host.process.stdin.write(json.dumps({
        "id": 1, "method": "resolveEnum", "resolver": "server:exiting_enum",
        "addon": {"name": "live", "version": "1.0.0", "dir": str(TEST_ADDONS_DIR / "live")},
    }) + "\n")
    host.process.stdin.flush()
    assert host.process.stdout.readline() == ""
    assert host.process.wait(timeout=10) == 7


def example_spec() -> dict[str, str]:
    return {"name": "example", "version": "1.0.0", "dir": str(TEST_ADDONS_DIR / "example")}


def test_valid_settings_come_back_normalised_by_the_addons_own_validators(host):
    settings = {"profiles": [{"name": "a"}], "environment": "  ", "colors": {"outline": [1, 2, 3, 0.5]}}
    result = host.call("validateSettings", addon=example_spec(), model="settings", settings=settings)["result"]
    assert result["settings"]["environment"] == "{}"
    assert result["settings"]["profiles"] == [{"name": "a", "task_types": [], "template_name": ""}]
    assert result["settings"]["enabled"] is True
    assert result["settings"]["colors"]["outline"] == [1, 2, 3, 0.5]


def test_settings_of_the_wrong_type_are_refused_naming_the_field(host):
    error = host.call("validateSettings", addon=example_spec(), model="settings",
                      settings={"enabled": "not a boolean", "profiles": [{"name": 5, "task_types": "x"}]})["error"]
    assert error["type"] == "ValidationError"
    locations = [issue["loc"] for issue in error["errors"]]
    assert ["enabled"] in locations
    assert ["profiles", 0, "task_types"] in locations
    assert error["message"].startswith("enabled: ")


def test_a_validator_raising_the_servers_exception_refuses_the_settings_with_its_message(host):
    error = host.call("validateSettings", addon=example_spec(), model="settings",
                      settings={"profiles": [{"name": "a"}, {"name": "a"}]})["error"]
    assert error["type"] == "ValidationError"
    assert error["errors"][0]["loc"] == ["profiles"]
    assert "Duplicate name 'a'" in error["errors"][0]["msg"]
    assert error["message"] == "profiles: " + error["errors"][0]["msg"]


def test_site_settings_are_validated_by_the_site_model(host):
    result = host.call("validateSettings", addon=example_spec(), model="siteSettings", settings={"cache_dir": "/tmp/x"})["result"]
    assert result["settings"]["cache_dir"] == "/tmp/x"
    error = host.call("validateSettings", addon=example_spec(), model="other", settings={})["error"]
    assert error["type"] == "BadRequest"


def test_overrides_of_another_version_are_converted_by_the_addon_keeping_what_still_fits(host):
    overrides = {"enabled": False, "removed_in_this_version": 1, "colors": {"outline": [9, 9, 9, 1.0], "gone": True}}
    result = host.call("convertOverrides", addon=example_spec(), sourceVersion="0.9.0", overrides=overrides)["result"]
    assert result["overrides"] == {"enabled": False, "colors": {"outline": [9, 9, 9, 1.0]}}


def test_a_converter_that_raises_is_reported_with_where(host, tmp_path):
    addon = write_addon(tmp_path, {"server/__init__.py": (
        "from ayon_server.addons import BaseServerAddon\n"
        "class Converting(BaseServerAddon):\n"
        "    async def convert_settings_overrides(self, source_version, overrides):\n"
        "        raise KeyError(source_version)\n"
    )})
    spec = {"name": "converting", "version": "2.0.0", "dir": str(addon)}
    error = host.call("convertOverrides", addon=spec, sourceVersion="1.0.0", overrides={})["error"]
    assert error["type"] == "KeyError"
    assert error["message"].startswith("convert_settings_overrides() failed: KeyError: '1.0.0' (at server/__init__.py:4)")


def test_a_nested_validator_raising_the_servers_exception_names_the_nested_field(host, tmp_path):
    addon = write_addon(tmp_path, {"server/__init__.py": (
        "from pydantic import validator\n"
        "from ayon_server.addons import BaseServerAddon\n"
        "from ayon_server.exceptions import BadRequestException\n"
        "from ayon_server.settings import BaseSettingsModel, SettingsField\n"
        "class Item(BaseSettingsModel):\n"
        "    name: str = SettingsField('', title='Name')\n"
        "    @validator('name')\n"
        "    def not_bad(cls, value):\n"
        "        if value == 'bad':\n"
        "            raise BadRequestException('bad is not a name')\n"
        "        return value\n"
        "class Settings(BaseSettingsModel):\n"
        "    items: list[Item] = SettingsField(default_factory=list, title='Items')\n"
        "class Nested(BaseServerAddon):\n"
        "    settings_model = Settings\n"
    )})
    spec = {"name": "nested", "version": "1.0.0", "dir": str(addon)}
    error = host.call("validateSettings", addon=spec, model="settings",
                      settings={"items": [{"name": "good"}, {"name": "bad"}]})["error"]
    assert error["errors"] == [{"loc": ["items", 1, "name"], "msg": "bad is not a name", "type": "value_error"}]
