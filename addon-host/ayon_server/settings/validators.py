"""Helpers addons call from their `@validator`s."""

import re
from typing import Any

from unidecode import unidecode

from ayon_server.exceptions import BadRequestException


def ensure_unique_names(objects: list[Any], field_name: str = "name") -> None:
    """Raises BadRequestException when two items of a settings list share a name."""
    seen: set[Any] = set()
    for item in objects:
        value = item.get(field_name) if isinstance(item, dict) else getattr(item, field_name, None)
        if value in seen:
            raise BadRequestException(f"Duplicate {field_name} '{value}'")
        seen.add(value)


_NOT_NAME_CHARACTERS = re.compile(r"[^a-zA-Z0-9_.\-]+")


def normalize_name(name: str) -> str:
    """An ASCII name: accents transliterated, every run of other characters replaced by `_`."""
    return _NOT_NAME_CHARACTERS.sub("_", unidecode(name).strip())
