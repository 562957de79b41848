"""Pre-training data: pools of raw windows at the model rate, and views that look like real devices.

A :class:`Pool` holds variable-length windows in canonical channels at the model rate, *before*
normalisation (device frame, gravity included), each with its motion energy per token, an optional class id
and the channels it has. Rendering is the slow part, so a pool is generated once; every draw then picks a
*view* and normalises it exactly as inference does (:func:`studio.model.preprocess.finish`), then
re-augments it (heading rotation, amplitude, noise).

Views (what a real device or data set shows of the same movement):
  full    acc + gyro, gravity kept (aligned to +z by preprocessing), any heading
  acc     accelerometer only (micro:bit, most phones' web sensors)
  axis    one accelerometer axis in the device frame (single-axis sets such as the Wiimote ones)
  linear  gravity removed by a low-pass estimate, as phones' "linear acceleration", any orientation
  znorm   each channel standardised over the window (archives that z-normalise their series)
  subset  a random subset of channels
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from studio.model.preprocess import Batch, at_model_rate, finish, stack
from studio.signals.nucleus import motion_energy, token_weights
from studio.signals.stream import CANONICAL_CHANNELS

VIEWS = ("full", "acc", "axis", "linear", "znorm", "subset")
VIEW_P = (0.25, 0.15, 0.35, 0.1, 0.05, 0.1)
LOWPASS_S = 1.0  # window of the moving average that estimates gravity for the linear view


@dataclass
class Pool:
    """Raw windows (T_i, 6) at the model rate with token energies, class ids (-1: none) and channels."""

    x: list[np.ndarray]
    tok_w: list[np.ndarray]
    label: np.ndarray
    chan: np.ndarray  # (n, 6) bool: channels the window has
    texts: list[tuple[str, ...]]  # per class id: its descriptions (empty for unlabeled pools)

    def __len__(self) -> int:
        return len(self.x)

    @staticmethod
    def empty() -> "Pool":
        return Pool([], [], np.zeros(0, int), np.zeros((0, 6), bool), [])

    def extend(self, other: "Pool") -> "Pool":
        """A pool holding both; ``other``'s class ids are shifted past this pool's."""
        shift = len(self.texts)
        labels = np.where(other.label >= 0, other.label + shift, -1)
        return Pool(self.x + other.x, self.tok_w + other.tok_w, np.concatenate([self.label, labels]),
                    np.concatenate([self.chan, other.chan]), self.texts + other.texts)


def raw_window(x: np.ndarray, channels, rate_hz: float, pre, token_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, C) at any rate -> (raw (T', 6) at the model rate cut to whole tokens, token energies (N,))."""
    xr, _ = at_model_rate(x, CANONICAL_CHANNELS if channels is None else channels, rate_hz, pre)
    xr = xr[: max(pre.window_len, token_len)]
    n = max(token_len, xr.shape[0] - xr.shape[0] % token_len)
    if xr.shape[0] < n:
        xr = np.concatenate([xr, np.repeat(xr[-1:], n - xr.shape[0], 0)])
    xr = xr[:n]
    energy = motion_energy(np.nan_to_num(xr, nan=0.0), pre.rate_hz)
    return np.ascontiguousarray(xr, np.float32), token_weights(energy, token_len).astype(np.float32)


def universe_pool(n_classes: int, renders: int, rng: np.random.Generator, pre, token_len: int,
                  weights=(0.6, 0.3, 0.1), on_progress=None) -> Pool:
    """``n_classes`` classes of :mod:`studio.synth.universe`, each performed ``renders`` times."""
    from studio.synth import universe

    xs, tw, labels, texts = [], [], [], []
    for c in range(n_classes):
        spec = universe.sample_class(rng, weights)
        texts.append(spec.texts)
        for _ in range(renders):
            x, w = raw_window(universe.render_class(spec, rng, pre.rate_hz), None, pre.rate_hz, pre, token_len)
            xs.append(x), tw.append(w), labels.append(c)
        if on_progress and c % 200 == 0:
            on_progress(c / n_classes)
    return Pool(xs, tw, np.array(labels, int), np.ones((len(xs), 6), bool), texts)


