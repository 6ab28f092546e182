"""Runs the real `python3 -m anvil_addon_host export` command, as Anvil does, on test addons."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ADDON_HOST_DIR = Path(__file__).resolve().parent.parent
TEST_ADDONS_DIR = ADDON_HOST_DIR.parent / "tests" / "addons"

sys.path.insert(0, str(ADDON_HOST_DIR))


@dataclass
class ExportRun:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.stdout)


def host_environment(memory_limit_mb: int) -> dict[str, str]:
    """The clean environment Anvil gives the host: no database, no secrets."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ADDON_HOST_DIR),
        "PYTHONDONTWRITEBYTECODE": "1",
        "ANVIL_HOST_MEMORY_LIMIT_MB": str(memory_limit_mb),
    }


def run_export(addon_dir: Path, name: str, version: str = "1.0.0", *, memory_limit_mb: int = 512,
               timeout: float = 60) -> ExportRun:
    environment = host_environment(memory_limit_mb)
    completed = subprocess.run(
        [sys.executable, "-m", "anvil_addon_host", "export", "--dir", str(addon_dir),
         "--name", name, "--version", version],
        cwd=addon_dir, env=environment, capture_output=True, text=True, timeout=timeout,
    )
    return ExportRun(completed.returncode, completed.stdout, completed.stderr)


def export_test_addon(name: str, **options: Any) -> ExportRun:
    return run_export(TEST_ADDONS_DIR / name, name, **options)


@pytest.fixture(scope="session")
def example() -> dict[str, Any]:
    run = export_test_addon("example")
    assert run.exit_code == 0, run.stderr
    return run.document


def write_addon(root: Path, files: dict[str, str]) -> Path:
    """A throwaway addon version folder made of `files` (relative path -> text)."""
    for relative_path, text in files.items():
        path = root / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
