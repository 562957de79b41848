"""Unit conversion and resampling, in one place. Everything converts *into* canonical units here."""

from __future__ import annotations

import numpy as np

G = 9.80665  # m/s^2 per g

# factor that multiplies a value in the given unit to give the canonical unit
_TO_CANONICAL: dict[str, tuple[str, float]] = {
    "g": ("g", 1.0),
    "mg": ("g", 1e-3),
    "m/s^2": ("g", 1.0 / G),
    "m/s2": ("g", 1.0 / G),
    "deg/s": ("deg/s", 1.0),
    "dps": ("deg/s", 1.0),
    "rad/s": ("deg/s", 180.0 / np.pi),
    "mdeg/s": ("deg/s", 1e-3),
}


def canonical_unit(unit: str) -> str:
    """The canonical unit a given unit converts to (``"g"`` or ``"deg/s"``)."""
    try:
        return _TO_CANONICAL[unit][0]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}; known: {sorted(_TO_CANONICAL)}") from None


def to_canonical(values: np.ndarray, unit: str) -> np.ndarray:
    """Convert ``values`` from ``unit`` into the canonical unit (g or deg/s)."""
    try:
        factor = _TO_CANONICAL[unit][1]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}; known: {sorted(_TO_CANONICAL)}") from None
    return np.asarray(values, np.float32) * np.float32(factor)


def convert(values: np.ndarray, unit_from: str, unit_to: str) -> np.ndarray:
    """Convert between two units of the same quantity (e.g. ``rad/s`` to ``deg/s``)."""
    if canonical_unit(unit_from) != canonical_unit(unit_to):
        raise ValueError(f"cannot convert {unit_from!r} to {unit_to!r}: different quantities")
    return to_canonical(values, unit_from) / np.float32(_TO_CANONICAL[unit_to][1])


def resample(t: np.ndarray, x: np.ndarray, rate_hz: float, t0: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Linearly resample irregular samples ``x`` (n, C) at times ``t`` (n,) onto a uniform ``rate_hz`` grid.

    NaNs in a channel are interpolated over from that channel's finite neighbours; a channel with no
    finite value stays NaN (missing channels are masked, never faked).
    """
    if rate_hz <= 0:
        raise ValueError("rate_hz must be positive")
    t = np.asarray(t, np.float64).reshape(-1)
    x = np.asarray(x, np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if t.size == 0:
        return t.copy(), x.reshape(0, x.shape[1]).copy()
    if np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, x = t[order], x[order]
    start = t[0] if t0 is None else t0
    n = int(np.floor((t[-1] - start) * rate_hz + 1e-9)) + 1
    grid = start + np.arange(max(n, 1)) / rate_hz
    out = np.full((grid.size, x.shape[1]), np.nan, np.float32)
    for c in range(x.shape[1]):
        ok = np.isfinite(x[:, c])
        if ok.sum() >= 2:
            out[:, c] = np.interp(grid, t[ok], x[ok, c])
        elif ok.sum() == 1:
            out[:, c] = x[ok, c][0]
    return grid, out


def resample_uniform(x: np.ndarray, rate_from: float, rate_to: float) -> np.ndarray:
    """Resample a uniformly sampled series ``x`` (T, C) from one rate to another."""
    if rate_from <= 0 or rate_to <= 0 or rate_from == rate_to:
        return np.asarray(x, np.float32)
    t = np.arange(x.shape[0]) / rate_from
    return resample(t, x, rate_to)[1]