def motion_pool(n: int, rng: np.random.Generator, pre, token_len: int) -> Pool:
    """``n`` unlabeled windows of random smooth movement and ordinary idle motion (1.5-8 s)."""
    from studio import synth

    xs, tw = [], []
    for _ in range(n):
        x = synth.sample_unlabeled(rng, rate_hz=pre.rate_hz, domain=synth.Domain.heavy().with_(
            orientation_deg=30.0), seconds=float(rng.uniform(1.5, 8.0)))
        x, w = raw_window(x, None, pre.rate_hz, pre, token_len)
        xs.append(x), tw.append(w)
    return Pool(xs, tw, -np.ones(n, int), np.ones((n, 6), bool), [])


def real_unlabeled(path, pre, token_len: int, window_s: float = 6.0) -> Pool:
    """Unlabeled real windows from an npz (``X`` (n, T, C) NaN-padded, ``channels``, ``rate_hz``); series
    longer than ``window_s`` are cut into overlapping windows of that length.

    If the file has a ``split`` array (an evaluation set), only its 'train' rows are used, so pre-training
    on a set never sees the windows ``studio evaluate`` tests on. Labels are never read."""
    with np.load(path, allow_pickle=False) as data:
        x = np.asarray(data["X"], np.float32)
        channels = tuple(str(c) for c in data["channels"])
        rate = float(data["rate_hz"]) if "rate_hz" in data else 0.0
        if "split" in data:
            x = x[np.asarray(data["split"]).astype(str) == "train"]
    if len(x) == 0:
        raise ValueError(f"{path}: no 'train' rows to pre-train on")
    return windows_pool(list(x), channels, rate, pre, token_len, window_s)


