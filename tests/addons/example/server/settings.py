import json

from pydantic import validator

from ayon_server.exceptions import BadRequestException
from ayon_server.settings import (
    BaseSettingsModel,
    MultiplatformPathModel,
    SettingsField,
    anatomy_template_items_enum,
    ensure_unique_names,
    task_types_enum,
)
from ayon_server.settings.enum import secrets_enum
from ayon_server.types import ColorRGBA_float, ColorRGBA_uint8


def render_targets_enum():
    return [
        {"value": "local", "label": "Local machine"},
        {"value": "farm", "label": "Render farm"},
    ]


async def profile_names_enum(addon=None, settings_variant: str = "production"):
    settings = await addon.get_studio_settings(variant=settings_variant)
    return [profile.name for profile in settings.profiles]


class ProfileModel(BaseSettingsModel):
    _layout = "expanded"
    name: str = SettingsField("", title="Name")
    task_types: list[str] = SettingsField(
        default_factory=list, title="Task types", enum_resolver=task_types_enum
    )
    template_name: str = SettingsField(
        "", title="Template", enum_resolver=anatomy_template_items_enum(category="publish")
    )


class FileOutputModel(BaseSettingsModel):
    directory: str = SettingsField("", title="Directory", placeholder="/mnt/renders")


class StreamOutputModel(BaseSettingsModel):
    url: str = SettingsField("", title="URL")


class OutputModel(BaseSettingsModel):
    _isGroup = True
    output_type: str = SettingsField(
        "file",
        title="Output type",
        enum_resolver=lambda: [
            {"value": "file", "label": "File"},
            {"value": "stream", "label": "Stream"},
        ],
        conditional_enum=True,
    )
    file: FileOutputModel = SettingsField(default_factory=FileOutputModel, title="File")
    stream: StreamOutputModel = SettingsField(default_factory=StreamOutputModel, title="Stream")


class ColorsModel(BaseSettingsModel):
    _layout = "compact"
    outline: ColorRGBA_uint8 = SettingsField((255, 128, 0, 1.0), title="Outline")
    fill: ColorRGBA_float = SettingsField((0.1, 0.2, 0.3, 0.5), title="Fill")


class ExampleSettings(BaseSettingsModel):
    enabled: bool = SettingsField(True, title="Enabled")
    api_key_secret: str = SettingsField(
        "", title="API key secret", enum_resolver=secrets_enum, scope=["studio"]
    )
    render_target: str = SettingsField(
        "local", title="Render target", enum_resolver=render_targets_enum
    )
    formats: list[str] = SettingsField(
        default_factory=lambda: ["exr"],
        title="Formats",
        enum_resolver=lambda: ["exr", "png", "jpg"],
    )
    default_profile: str = SettingsField(
        "", title="Default profile", enum_resolver=profile_names_enum
    )
    profiles: list[ProfileModel] = SettingsField(default_factory=list, title="Profiles")
    output: OutputModel = SettingsField(
        default_factory=OutputModel, title="Output", section="Delivery"
    )
    colors: ColorsModel = SettingsField(default_factory=ColorsModel, title="Colours")
    environment: str = SettingsField(
        "{}", title="Environment", widget="textarea", syntax="json"
    )

    @validator("profiles")
    def profile_names_are_unique(cls, value):
        ensure_unique_names(value)
        return value

    @validator("environment")
    def environment_is_json(cls, value):
        if not value.strip():
            return "{}"
        try:
            json.loads(value)
        except ValueError as error:
            raise BadRequestException(f"Environment is not JSON: {error}")
        return value


class ExampleSiteSettings(BaseSettingsModel):
    cache_dir: str = SettingsField("", title="Cache directory", placeholder="/var/cache/example")
    local_paths: MultiplatformPathModel = SettingsField(
        default_factory=MultiplatformPathModel, title="Local paths"
    )


DEFAULT_VALUES = {
    "render_target": "farm",
    "profiles": [
        {"name": "default", "task_types": [], "template_name": "publish"},
        {"name": "review", "task_types": ["Compositing"], "template_name": "review"},
    ],
    "environment": "",
}
