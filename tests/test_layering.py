"""What the import contracts (``[tool.importlinter]`` in pyproject.toml, run by ``make lint``)
cannot see for themselves: a module no layer names, a folder import graphs skip, an import
hidden inside a function."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("monitor", "postmortem", "exporters", "dashboards")
NOT_PACKAGES = {"monitor/db/migrations", "monitor/db/migrations/versions"}  # Alembic loads them by path


def _contract(contract_id: str) -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == contract_id]
    return contract


def _layered() -> set[str]:
    layers = _contract("layers")["layers"]
    assert isinstance(layers, list)
    return {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_every_module_of_monitor_and_every_package_is_in_a_layer() -> None:
    children = {f"monitor.{p.stem}" for p in (ROOT / "monitor").glob("*.py") if p.stem != "__init__"}
    children |= {f"monitor.{p.parent.name}" for p in (ROOT / "monitor").glob("*/__init__.py")}
    unplaced = sorted((children | set(PACKAGES[1:])) - _layered())
    assert unplaced == [], f"add these to a layer of the 'layers' contract in pyproject.toml: {unplaced}"


def test_every_folder_of_python_code_is_a_package() -> None:
    """A folder without ``__init__.py`` is invisible to the import contracts and left out of
    the wheel."""
    folders = {p.parent for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    missing = sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").exists())
    assert [f for f in missing if f not in NOT_PACKAGES] == []


def _local_imports(path: Path) -> list[str]:
    """``module:line -> imported`` for every import of a project module inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom):  # a relative import is always a project module
                names = [f"{'.' * node.level}{node.module or ''}"]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found += [f"{_module_name(path)}:{node.lineno} -> {name}" for name in names
                      if name.startswith(".") or name.split(".")[0] in PACKAGES]
    return found


def test_no_function_imports_a_project_module() -> None:
    """Imports at the top show every dependency (and the contracts check them all); only heavy
    optional libraries (matplotlib, WeasyPrint) load inside the function that needs them."""
    found = [hit for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             for hit in _local_imports(path)]
    assert found == []
