"""`SettingsField`: pydantic's `Field` plus the keywords the AYON settings editor reads."""

from collections.abc import Callable
from typing import Any

from pydantic.fields import FieldInfo, Undefined


class SettingsFieldInfo(FieldInfo):
    """A FieldInfo that also holds the enum resolver: code, so not part of the schema extras."""

    __slots__ = ("enum_resolver",)

    def __init__(self, default: Any = Undefined, *, enum_resolver: Callable | None = None, **kwargs):
        super().__init__(default, **kwargs)
        self.enum_resolver = enum_resolver


def SettingsField(  # noqa: N802  (AYON's name)
    default: Any = Undefined,
    *,
    enum_resolver: Callable | None = None,
    widget: str | None = None,
    section: str | None = None,
    layout: str | None = None,
    tags: list[str] | None = None,
    placeholder: str | None = None,
    conditional_enum: bool | None = None,
    required_items: list[str] | None = None,
    scope: list[str] | None = None,
    disabled: bool | None = None,
    syntax: str | None = None,
    **pydantic_keywords: Any,
) -> Any:
    """Declares a settings field; pydantic keywords pass through, UI keywords become schema extras."""
    ui_keywords = {  # as the settings editor reads them
        "widget": widget,
        "section": section,
        "layout": layout,
        "tags": tags,
        "placeholder": placeholder,
        "conditionalEnum": conditional_enum,
        "requiredItems": required_items,
        "scope": scope,
        "disabled": disabled,
        "syntax": syntax,
    }
    pydantic_keywords.update({key: value for key, value in ui_keywords.items() if value is not None})
    field_info = SettingsFieldInfo(default, enum_resolver=enum_resolver, **pydantic_keywords)
    field_info._validate()
    return field_info
