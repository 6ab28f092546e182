"""Small helpers addons import: hashing, case conversion, slugs and JSON."""

import hashlib
import json
from typing import Any

from unidecode import unidecode


def camelize(src: str) -> str:
    """snake_case -> camelCase."""
    head, *rest = src.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def json_dumps(data: Any, **kwargs: Any) -> str:
    return json.dumps(data, default=str, **kwargs)


def json_loads(data: str | bytes) -> Any:
    return json.loads(data)


def hash_data(data: Any) -> str:
    """A stable SHA-256 hex digest of JSON-serialisable data (key order does not matter)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def slugify(value: str, separator: str = "-") -> str:
    words = "".join(c if c.isalnum() else " " for c in unidecode(value).lower()).split()
    return separator.join(words)
