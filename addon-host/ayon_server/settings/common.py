"""The base class of every settings model, and the multi-platform path models addons reuse."""

from pydantic import BaseModel

from ayon_server.settings.settings_field import SettingsField


# Addon settings models subclass BaseSettingsModel. Underscore class attributes (`_layout`,
# `_isGroup`, `_title`) are private attributes: they describe how the editor shows the model and
# end up in its schema, not in its values. None of these classes has a docstring, because
# pydantic would copy an inherited one into every model's schema as its description.


class BaseSettingsModel(BaseModel):

    class Config:
        underscore_attrs_are_private = True
        allow_population_by_field_name = True


class MultiplatformPathModel(BaseSettingsModel):
    windows: str = SettingsField("", title="Windows")
    linux: str = SettingsField("", title="Linux")
    darwin: str = SettingsField("", title="MacOS")


class MultiplatformPathListModel(BaseSettingsModel):
    windows: list[str] = SettingsField(default_factory=list, title="Windows")
    linux: list[str] = SettingsField(default_factory=list, title="Linux")
    darwin: list[str] = SettingsField(default_factory=list, title="MacOS")
