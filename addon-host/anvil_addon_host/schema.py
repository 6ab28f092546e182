"""The settings schema in the shape the AYON settings editor reads, with enum fields tagged.

pydantic writes the JSON schema; this module adds what the editor needs on top of it. Per
model: `title`, `layout`, `isgroup` from the private attributes. Per field: `scope` (default
project + studio), the colour rewrite, and the enum of an `enum_resolver`, which is either baked
in (static), or tagged `anvilEnum` for Anvil to fill (server) or for a live host to resolve
(context). Definitions are matched to their model classes through pydantic's own model name
map, so two models with the same class name never get mixed up.
"""

import copy
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import ModelField
from pydantic.schema import get_flat_models_from_model, get_model_name_map

from ayon_server import hostcontext
from ayon_server.settings.enum import server_enum_name
from ayon_server.types import color_format_of

DEFAULT_SCOPE = ["project", "studio"]

CONTEXT_PARAMETERS = {"project_name", "addon", "settings_variant", "site_id", "user_name"}
"""Resolver parameters the server fills from the request: asking for one means live context."""


@dataclass(frozen=True)
class EnumField:
    """One enum property of an exported schema (the export's `enums` list)."""

    model: str
    pointer: str
    kind: str
    resolver: str
    error: str | None = None

    def to_json(self) -> dict[str, str]:
        entry = {"model": self.model, "pointer": self.pointer, "kind": self.kind, "resolver": self.resolver}
        if self.error is not None:
            entry["error"] = self.error
        return entry


@dataclass(frozen=True)
class ResolverOrigin:
    """Where the addon's code lives: its unique package name stands for `server` in names."""

    package_name: str

    def name_of(self, resolver: Any) -> str:
        function = resolver.func if isinstance(resolver, functools.partial) else resolver
        module = getattr(function, "__module__", None) or "?"
        if module == self.package_name or module.startswith(self.package_name + "."):
            module = "server" + module[len(self.package_name):]
        return f"{module}:{getattr(function, '__qualname__', repr(function))}"


async def build_schema(
    model_class: type[BaseModel], model_key: str, origin: ResolverOrigin
) -> tuple[dict[str, Any], list[EnumField]]:
    """The editor's schema of `model_class`; `model_key` is `settings` or `siteSettings`."""
    schema = copy.deepcopy(model_class.schema())
    flat_models = get_flat_models_from_model(model_class)
    definition_names = get_model_name_map(flat_models)
    enums: list[EnumField] = []
    definitions = schema.get("definitions", {})
    for model in flat_models:
        if model is model_class:
            node, pointer = schema, "#"
        elif definition_names.get(model) in definitions:
            name = definition_names[model]
            node, pointer = definitions[name], f"#/definitions/{_escape(name)}"
        else:
            # Enums, and the models pydantic derives from NamedTuples, have no properties here.
            continue
        _describe_model(model, node)
        properties = node.get("properties", {})
        for field in model.__fields__.values():
            if field.alias in properties:
                property_pointer = f"{pointer}/properties/{_escape(field.alias)}"
                enum = await _describe_field(field, properties[field.alias], origin)
                if enum is not None:
                    kind, resolver, error = enum
                    enums.append(EnumField(model_key, property_pointer, kind, resolver, error))
    return schema, enums


def top_level_scopes(schema: dict[str, Any]) -> set[str]:
    """Every scope some top-level field of the schema is shown in."""
    return {
        scope
        for field_schema in schema.get("properties", {}).values()
        for scope in field_schema.get("scope", DEFAULT_SCOPE)
    }


def _escape(json_pointer_token: str) -> str:
    return json_pointer_token.replace("~", "~0").replace("/", "~1")


def _describe_model(model: type[BaseModel], node: dict[str, Any]) -> None:
    private = getattr(model, "__private_attributes__", {})

    def private_value(name: str) -> Any:
        attribute = private.get(name)
        return attribute.get_default() if attribute is not None else None

    if title := private_value("_title"):
        node["title"] = title
    if layout := private_value("_layout"):
        node["layout"] = layout
    if private_value("_isGroup"):
        node["isgroup"] = True


