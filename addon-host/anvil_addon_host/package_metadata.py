"""Reads an addon's package metadata without executing `package.py`.

`package.py` files are top-level assignments of literals, containers and f-strings over names
assigned earlier (`f"ynput/ayon-ftrack-processor:{version}"`). This evaluates exactly that
subset from the syntax tree; any other statement, or a value outside the subset, is skipped.
`package.yml`/`package.yaml` are read as YAML. The name and version Anvil passed on the command
line always win: they are what Anvil stored the package under.
"""

import ast
import logging
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)


class NotALiteral(ValueError):
    """A `package.py` value outside the supported subset."""


def read_package_metadata(addon_dir: Path, name: str, version: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    package_py = addon_dir / "package.py"
    if package_py.is_file():
        metadata = evaluate_package_py(package_py.read_text(encoding="utf-8"))
    else:
        for file_name in ("package.yml", "package.yaml"):
            if (addon_dir / file_name).is_file():
                metadata = yaml.safe_load((addon_dir / file_name).read_text(encoding="utf-8")) or {}
                break
    metadata["name"] = name
    metadata["version"] = version
    return metadata


def evaluate_package_py(source: str) -> dict[str, Any]:
    names: dict[str, Any] = {}
    for statement in ast.parse(source).body:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            continue
        target = statement.targets[0]
        if not isinstance(target, ast.Name):
            continue
        try:
            names[target.id] = _evaluate(statement.value, names)
        except NotALiteral as reason:
            log.warning("package.py line %d: %s is skipped (%s)", statement.lineno, target.id, reason)
    return names


def _evaluate(node: ast.AST, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise NotALiteral(f"{node.id} is not assigned before")
        return names[node.id]
    if isinstance(node, ast.JoinedStr):
        return "".join(_evaluate_f_string_part(part, names) for part in node.values)
    if isinstance(node, ast.List):
        return [_evaluate(item, names) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return [_evaluate(item, names) for item in node.elts]
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise NotALiteral("** in a dict")
        return {_evaluate(key, names): _evaluate(value, names) for key, value in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = _evaluate(node.operand, names)
        if isinstance(operand, (int, float)):
            return -operand
    raise NotALiteral(f"{type(node).__name__} is not a literal")


def _evaluate_f_string_part(node: ast.AST, names: dict[str, Any]) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.FormattedValue) and node.conversion == -1 and node.format_spec is None:
        return str(_evaluate(node.value, names))
    raise NotALiteral("an f-string with a conversion or a format spec")
