"""A show folder for `studio live` tests: a tiny, randomly initialised model checkpoint (the real torch
code path, fast) and a project with a few gestures, each its catalogue description and synthetic takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

RATE = 100.0
GESTURES = ("circle_cw", "shake", "swipe_left")


def save_tiny_model(folder: Path) -> Path:
    """``folder/model``: the tiny preset's network, seeded, as a checkpoint folder."""
    import torch

    from studio.model.checkpoint import save_checkpoint
    from studio.model.config import PRESETS
    from studio.model.encoder import MotionTextModel

    torch.manual_seed(0)
    save_checkpoint(folder / "model", MotionTextModel(PRESETS["tiny"].model), PRESETS["tiny"], 0)
    return folder / "model"


def make_show(folder: Path, gestures=GESTURES, takes: int = 3) -> Path:
    """``folder`` with ``model/`` and ``show.gesture`` (``takes`` synthetic takes per gesture)."""
    from studio import synth
    from studio.project import Project
    from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS

    save_tiny_model(folder)
    project = Project.create(folder / "show.gesture")
    rng = np.random.default_rng(0)
    units = [CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS]
    for name in gestures:
        g = project.add_gesture(name, synth.GESTURES[name].description)
        for _ in range(takes):
            project.add_take(g.id, synth.render_gesture(name, rng, RATE), RATE, CANONICAL_CHANNELS, units)
    project.close()
    return folder
