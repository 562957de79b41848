"""The wheel carries everything the studio needs: it is built from a copy of the checkout, installed
offline into a fresh virtualenv, and started from a folder outside the checkout.

The fresh venv reuses the project venv's already installed dependencies through a ``.pth`` line (a path
line only: the project's own editable install is not activated by it), so the test needs no network
and does not install torch again; ``pip install --no-deps --no-index`` installs only the built wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [p.relative_to(ROOT / "resources").as_posix() for sub in ("model", "icons", "phone")
           for p in sorted((ROOT / "resources" / sub).glob("*")) if p.is_file()]
PNG = b"\x89PNG\r\n\x1a\n"


def test_pyproject_lists_every_package_and_maps_the_resources():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "studio").rglob("__init__.py")}
    assert set(config["packages"]) == found | {"studio.resources"}
    assert config["package-dir"]["studio.resources"] == "resources"
    assert (ROOT / "resources" / "__init__.py").is_file()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (building writes build/ and egg-info beside them)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("studio", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "--quiet", "-w", str(work / "dist"), str(src)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = (work / "dist").glob("unimotion_studio-*.whl")
    return built


def test_wheel_carries_weights_icons_and_the_phone_experiment(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert SHIPPED and "model/model.safetensors" in SHIPPED
    missing = [f for f in SHIPPED if f"studio/resources/{f}" not in names]
    assert missing == []
    assert "studio/commands/info_cmd.py" in names and "studio/resources/__init__.py" in names


@pytest.mark.slow
def test_installed_wheel_starts_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--no-index", "--quiet", str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(QT_QPA_PLATFORM="offscreen", STUDIO_CONFIG_DIR=str(tmp_path / "config"), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1")
    studio = str(venv / "bin" / "studio")

    info = subprocess.run([studio, "info", "--json"], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=120)
    assert info.returncode == 0, info.stderr
    report = json.loads(info.stdout)
    assert report["missing"] == []
    assert all(Path(p).is_relative_to(venv) for p in report["files"].values()), report["files"]

    shot, trace = elsewhere / "shot.png", elsewhere / "trace.json"
    gui = subprocess.run([studio, "--device", "simulator?seed=1", "--screenshot", str(shot), "--quit-when-ready",
                          "--trace-startup", str(trace)], cwd=elsewhere, env=env, capture_output=True, text=True,
                         timeout=300)
    assert gui.returncode == 0, gui.stderr[-3000:]
    assert shot.read_bytes()[:8] == PNG
    started = json.loads(trace.read_text())
    assert started["complete"] and started["model"] == "ready", started
    assert all(started["files_found"].values()), started["files"]
    assert all(Path(p).is_relative_to(venv) for p in started["files"].values()), started["files"]
