"""Raw canonical samples -> normalised model input with time and channel masks (numpy).

A window of any length, rate and channel subset becomes (L = its length at the model rate, rounded up to
whole tokens and at most ``window_s``; N = L // token_len):
  x     (L, 6) float32  normalised values in canonical channel order, 0 where missing or padded
  valid (L,)   bool     the sample exists (False = padding)
  chan  (6,)   bool     the channel exists (False = the device has no such axis: masked, never faked)
  tok_w (N,)   float32  motion energy per token, normalised to sum 1 (used by focused masking)
Several windows stack into a :class:`Batch` padded at the end to the longest one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from studio.model.config import PreprocessConfig
from studio.signals.nucleus import find_nucleus, motion_energy, token_weights
from studio.signals.stream import CANONICAL_CHANNELS
from studio.signals.units import resample_uniform

N_CH = len(CANONICAL_CHANNELS)
_ACC = np.array([c.startswith("acc") for c in CANONICAL_CHANNELS])


@dataclass
class Batch:
    """Preprocessed windows, stacked: x (n, L, 6), valid (n, L), chan (n, 6), tok_w (n, N)."""

    x: np.ndarray
    valid: np.ndarray
    chan: np.ndarray
    tok_w: np.ndarray


def to_canonical_order(x: np.ndarray, channels: tuple[str, ...] | list[str]) -> np.ndarray:
    """(T, C) in ``channels`` order -> (T, 6) canonical order, NaN columns for channels not given."""
    x = np.asarray(x, np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != len(channels):
        raise ValueError(f"window of shape {x.shape} does not match {len(channels)} channels {tuple(channels)}")
    unknown = [c for c in channels if c not in CANONICAL_CHANNELS]
    if unknown:
        raise ValueError(f"unknown channels {unknown}; expected names from {CANONICAL_CHANNELS}")
    out = np.full((x.shape[0], N_CH), np.nan, np.float32)
    for i, name in enumerate(channels):
        out[:, CANONICAL_CHANNELS.index(name)] = x[:, i]
    return out


def _fit_window(x: np.ndarray, length: int, rate_hz: float, token_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Crop to at most ``length`` samples around the nucleus (or centre); pad the end to whole tokens."""
    n = x.shape[0]
    if n > length:
        nuc = find_nucleus(x, rate_hz)
        centre = (nuc[0] + nuc[1]) // 2 if nuc else n // 2
        start = int(np.clip(centre - length // 2, 0, n - length))
        x, n = x[start:start + length], length
    size = max(token_len, -(-n // token_len) * token_len)
    out = np.full((size, N_CH), np.nan, np.float32)
    out[:n] = x
    valid = np.zeros(size, bool)
    valid[:n] = True
    return out, valid


def gravity_rotation(g: np.ndarray) -> np.ndarray | None:
    """(3, 3) rotation taking the gravity direction ``g`` (device frame) to +z, or None if ``g`` is not a
    plausible gravity reading (|g| outside 0.5-1.5 g, e.g. acc without gravity or z-normalised data)."""
    norm = float(np.linalg.norm(g))
    if not np.isfinite(norm) or not 0.5 <= norm <= 1.5:
        return None
    a = g / norm
    v = np.array([a[1], -a[0], 0.0])  # a x z
    c = float(a[2])
    if c < -0.999999:
        return np.diag([1.0, -1.0, -1.0])
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1.0 + c)


def _align_gravity(x: np.ndarray, valid: np.ndarray, chan: np.ndarray) -> np.ndarray:
    """Rotate acc (and gyro) into a frame whose z axis is the window's mean gravity direction: device tilt
    no longer changes the signal, only the heading about the vertical stays free."""
    if not chan[:3].all():
        return x
    r = gravity_rotation(np.nanmean(x[valid, :3], axis=0))
    if r is None:
        return x
    out = x.copy()
    out[:, :3] = x[:, :3] @ r.T
    if chan[3:].all():
        out[:, 3:] = x[:, 3:] @ r.T
    return out


def at_model_rate(x: np.ndarray, channels, rate_hz: float, cfg: PreprocessConfig) -> tuple[np.ndarray, np.ndarray]:
    """Canonical order, NaN ends trimmed, resampled to the model rate -> (x (T', 6), chan (6,))."""
    x = to_canonical_order(x, channels)
    rows = np.flatnonzero(np.isfinite(x).any(axis=1))
    if rows.size == 0:
        raise ValueError("window has no finite samples")
    x = x[rows[0]: rows[-1] + 1]  # NaN padding at either end is not part of the movement
    if not rate_hz or rate_hz <= 0:
        rate_hz = cfg.unknown_rate_hz
    if x.shape[0] > 1 and abs(rate_hz - cfg.rate_hz) > 1e-6:
        x = resample_uniform(x, float(rate_hz), cfg.rate_hz)
    return x, np.isfinite(x).any(axis=0)


def finish(x: np.ndarray, valid: np.ndarray, chan: np.ndarray, cfg: PreprocessConfig, token_len: int,
            energy: bool):
    """A fitted window (L, 6) -> normalised model input; see the module docstring."""
    if energy:
        tok_w = token_weights(motion_energy(np.where(valid[:, None], x, np.nan), cfg.rate_hz), token_len)
    else:
        tok_w = np.zeros(x.shape[0] // token_len, np.float32)
    if cfg.align_gravity:
        x = _align_gravity(x, valid, chan)
    if cfg.remove_acc_mean:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # absent channels have no mean
            mean = np.nanmean(np.where(valid[:, None], x, np.nan), axis=0)
        x = x - np.where(_ACC & chan, np.nan_to_num(mean), 0.0)
    scale = np.where(_ACC, cfg.acc_scale, cfg.gyro_scale).astype(np.float32)
    x = np.nan_to_num(x / scale, nan=0.0, posinf=0.0, neginf=0.0)
    x[~valid] = 0.0
    x[:, ~chan] = 0.0
    return x.astype(np.float32), valid, chan, tok_w.astype(np.float32)


def preprocess_one(x: np.ndarray, channels, rate_hz: float, cfg: PreprocessConfig, token_len: int,
                   energy: bool = True):
    """One window -> (x (L, 6), valid (L,), chan (6,), tok_w (N,)); see the module docstring.
    ``energy=False`` skips the token energies (only masking needs them) and returns zeros."""
    x, chan = at_model_rate(x, channels, rate_hz, cfg)
    x, valid = _fit_window(x, cfg.window_len, cfg.rate_hz, token_len)
    return finish(x, valid, chan, cfg, token_len, energy)


def preprocess(windows, channels=CANONICAL_CHANNELS, rate_hz: float = 100.0,
               cfg: PreprocessConfig | None = None, token_len: int = 8, energy: bool = True) -> Batch:
    """Preprocess ``windows`` ((n, T, C) array or list of (T, C)) into a :class:`Batch`."""
    cfg = cfg or PreprocessConfig()
    if isinstance(windows, np.ndarray) and windows.ndim == 2:
        windows = [windows]
    return stack([preprocess_one(w, tuple(channels), rate_hz, cfg, token_len, energy) for w in windows],
                 token_len)


def stack(parts: list[tuple], token_len: int) -> Batch:
    """Preprocessed windows ``(x, valid, chan, tok_w)`` of different lengths -> one :class:`Batch`,
    padded at the end to the longest (padding: x 0, valid False, tok_w 0)."""
    if not parts:
        return Batch(np.zeros((0, token_len, N_CH), np.float32), np.zeros((0, token_len), bool),
                     np.zeros((0, N_CH), bool), np.zeros((0, 1), np.float32))
    length = max(p[0].shape[0] for p in parts)
    n = len(parts)
    x = np.zeros((n, length, N_CH), np.float32)
    valid = np.zeros((n, length), bool)
    tok_w = np.zeros((n, length // token_len), np.float32)
    for i, (xi, vi, _, ti) in enumerate(parts):
        x[i, : xi.shape[0]] = xi
        valid[i, : vi.shape[0]] = vi
        tok_w[i, : ti.shape[0]] = ti
    return Batch(x, valid, np.stack([p[2] for p in parts]), tok_w)
