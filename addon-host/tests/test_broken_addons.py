"""Addons that cannot be used are reported as broken, with a reason naming the addon's line."""

import subprocess
import time

import pytest

from conftest import export_test_addon, run_export, write_addon


def test_an_import_error_names_the_exception_and_the_addon_file():
    run = export_test_addon("broken_import")
    assert run.exit_code == 0
    document = run.document
    assert document["isBroken"] is True
    assert document["reason"] == (
        "importing the server code failed: ImportError: the studio library 'studiolib' "
        "is not installed (at server/studio_library.py:3)"
    )
    assert document["addon"] is None and document["settings"] is None


def test_a_failing_get_default_settings_breaks_the_addon():
    document = export_test_addon("broken_defaults").document
    assert document["isBroken"] is True
    assert document["reason"] == (
        "get_default_settings() failed: ValueError: the studio defaults file is missing "
        "(at server/__init__.py:10)"
    )


def test_an_addon_that_allocates_without_bound_is_stopped_by_the_memory_limit():
    started = time.monotonic()
    run = export_test_addon("greedy", memory_limit_mb=256, timeout=30)
    assert time.monotonic() - started < 20
    if run.exit_code == 0:
        assert run.document["isBroken"] is True
        assert "MemoryError" in run.document["reason"]
    else:
        assert "MemoryError" in run.stderr


def test_an_import_that_never_finishes_is_left_to_the_callers_timeout():
    with pytest.raises(subprocess.TimeoutExpired):
        export_test_addon("broken_hang", timeout=3)


def test_what_the_addon_prints_goes_to_stderr_and_stdout_stays_one_document(tmp_path):
    addon = write_addon(tmp_path, {
        "package.py": 'name = "chatty"\nversion = "1.0.0"\n',
        "server/__init__.py": (
            "from ayon_server.addons import BaseServerAddon\n"
            "print('hello from the addon')\n"
            "class ChattyAddon(BaseServerAddon):\n    pass\n"
        ),
    })
    run = run_export(addon, "chatty")
    assert run.document["isBroken"] is False
    assert "hello from the addon" in run.stderr


def test_a_package_without_an_addon_class_is_broken(tmp_path):
    addon = write_addon(tmp_path, {"server/__init__.py": "VALUE = 1\n"})
    document = run_export(addon, "classless").document
    assert document["reason"] == "server/__init__.py defines no subclass of BaseServerAddon"


def test_a_syntax_error_points_at_the_line(tmp_path):
    addon = write_addon(tmp_path, {"server/__init__.py": "x = 1\ndef broken(:\n"})
    reason = run_export(addon, "syntax").document["reason"]
    assert reason.startswith("importing the server code failed: SyntaxError")
    assert reason.endswith("(at server/__init__.py:2)")


def test_an_exception_in_initialize_breaks_the_addon(tmp_path):
    addon = write_addon(tmp_path, {"server/__init__.py": (
        "from ayon_server.addons import BaseServerAddon\n"
        "class FailingAddon(BaseServerAddon):\n"
        "    def initialize(self):\n"
        "        raise RuntimeError('no endpoints today')\n"
    )})
    assert run_export(addon, "failing").document["reason"] == (
        "initialize() failed: RuntimeError: no endpoints today (at server/__init__.py:4)"
    )
