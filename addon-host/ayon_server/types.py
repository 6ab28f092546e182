"""Shared types: colour tuples, `OPModel` and `Field`, and the name patterns."""

from typing import Any, NamedTuple

from pydantic import BaseModel, Field

from ayon_server.utils import camelize

__all__ = [
    "ColorRGB_hex", "ColorRGBA_hex", "ColorRGB_uint8", "ColorRGBA_uint8",
    "ColorRGB_float", "ColorRGBA_float", "Field", "OPModel",
    "NAME_REGEX", "USER_NAME_REGEX", "PROJECT_NAME_REGEX", "PROJECT_CODE_REGEX",
]

NAME_REGEX = r"^[a-zA-Z0-9_]([a-zA-Z0-9_\.\-]*[a-zA-Z0-9_])?$"
USER_NAME_REGEX = r"^[a-zA-Z0-9][a-zA-Z0-9_\.\-]*[a-zA-Z0-9]$"
PROJECT_NAME_REGEX = r"^[a-zA-Z0-9_]+$"
PROJECT_CODE_REGEX = r"^[a-zA-Z0-9_][a-zA-Z0-9_]*[a-zA-Z0-9_]$"


class ColorFormat(NamedTuple):
    """How a colour type is shown by the editor: `colorFormat` and `colorAlpha` of its schema."""

    format: str
    alpha: bool


class ColorRGB_hex(str):  # noqa: N801  (AYON's names)
    color_format = ColorFormat("hex", alpha=False)


class ColorRGBA_hex(str):  # noqa: N801
    color_format = ColorFormat("hex", alpha=True)


class ColorRGB_uint8(NamedTuple):  # noqa: N801
    r: int
    g: int
    b: int


class ColorRGBA_uint8(NamedTuple):  # noqa: N801
    r: int
    g: int
    b: int
    a: float


class ColorRGB_float(NamedTuple):  # noqa: N801
    r: float
    g: float
    b: float


class ColorRGBA_float(NamedTuple):  # noqa: N801
    r: float
    g: float
    b: float
    a: float


ColorRGB_uint8.color_format = ColorFormat("uint8", alpha=False)
ColorRGBA_uint8.color_format = ColorFormat("uint8", alpha=True)
ColorRGB_float.color_format = ColorFormat("float", alpha=False)
ColorRGBA_float.color_format = ColorFormat("float", alpha=True)


def color_format_of(annotation: Any) -> ColorFormat | None:
    """The colour format of a field type, or None when it is not one of the colour types."""
    return getattr(annotation, "color_format", None) if isinstance(annotation, type) else None


# A request/response model with camelCase JSON names that also accepts the field names
# (no docstring: pydantic would copy it into every subclass's schema).
class OPModel(BaseModel):
    class Config:
        allow_population_by_field_name = True
        alias_generator = camelize
