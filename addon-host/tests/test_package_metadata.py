"""package.py is evaluated from its syntax tree, never executed."""

from anvil_addon_host.package_metadata import evaluate_package_py, read_package_metadata
from conftest import TEST_ADDONS_DIR


def test_f_strings_over_earlier_names_are_evaluated():
    metadata = read_package_metadata(TEST_ADDONS_DIR / "example", "example", "1.0.0")
    assert metadata == {
        "name": "example",
        "title": "Example",
        "version": "1.0.0",
        "client_dir": "ayon_example",
        "services": {"worker": {"image": "studio/example-worker:1.0.0"}},
        "ayon_required_addons": {},
        "ayon_compatible_addons": {},
    }


def test_statements_outside_the_literal_subset_are_skipped_not_run():
    metadata = evaluate_package_py(
        "import os\n"
        "name = 'x'\n"
        "home = os.environ['HOME']\n"
        "flags = [True, None, -1, (1, 2)]\n"
        "label = f'{name}!r'\n"
    )
    assert metadata == {"name": "x", "flags": [True, None, -1, [1, 2]], "label": "x!r"}
