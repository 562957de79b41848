"""Numpy augmentations of raw canonical windows (T, 6), composable callables for few-shot refinement.

Each takes (x, rng) and returns a new array; all keep NaN columns (missing channels) NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


def _rotation(rng: np.random.Generator, max_deg: float) -> np.ndarray:
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis) + 1e-12
    a = np.deg2rad(rng.uniform(-max_deg, max_deg))
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k  # Rodrigues


@dataclass(frozen=True)
class Rotate:
    """Same small rotation of the device frame for acc and gyro (a take held slightly differently)."""

    max_deg: float = 25.0

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if x.shape[1] != 6 or not np.isfinite(x).any(axis=0).all():
            return x.copy()
        r = _rotation(rng, self.max_deg).astype(np.float32)
        return np.concatenate([x[:, :3] @ r.T, x[:, 3:] @ r.T], axis=1)


@dataclass(frozen=True)
class Scale:
    """Amplitude scale (a bigger or smaller movement)."""

    low: float = 0.8
    high: float = 1.2

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a missing (all-NaN) channel has no mean
            mean = np.nanmean(x, axis=0, keepdims=True)
        mean = np.nan_to_num(mean)
        return (mean + (x - mean) * rng.uniform(self.low, self.high)).astype(np.float32)


@dataclass(frozen=True)
class TimeWarp:
    """Uniform speed change (a faster or slower performance)."""

    low: float = 0.8
    high: float = 1.25

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = x.shape[0]
        m = max(2, int(round(n / rng.uniform(self.low, self.high))))
        src = np.linspace(0, n - 1, m)
        return np.stack([np.interp(src, np.arange(n), x[:, c]) for c in range(x.shape[1])], 1).astype(np.float32)


@dataclass(frozen=True)
class Noise:
    """Sensor noise: sigma in g for acc and sigma x 100 in deg/s for gyro."""

    sigma: float = 0.02

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        scale = np.where(np.arange(x.shape[1]) < 3, self.sigma, 100 * self.sigma) if x.shape[1] == 6 else self.sigma
        return (x + rng.normal(size=x.shape) * scale).astype(np.float32)


DEFAULT_AUGMENTS = (Rotate(), Scale(), TimeWarp(), Noise())


def augment_take(x: np.ndarray, rng: np.random.Generator, augments=DEFAULT_AUGMENTS) -> np.ndarray:
    """Apply every augmentation in ``augments`` in order."""
    for aug in augments:
        x = aug(x, rng)
    return x
