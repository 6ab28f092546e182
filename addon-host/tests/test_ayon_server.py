"""The helpers of the ayon_server stand-in that addons call directly."""

import json

import pytest
from conftest import ADDON_HOST_DIR

import ayon_server  # noqa: F401  (installs the stub finder)
from ayon_server.exceptions import AyonException, BadRequestException
from ayon_server.settings import BaseSettingsModel, SettingsField, ensure_unique_names, normalize_name


def test_normalize_name_transliterates_and_replaces_other_characters():
    assert normalize_name(" Čelo výstup #2 ") == "Celo_vystup_2"
    assert normalize_name("already_fine.v2-a") == "already_fine.v2-a"


def test_ensure_unique_names_rejects_a_repeated_name():
    class Item(BaseSettingsModel):
        name: str = SettingsField("")

    ensure_unique_names([Item(name="a"), Item(name="b")])
    with pytest.raises(BadRequestException, match="Duplicate name 'a'"):
        ensure_unique_names([Item(name="a"), Item(name="a")])


def test_exception_statuses_and_unknown_exception_names():
    from ayon_server.exceptions import ForbiddenException, SomethingNewException

    assert BadRequestException.status == 400
    assert ForbiddenException("nope").detail == "nope"
    assert issubclass(SomethingNewException, AyonException)


def test_postgres_refuses_with_a_clear_message():
    from ayon_server.lib.postgres import Postgres

    with pytest.raises(RuntimeError, match="Postgres.fetch is not available in Anvil's addon host: "
                                           "this needs AYON's own database"):
        Postgres.fetch


def test_the_default_anatomy_is_the_servers_built_in_anatomy():
    from ayon_server.settings.anatomy import Anatomy
    from ayon_server.settings.anatomy.task_types import default_task_types

    builtin = json.loads((ADDON_HOST_DIR.parent / "src" / "Anvil.Server" / "Features" / "Anatomy" / "builtin-anatomy.json").read_text())
    anatomy = Anatomy()
    assert [t.name for t in default_task_types] == [t["name"] for t in builtin["task_types"]]
    assert [t.short_name for t in anatomy.task_types] == [t["shortName"] for t in builtin["task_types"]]
    assert [s.name for s in anatomy.statuses] == [s["name"] for s in builtin["statuses"]]
    assert [f.name for f in anatomy.folder_types] == [f["name"] for f in builtin["folder_types"]]
    assert anatomy.roots == builtin["roots"]
