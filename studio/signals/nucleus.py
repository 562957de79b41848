"""Motion energy and the *nucleus*: the high-energy core of a movement.

Used by focused masking (masks go preferentially where the movement is), by the recorder's auto-trim and
by live segmentation. Pure numpy, canonical channels/units (acc in g incl. gravity, gyro in deg/s).

Energy combines rotation speed and acceleration change (jerk), because a gesture shows up in one or the
other depending on how it is performed: a twist is mostly gyro, a push mostly acceleration. Gravity is a
constant offset in acc, so using its *change* makes the energy independent of how the device is held.
"""

from __future__ import annotations

import numpy as np

from studio.signals.stream import CANONICAL_CHANNELS

GYRO_SCALE = 250.0  # deg/s that count as one unit of energy (a brisk wrist rotation)
JERK_SCALE = 10.0  # g/s that count as one unit of energy
SMOOTH_S = 0.08  # moving-average length: longer than sensor noise, shorter than a flick
IDLE_LEVEL = 0.12  # peak energy below this is "holding still / fidgeting", not a movement
GAP_S = 0.25  # quieter stretches shorter than this inside a movement do not split it


def _smooth(e: np.ndarray, n: int) -> np.ndarray:
    if n <= 1 or e.size < 2:
        return e
    kernel = np.ones(n) / n
    return np.convolve(np.pad(e, (n // 2, n - 1 - n // 2), mode="edge"), kernel, mode="valid")


def motion_energy(x: np.ndarray, rate_hz: float, channels: tuple[str, ...] = CANONICAL_CHANNELS) -> np.ndarray:
    """Per-sample motion energy (T,) >= 0 of ``x`` (T, C) in canonical units.

    energy = || [gyro / 250 deg/s, d(acc)/dt / 10 g/s] ||_2, smoothed over ~80 ms. Missing channels
    (absent from ``channels`` or all-NaN) simply do not contribute; NaN samples count as zero.
    """
    x = np.asarray(x, np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected (T, C) samples, got shape {x.shape}")
    if rate_hz <= 0:
        raise ValueError("rate_hz must be positive")
    t_len = x.shape[0]
    sq = np.zeros(t_len)
    for i, name in enumerate(channels[: x.shape[1]]):
        col = x[:, i]
        if not np.isfinite(col).any():
            continue
        if name.startswith("gyro"):
            v = np.nan_to_num(col, nan=0.0) / GYRO_SCALE
        elif name.startswith("acc"):
            filled = np.where(np.isfinite(col), col, np.nanmean(col))
            v = np.gradient(filled) * rate_hz / JERK_SCALE if t_len > 1 else np.zeros(t_len)
            v[~np.isfinite(col)] = 0.0
        else:
            continue
        sq += v * v
    return _smooth(np.sqrt(sq), max(1, int(round(SMOOTH_S * rate_hz))))


def _runs(active: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def find_nucleus(
    x: np.ndarray,
    rate_hz: float,
    channels: tuple[str, ...] = CANONICAL_CHANNELS,
    level: float = 0.25,
    idle_level: float = IDLE_LEVEL,
) -> tuple[int, int] | None:
    """Sample indices ``[start, end)`` of the high-energy core of the movement in ``x``, or None if idle.

    The core is the stretch around the energy peak where energy exceeds ``baseline + level * (peak -
    baseline)`` (baseline = 20th percentile, i.e. the quiet part of the window); stretches split by a quiet
    gap shorter than 0.25 s are merged. ``None`` when the peak energy stays below ``idle_level``.
    """
    e = motion_energy(x, rate_hz, channels)
    if e.size == 0:
        return None
    peak = float(e.max())
    if peak < idle_level:
        return None
    base = float(np.percentile(e, 20))
    active = e >= base + level * (peak - base)
    runs = _runs(active)
    gap = int(round(GAP_S * rate_hz))
    merged: list[list[int]] = []
    for s, t in runs:
        if merged and s - merged[-1][1] <= gap:
            merged[-1][1] = t
        else:
            merged.append([s, t])
    i_peak = int(np.argmax(e))
    for s, t in merged:
        if s <= i_peak < t:
            return int(s), int(t)
    return int(merged[0][0]), int(merged[0][1])  # unreachable in practice: the peak is always active


def token_weights(energy: np.ndarray, token_len: int) -> np.ndarray:
    """Mean energy per token (n_tokens,), normalised to sum 1 (uniform if there is no energy).

    ``energy`` is cut into ``len // token_len`` whole tokens; NaN counts as zero.
    """
    n = energy.shape[0] // token_len
    if n == 0:
        return np.zeros(0)
    w = np.nan_to_num(energy[: n * token_len]).reshape(n, token_len).mean(axis=1)
    total = w.sum()
    return w / total if total > 0 else np.full(n, 1.0 / n)


def auto_trim(samples: np.ndarray, rate_hz: float, channels: tuple[str, ...] = CANONICAL_CHANNELS,
              margin_s: float = 0.15) -> tuple[int, int] | None:
    """Trim marks around a take's movement (its nucleus plus a small margin), or None if nothing moved:
    what the recorder and the library's Auto-trim store."""
    core = find_nucleus(np.asarray(samples, np.float32), rate_hz, channels)
    if core is None:
        return None
    pad = int(round(margin_s * rate_hz))
    return max(0, core[0] - pad), min(len(samples), core[1] + pad)
