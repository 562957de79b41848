"""The core never imports Qt: only studio/ui may import PySide6 or pyqtgraph."""

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


def _core_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts]


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
        if path.name not in ("cli.py", "bench.py") and any(n.startswith("studio.ui") for n in _imports(path))
    ]
    assert offenders == []


@pytest.mark.parametrize("module", ["studio.signals", "studio.devices", "studio.cli"])
def test_importing_core_loads_no_qt(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