async def _describe_field(
    field: ModelField, field_schema: dict[str, Any], origin: ResolverOrigin
) -> tuple[str, str, str | None] | None:
    """Completes one property in place; returns (kind, resolver, error) for an enum field."""
    field_schema.setdefault("scope", list(DEFAULT_SCOPE))
    color_format = color_format_of(field.type_) or color_format_of(field.outer_type_)
    if color_format is not None:
        for key in ("type", "items", "minItems", "maxItems", "format", "pattern"):
            field_schema.pop(key, None)
        field_schema.update(
            type="string", widget="color", colorFormat=color_format.format, colorAlpha=color_format.alpha
        )
    resolver = getattr(field.field_info, "enum_resolver", None)
    if resolver is None:
        resolver = field_schema.pop("enum_resolver", None)
    if resolver is None:
        return None
    return await _apply_enum(resolver, field_schema, origin)


async def _apply_enum(
    resolver: Any, field_schema: dict[str, Any], origin: ResolverOrigin
) -> tuple[str, str, str | None]:
    server_name = server_enum_name(resolver)
    if server_name is not None:
        field_schema["anvilEnum"] = {"kind": "server", "resolver": server_name}
        return "server", server_name, None
    if not callable(resolver):
        _bake_enum(list(resolver), field_schema)
        return "static", "literal", None

    name = origin.name_of(resolver)
    if _asks_for_context(resolver):
        field_schema["anvilEnum"] = {"kind": "context", "resolver": name}
        return "context", name, None
    with hostcontext.recording() as accesses:
        try:
            items = await call_resolver(resolver)
            error = None
        except Exception as exception:  # the addon's code: anything can happen
            items, error = None, f"{type(exception).__name__}: {exception}"
    if accesses:
        field_schema["anvilEnum"] = {"kind": "context", "resolver": name}
        return "context", name, None
    if error is None:
        try:
            _bake_enum(items, field_schema)
        except (TypeError, KeyError) as exception:
            error = f"the resolver returned {type(items).__name__}, not a list of values: {exception}"
    if error is not None:
        field_schema["disabled"] = True
        field_schema["placeholder"] = f"The choices could not be listed ({error})"
    return "static", name, error


def _asks_for_context(resolver: Callable) -> bool:
    try:
        parameters = inspect.signature(resolver).parameters
    except (TypeError, ValueError):
        return False
    return bool(CONTEXT_PARAMETERS & set(parameters))


def enum_values(items: Any) -> tuple[list[Any], dict[str, str]]:
    """A resolver's answer as (`enum`, `enumLabels`): plain values, or `{value, label}` items.

    Raises TypeError or KeyError when the answer is not a list of either.
    """
    if isinstance(items, (str, bytes, dict)) or not hasattr(items, "__iter__"):
        raise TypeError(f"{type(items).__name__} is not a list")
    values: list[Any] = []
    labels: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict):
            value, label = item["value"], item.get("label", item["value"])
        else:
            value, label = item, item
        values.append(value)
        labels[str(value)] = str(label)
    return values, labels


def enum_resolvers(model_classes: list[type[BaseModel]], origin: ResolverOrigin) -> dict[str, Any]:
    """Every addon-defined resolver of the models' fields, by the id the export gives it."""
    resolvers: dict[str, Any] = {}
    for model_class in model_classes:
        for model in get_flat_models_from_model(model_class):
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            for field in model.__fields__.values():
                resolver = getattr(field.field_info, "enum_resolver", None)
                if resolver is None:
                    resolver = field.field_info.extra.get("enum_resolver")
                if callable(resolver) and server_enum_name(resolver) is None:
                    resolvers.setdefault(origin.name_of(resolver), resolver)
    return resolvers


def resolver_arguments(resolver: Callable, available: dict[str, Any]) -> dict[str, Any]:
    """The values of `available` whose names the resolver's signature asks for (all, for `**kwargs`)."""
    try:
        parameters = inspect.signature(resolver).parameters
    except (TypeError, ValueError):
        return {}
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters.values()):
        return dict(available)
    return {name: value for name, value in available.items() if name in parameters}


async def call_resolver(resolver: Callable, arguments: dict[str, Any] | None = None) -> Any:
    result = resolver(**(arguments or {}))
    return await result if inspect.isawaitable(result) else result


def _bake_enum(items: Any, field_schema: dict[str, Any]) -> None:
    """Writes `enum` (or `items.enum` + `uniqueItems` for a list) and `enumLabels`."""
    values, labels = enum_values(items)
    if field_schema.get("type") == "array" and isinstance(field_schema.get("items"), dict):
        field_schema["items"]["enum"] = values
        field_schema["uniqueItems"] = True
    else:
        field_schema["enum"] = values
    field_schema["enumLabels"] = labels
