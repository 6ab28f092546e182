"""Addons without settings, setup hooks that need AYON's database, and failing resolvers."""

from conftest import export_test_addon, run_export, write_addon


def test_an_addon_without_settings_exports_its_class_only():
    document = export_test_addon("minimal").document
    assert document["isBroken"] is False
    assert document["settings"] is None
    assert document["siteSettings"] is None
    assert document["enums"] == []
    assert document["addon"]["className"] == "MinimalAddon"
    assert document["addon"]["title"] == "Minimal"
    assert document["addon"]["hasSettings"] is False
    assert document["addon"]["hasProjectSettings"] is False


def test_setup_needing_the_database_is_a_warning_not_a_break(tmp_path):
    addon = write_addon(tmp_path, {"server/__init__.py": (
        "from ayon_server.addons import BaseServerAddon\n"
        "from ayon_server.lib.postgres import Postgres\n"
        "class AttributesAddon(BaseServerAddon):\n"
        "    app_host_name = 'painter'\n"
        "    async def setup(self):\n"
        "        await Postgres.execute('INSERT INTO attributes VALUES (1)')\n"
    )})
    document = run_export(addon, "attributes").document
    assert document["isBroken"] is False
    assert document["addon"]["appHostNames"] == ["painter"]
    assert document["addon"]["warnings"] == [
        "setup: NotAvailableInAddonHost: Postgres.execute is not available in Anvil's addon host: "
        "this needs AYON's own database"
    ]


def test_a_failing_static_resolver_leaves_the_field_disabled_with_a_placeholder(tmp_path):
    addon = write_addon(tmp_path, {"server/__init__.py": (
        "from ayon_server.addons import BaseServerAddon\n"
        "from ayon_server.settings import BaseSettingsModel, SettingsField\n"
        "def broken_enum():\n"
        "    raise KeyError('lookup')\n"
        "class Settings(BaseSettingsModel):\n"
        "    choice: str = SettingsField('', enum_resolver=broken_enum)\n"
        "class ResolverAddon(BaseServerAddon):\n"
        "    settings_model = Settings\n"
    )})
    document = run_export(addon, "resolver").document
    choice = document["settings"]["schema"]["properties"]["choice"]
    assert choice["disabled"] is True
    assert choice["placeholder"] == "The choices could not be listed (KeyError: 'lookup')"
    assert document["enums"] == [{
        "model": "settings", "pointer": "#/properties/choice", "kind": "static",
        "resolver": "server:broken_enum", "error": "KeyError: 'lookup'",
    }]


def test_runtime_names_import_as_stubs_that_refuse_when_called(tmp_path):
    addon = write_addon(tmp_path, {"server/__init__.py": (
        "from ayon_server.addons import BaseServerAddon\n"
        "from ayon_server.entities import ProjectEntity\n"
        "from ayon_server.helpers.somewhere_new import new_helper\n"
        "class StubbyAddon(BaseServerAddon):\n"
        "    async def pre_setup(self):\n"
        "        new_helper()\n"
    )})
    document = run_export(addon, "stubby").document
    assert document["isBroken"] is False
    assert document["addon"]["warnings"] == [
        "pre_setup: NotAvailableInAddonHost: ayon_server.helpers.somewhere_new.new_helper "
        "is not available in Anvil's addon host"
    ]


def test_the_name_and_version_anvil_passes_win_over_package_py(tmp_path):
    addon = write_addon(tmp_path, {
        "package.py": 'name = "old"\nversion = "0.1.0"\ntitle = "Renamed"\n',
        "server/__init__.py": (
            "from ayon_server.addons import BaseServerAddon\n"
            "class RenamedAddon(BaseServerAddon):\n"
            "    def initialize(self):\n"
            "        self.add_endpoint(f'{self.name}/{self.version}', self.initialize, method='post')\n"
        ),
    })
    document = run_export(addon, "new", "2.0.0").document
    assert document["addon"]["title"] == "Renamed"
    assert document["addon"]["endpoints"] == [{"path": "new/2.0.0", "method": "POST", "name": "initialize"}]


def test_the_oldest_layout_loads_the_version_folder_itself_as_the_server_package(tmp_path):
    addon = write_addon(tmp_path, {
        "__init__.py": (
            "from ayon_server.addons import BaseServerAddon\n"
            "from .settings import OldSettings\n"
            "class OldAddon(BaseServerAddon):\n"
            "    name = 'old'\n"
            "    settings_model = OldSettings\n"
        ),
        "settings.py": (
            "from ayon_server.settings import BaseSettingsModel, SettingsField\n"
            "class OldSettings(BaseSettingsModel):\n"
            "    enabled: bool = SettingsField(True, title='Enabled')\n"
        ),
    })
    document = run_export(addon, "old", "0.1.0").document
    assert document["isBroken"] is False, document["reason"]
    assert document["addon"]["className"] == "OldAddon"
    assert document["settings"]["defaults"] == {"enabled": True}


def test_a_folder_without_server_code_is_broken_saying_what_is_missing(tmp_path):
    addon = write_addon(tmp_path, {"package.py": "name = 'empty'\nversion = '1.0.0'\n"})
    document = run_export(addon, "empty").document
    assert document["isBroken"] is True
    assert document["reason"] == "the package has no server/__init__.py (nor, in the oldest layout, an __init__.py at its root)"
