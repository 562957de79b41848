"""A small hand-crafted motion model for GUI tests: fast, deterministic, no torch or weights.

It has the MotionModel interface the Recogniser uses (``embed``, ``embed_features``, ``embed_text``,
``rate_hz``, ``window_s``, ``meta``, ``preset.model.d_model``, ``preset.pre``): a window is cropped to its nucleus, gravity is removed, the shape is resampled
to 48 steps and L2-normalised. That separates the simulator's distinct gestures well enough to drive
the real Recogniser and LiveRecogniser through the GUI; texts get fixed pseudo-random directions.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import numpy as np

from studio.model.config import PreprocessConfig
from studio.signals import nucleus
from studio.signals.stream import CANONICAL_CHANNELS


class ShapeModel:
    rate_hz = 100.0
    window_s = 2.56
    dim = 48 * 6
    meta: dict = {}
    preset = SimpleNamespace(model=SimpleNamespace(d_model=48 * 6), pre=PreprocessConfig())  # pre: the kernel model

    def embed(self, windows, channels=CANONICAL_CHANNELS, rate_hz: float = 100.0) -> np.ndarray:
        out = [self._one(np.asarray(w, np.float64), rate_hz, tuple(channels)) for w in windows]
        return np.stack(out).astype(np.float32) if out else np.zeros((0, self.dim), np.float32)

    def embed_features(self, windows, channels=CANONICAL_CHANNELS, rate_hz: float = 100.0):
        """(joint, features): here the same shape vector serves as both."""
        emb = self.embed(windows, channels, rate_hz)
        return emb, emb.copy()

    def _one(self, x: np.ndarray, rate_hz: float, channels: tuple[str, ...]) -> np.ndarray:
        x = np.nan_to_num(x[:, :6])
        core = nucleus.find_nucleus(x, rate_hz, channels[:6])
        if core is not None:
            pad = int(0.1 * rate_hz)
            x = x[max(0, core[0] - pad): core[1] + pad]
        x = x - x.mean(0)
        x[:, 3:] /= 100.0  # deg/s to about the scale of g
        grid = np.linspace(0, len(x) - 1, 48)
        shape = np.stack([np.interp(grid, np.arange(len(x)), x[:, c]) for c in range(6)], 1).reshape(-1)
        return shape / max(np.linalg.norm(shape), 1e-9)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).normal(size=self.dim)
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.dim), np.float32)
