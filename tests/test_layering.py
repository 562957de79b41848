"""The layer order of the studio package, checked on every import statement (function-level ones too).

* Only studio/ui may import PySide6 or pyqtgraph; nothing below the ui imports it.
* Layers (napari's import-linter "layers" contract, as an AST check): a module imports its own package
  and lower layers only; packages on one layer are independent of one another.
* Forbidden (napari's "forbidden" contract): the model and recognition know nothing of devices,
  projects, outputs or audio.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "studio"
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6", "qasync")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# Lowest first. Entries are the first name below ``studio`` (a subpackage, or a top-level module).
LAYERS: list[tuple[str, ...]] = [
    ("signals", "shipped"),
    ("synth",),
    ("devices", "model", "project", "outputs", "audio"),
    ("recognition",),
    ("ui",),
    ("live_stage",),
    ("live_cmd",),
    ("commands",),
    ("bench", "cli"),
    ("__main__",),
]
FORBIDDEN = {
    "model": {"devices", "project", "outputs", "audio", "recognition"},
    "recognition": {"devices", "project", "outputs", "audio"},
}
TOP = {name for layer in LAYERS[LAYERS.index(("ui",)) + 1:] for name in layer}


def _part(path: Path) -> str:
    """The layer entry a file belongs to: its subpackage, or its own name for a top-level module."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _studio_imports(path: Path) -> set[str]:
    """Every studio module ``path`` imports, at any depth of the code; ``from studio import x`` counts as
    ``studio.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "studio":
                names.update(f"studio.{alias.name}" for alias in node.names)
            else:
                names.add(node.module)
    return {n for n in names if n.startswith("studio.")}


def _layer_of() -> dict[str, int]:
    return {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _core_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if _part(p) not in TOP and _part(p) != "ui"]


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_part(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert parts - set(_layer_of()) == set(), "add new packages to LAYERS"


def test_imports_follow_the_layer_order() -> None:
    layer = _layer_of()
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _part(path)
        if own == "__init__":
            continue
        for name in sorted(_studio_imports(path)):
            target = name.split(".")[1]
            if target == own or target not in layer:
                continue
            if layer[target] >= layer[own] or target in FORBIDDEN.get(own, set()):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_the_layer_check_sees_function_level_imports(tmp_path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from studio.ui.app import run_gui\n    from studio import synth\n")
    assert _studio_imports(sample) == {"studio.ui.app", "studio.synth"}


def test_core_modules_do_not_import_qt() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(n for n in _imports(path) if n.split(".")[0] in QT_MODULES)
        for path in _core_files()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_modules_do_not_import_the_ui() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _core_files()
        if any(n.startswith("studio.ui") for n in _imports(path))
    ]
    assert offenders == []


@pytest.mark.parametrize("module", ["studio.signals", "studio.devices", "studio.cli"])
def test_importing_core_loads_no_qt(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
