"""Where the files shipped with the studio are: model weights, icons, the phone experiment, sample sets.

The repository's top-level ``resources/`` folder is their source of truth; pyproject maps it into the
wheel as the package ``studio.resources``, so :mod:`importlib.resources` finds them the same way in a
wheel, an editable install and the frozen app, wherever the current folder is.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

PACKAGE = "studio.resources"


def resource_path(*parts: str) -> Path:
    """The path of a shipped file or folder, e.g. ``resource_path("model")``; it may not exist (a checkout
    whose weights were never trained, say): callers check."""
    try:
        base = Path(str(importlib.resources.files(PACKAGE)))
    except ModuleNotFoundError:
        here = Path(__file__).resolve().parent
        # beside the package as installed (a frozen app), else a source checkout run without installing
        base = next((b for b in (here / "resources", here.parent / "resources") if b.is_dir()), here / "resources")
    return base.joinpath(*parts)


def shipped_files() -> dict[str, Path]:
    """The shipped things the studio looks for, by what they are (``studio info`` and the wheel test)."""
    return {
        "model": resource_path("model", "model.safetensors"),
        "icon": resource_path("icons", "studio-256.png"),
        "phone experiment": resource_path("phone", "studio-imu.phyphox"),
        "sample sets": resource_path("sample_sets"),
    }