def windows_pool(series, channels, rate_hz: float, pre, token_len: int, window_s: float = 6.0) -> Pool:
    """Unlabeled pool of ``series`` (each (T, C)), long ones cut into windows of ``window_s`` (half overlap)."""
    xs, tw = [], []
    for s in series:
        rows = np.flatnonzero(np.isfinite(s).any(axis=1))
        if rows.size < 2:
            continue
        raw, _ = at_model_rate(s[rows[0]: rows[-1] + 1], tuple(channels), rate_hz, pre)
        n = int(window_s * pre.rate_hz)
        for start in range(0, max(1, raw.shape[0] - n // 2), n // 2):
            piece = raw[start:start + n]
            if piece.shape[0] >= 2 * token_len:
                x, w = raw_window(piece, None, pre.rate_hz, pre, token_len)
                xs.append(x), tw.append(w)
    chan = np.stack([np.isfinite(x).any(axis=0) for x in xs]) if xs else np.zeros((0, 6), bool)
    return Pool(xs, tw, -np.ones(len(xs), int), chan, [])


# -- views -----------------------------------------------------------------------------------------------
def random_view(rng: np.random.Generator, p=VIEW_P) -> tuple[str, int]:
    """A view name and a number that fixes its random choices (which axis, which channels), so one view
    can be applied alike to every window of an episode."""
    return VIEWS[int(rng.choice(len(VIEWS), p=np.asarray(p) / np.sum(p)))], int(rng.integers(1 << 30))


def _moving_average(x: np.ndarray, n: int) -> np.ndarray:
    if n <= 1 or x.shape[0] < 2:
        return x
    pad = np.pad(x, ((n // 2, n - 1 - n // 2), (0, 0)), mode="edge")
    c = np.cumsum(np.concatenate([np.zeros((1, x.shape[1])), pad]), axis=0)
    return (c[n:] - c[:-n]) / n


def apply_view(x: np.ndarray, view: str, code: int, rng: np.random.Generator, rate_hz: float) -> np.ndarray:
    """Raw canonical window (T, 6) -> what ``view`` shows of it (absent channels NaN). ``code`` fixes the
    view's choices (axis, channels); ``rng`` only draws what may differ between windows."""
    x = x.copy()
    pick = np.random.default_rng(code)
    axis = int(pick.integers(3))
    if view == "acc":
        x[:, 3:] = np.nan
    elif view == "axis":
        keep = np.zeros(6, bool)
        keep[axis] = True
        x[:, ~keep] = np.nan
    elif view == "linear":
        x[:, :3] -= _moving_average(x[:, :3], int(LOWPASS_S * rate_hz))
        if pick.random() < 0.3:
            x[:, 3:] = np.nan
    elif view == "znorm":
        kind = pick.integers(3)
        keep = np.zeros(6, bool)
        keep[[axis] if kind == 0 else slice(0, 3) if kind == 1 else slice(0, 6)] = True
        x[:, ~keep] = np.nan
        mean, std = x[:, keep].mean(0), x[:, keep].std(0)
        x[:, keep] = (x[:, keep] - mean) / np.maximum(std, 1e-3)
    elif view == "subset":
        keep = pick.random(6) < 0.5
        keep[pick.integers(6)] = True
        x[:, ~keep] = np.nan
    return x


def view_batch(pool: Pool, idx, views: list[tuple[str, int]], rng: np.random.Generator, pre,
               token_len: int) -> Batch:
    """Normalised model input for pool items ``idx``, item i shown as ``views[i]`` (real windows keep the
    channels they have: a view that would leave none of them falls back to the window as it is)."""
    parts = []
    for i, (view, axis) in zip(idx, views):
        raw = pool.x[i]
        x = apply_view(raw, view, axis, rng, pre.rate_hz)
        if not np.isfinite(x).any():
            x = raw
        valid = np.ones(x.shape[0], bool)
        xi, vi, ci, _ = finish(x, valid, np.isfinite(x).any(axis=0), pre, token_len, energy=False)
        parts.append((xi, vi, ci, pool.tok_w[i]))
    return stack(parts, token_len)


# -- torch augmentation ----------------------------------------------------------------------------------
def random_rotations(n: int, gen: torch.Generator | None) -> torch.Tensor:
    """(n, 3, 3) uniformly random rotation matrices (QR of Gaussian matrices, sign-fixed)."""
    q, r = torch.linalg.qr(torch.randn(n, 3, 3, generator=gen))
    q = q * torch.sign(torch.diagonal(r, dim1=1, dim2=2)).unsqueeze(1)
    det = torch.det(q)
    q[:, :, 0] *= det.unsqueeze(1)  # reflections -> rotations
    return q


def heading_rotations(n: int, gen: torch.Generator | None, tilt_deg: float = 12.0) -> torch.Tensor:
    """(n, 3, 3): any heading about the vertical (z, after gravity alignment) and a small tilt."""
    yaw = torch.rand(n, generator=gen) * 2 * math.pi
    c, s = torch.cos(yaw), torch.sin(yaw)
    z, o = torch.zeros(n), torch.ones(n)
    rz = torch.stack([c, -s, z, s, c, z, z, z, o], 1).view(n, 3, 3)
    tilt = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(tilt_deg)
    ct, st = torch.cos(tilt), torch.sin(tilt)
    rx = torch.stack([o, z, z, z, ct, -st, z, st, ct], 1).view(n, 3, 3)
    return rz @ rx


def augment(x: torch.Tensor, chan: torch.Tensor, views: list[str] | None, gen: torch.Generator | None = None):
    """Rotate the device frame where the view allows it (heading for gravity-aligned acc triples, any
    rotation for gravity-free ones; never for single axes or partial triples), scale the amplitude by
    0.75-1.3 and add a little noise. Returns x (absent channels stay 0)."""
    b = x.shape[0]
    x = x.clone()
    acc3 = chan[:, :3].all(1)
    gyro3 = chan[:, 3:].all(1)
    free = torch.tensor([v in ("linear",) for v in views]) if views else torch.zeros(b, dtype=torch.bool)
    rot = torch.where(free[:, None, None], random_rotations(b, gen), heading_rotations(b, gen))
    racc = x[..., :3] @ rot.transpose(1, 2)
    rgyr = x[..., 3:] @ rot.transpose(1, 2)
    turn = acc3 & (gyro3 | ~chan[:, 3:].any(1))  # a whole triple (and no half gyro) can be turned
    x[..., :3] = torch.where(turn[:, None, None], racc, x[..., :3])
    x[..., 3:] = torch.where((turn & gyro3)[:, None, None], rgyr, x[..., 3:])
    x = x * (0.75 + 0.55 * torch.rand(b, 1, 1, generator=gen))
    x = x + 0.01 * torch.randn(x.shape, generator=gen)
    return x * chan[:, None, :].float()
