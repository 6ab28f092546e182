"""The export of tests/addons/example: metadata, schema shape, enum kinds and defaults."""

SCOPE = ["project", "studio"]


def test_the_document_describes_the_exporter_and_the_addon_class(example):
    assert example["exporter"]["host"] == "anvil-addon-host 1"
    assert example["exporter"]["pydantic"].startswith("1.10.")
    assert example["exporter"]["ayonServer"] == "1.16.0"
    assert example["isBroken"] is False
    assert example["reason"] is None
    assert example["addon"] == {
        "className": "ExampleAddon",
        "title": "Example",
        "addonType": "pipeline",
        "system": False,
        "hasSettings": True,
        "hasProjectSettings": True,
        "hasSiteSettings": True,
        "hasProjectSiteSettings": False,
        "frontendScopes": {"project": {}},
        "frontendModules": {},
        "appHostNames": [],
        "endpoints": [{"path": "greeting", "method": "GET", "name": "get_greeting"}],
        "eventSubscriptions": ["bundle.updated"],
        "warnings": [],
    }


def test_a_static_resolver_is_baked_with_its_labels(example):
    assert example["settings"]["schema"]["properties"]["render_target"] == {
        "title": "Render target",
        "default": "local",
        "type": "string",
        "scope": SCOPE,
        "enum": ["local", "farm"],
        "enumLabels": {"local": "Local machine", "farm": "Render farm"},
    }


def test_a_static_list_enum_lands_on_the_items_and_makes_them_unique(example):
    formats = example["settings"]["schema"]["properties"]["formats"]
    assert formats["type"] == "array"
    assert formats["items"] == {"type": "string", "enum": ["exr", "png", "jpg"]}
    assert formats["uniqueItems"] is True
    assert formats["enumLabels"] == {"exr": "exr", "png": "png", "jpg": "jpg"}
    assert "enum" not in formats


def test_server_enums_are_tagged_not_resolved(example):
    schema = example["settings"]["schema"]
    secret = schema["properties"]["api_key_secret"]
    assert secret["anvilEnum"] == {"kind": "server", "resolver": "secrets"}
    assert secret["scope"] == ["studio"]
    assert "enum" not in secret
    profile = schema["definitions"]["ProfileModel"]["properties"]
    assert profile["task_types"]["anvilEnum"] == {"kind": "server", "resolver": "task_types"}
    assert "enum" not in profile["task_types"]["items"]
    assert profile["template_name"]["anvilEnum"] == {
        "kind": "server", "resolver": "anatomy_template_items:publish"
    }


def test_a_resolver_reading_the_addons_own_settings_is_context_dependent(example):
    default_profile = example["settings"]["schema"]["properties"]["default_profile"]
    assert default_profile == {
        "title": "Default profile",
        "default": "",
        "type": "string",
        "scope": SCOPE,
        "anvilEnum": {"kind": "context", "resolver": "server.settings:profile_names_enum"},
    }


def test_every_enum_field_is_listed_with_its_json_pointer(example):
    assert sorted(
        (enum["pointer"], enum["kind"], enum["resolver"]) for enum in example["enums"]
    ) == sorted([
        ("#/properties/api_key_secret", "server", "secrets"),
        ("#/properties/render_target", "static", "server.settings:render_targets_enum"),
        ("#/properties/formats", "static", "server.settings:ExampleSettings.<lambda>"),
        ("#/properties/default_profile", "context", "server.settings:profile_names_enum"),
        ("#/definitions/ProfileModel/properties/task_types", "server", "task_types"),
        ("#/definitions/ProfileModel/properties/template_name", "server", "anatomy_template_items:publish"),
        ("#/definitions/OutputModel/properties/output_type", "static", "server.settings:OutputModel.<lambda>"),
    ])
    assert {enum["model"] for enum in example["enums"]} == {"settings"}


def test_models_carry_layout_and_group_and_fields_their_ui_keywords(example):
    schema = example["settings"]["schema"]
    definitions = schema["definitions"]
    assert definitions["ProfileModel"]["layout"] == "expanded"
    assert definitions["ColorsModel"]["layout"] == "compact"
    assert definitions["OutputModel"]["isgroup"] is True
    assert "isgroup" not in definitions["ProfileModel"]
    assert "description" not in definitions["ProfileModel"]
    output_type = definitions["OutputModel"]["properties"]["output_type"]
    assert output_type["conditionalEnum"] is True
    assert output_type["enum"] == ["file", "stream"]
    assert schema["properties"]["output"]["section"] == "Delivery"
    assert schema["properties"]["environment"]["widget"] == "textarea"
    assert schema["properties"]["environment"]["syntax"] == "json"
    assert definitions["FileOutputModel"]["properties"]["directory"]["placeholder"] == "/mnt/renders"


def test_colour_fields_become_colour_widgets(example):
    colours = example["settings"]["schema"]["definitions"]["ColorsModel"]["properties"]
    assert colours["outline"] == {
        "title": "Outline",
        "default": [255, 128, 0, 1.0],
        "scope": SCOPE,
        "type": "string",
        "widget": "color",
        "colorFormat": "uint8",
        "colorAlpha": True,
    }
    assert colours["fill"]["colorFormat"] == "float"
    assert colours["fill"]["colorAlpha"] is True


def test_defaults_come_from_the_addons_get_default_settings_through_its_validators(example):
    assert example["settings"]["defaults"] == {
        "enabled": True,
        "api_key_secret": "",
        "render_target": "farm",
        "formats": ["exr"],
        "default_profile": "",
        "profiles": [
            {"name": "default", "task_types": [], "template_name": "publish"},
            {"name": "review", "task_types": ["Compositing"], "template_name": "review"},
        ],
        "output": {"output_type": "file", "file": {"directory": ""}, "stream": {"url": ""}},
        "colors": {"outline": [255, 128, 0, 1.0], "fill": [0.1, 0.2, 0.3, 0.5]},
        "environment": "{}",
    }


def test_site_settings_have_their_own_schema_and_defaults(example):
    site = example["siteSettings"]
    assert site["defaults"] == {
        "cache_dir": "",
        "local_paths": {"windows": "", "linux": "", "darwin": ""},
    }
    assert site["schema"]["properties"]["cache_dir"]["placeholder"] == "/var/cache/example"
    paths = site["schema"]["definitions"]["MultiplatformPathModel"]["properties"]
    assert [paths[key]["title"] for key in ("windows", "linux", "darwin")] == ["Windows", "Linux", "MacOS"]
