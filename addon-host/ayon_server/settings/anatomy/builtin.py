"""Anvil's built-in anatomy: the server's own `builtin-anatomy.json`, so the defaults exist once."""

import json
from functools import cache
from pathlib import Path
from typing import Any

_LOCATIONS = (
    # The server build copies the file here.
    Path(__file__).with_name("builtin-anatomy.json"),
    # In a checkout (the host's own tests), the server's source holds it.
    Path(__file__).resolve().parents[4] / "src" / "Anvil.Server" / "Features" / "Anatomy" / "builtin-anatomy.json",
)


@cache
def builtin_anatomy() -> dict[str, Any]:
    for path in _LOCATIONS:
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    raise FileNotFoundError("Anvil's builtin-anatomy.json is neither beside the addon host nor in the checkout")
