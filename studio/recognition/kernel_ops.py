"""Numpy building blocks of :mod:`studio.recognition.kernels` (MiniRocket): constants, the dilation and
quantile schedules as aeon has them, input preparation, the convolution of a batch and PPV counting."""

from __future__ import annotations

import math
import threading
from itertools import combinations

import numpy as np

N_BASE_KERNELS = 84
KERNEL_LENGTH = 9
INDICES = np.array(list(combinations(range(KERNEL_LENGTH), 3)), np.int32)  # (84, 3): taps weighted 2
WEIGHTS = np.full((N_BASE_KERNELS, KERNEL_LENGTH), -1.0, np.float32)
WEIGHTS[np.arange(N_BASE_KERNELS)[:, None], INDICES] = 2.0
OFF_CENTRE = np.array([0, 1, 2, 3, 5, 6, 7, 8])  # the taps other than the centre one
_MAX_LANE_COUNT = 255  # a byte lane of a uint64 sum holds at most 255 ones
WIDTH = 88  # the 84 kernels plus 4 idle ones: a row of booleans is eleven 8-byte words


def fit_dilations(reference_length: int, n_features: int, max_dilations_per_kernel: int) -> tuple[np.ndarray, np.ndarray]:
    """Dilations and features per dilation for series of ``reference_length`` samples (aeon's ``_fit_dilations``)."""
    n_features_per_kernel = max(1, n_features // N_BASE_KERNELS)
    true_max = min(n_features_per_kernel, max_dilations_per_kernel)
    multiplier = n_features_per_kernel / true_max
    max_exponent = np.log2((max(reference_length, KERNEL_LENGTH) - 1) / (KERNEL_LENGTH - 1))
    dilations, counts = np.unique(np.logspace(0, max_exponent, true_max, base=2).astype(np.int32),
                                  return_counts=True)
    per_dilation = (counts * multiplier).astype(np.int32)
    remainder = n_features_per_kernel - int(per_dilation.sum())
    i = 0
    while remainder > 0:
        per_dilation[i] += 1
        remainder -= 1
        i = (i + 1) % len(per_dilation)
    return dilations.astype(np.int32), per_dilation


def quantiles(n: int) -> np.ndarray:
    """The first ``n`` fractional parts of multiples of the golden ratio (MiniRocket's bias quantiles)."""
    return ((np.arange(1, n + 1, dtype=np.float64) * ((np.sqrt(5) + 1) / 2)) % 1).astype(np.float32)


def _ffill_nan(x: np.ndarray) -> np.ndarray:
    """Replace NaNs in each column by the column's last finite value (its first one before that); an
    all-NaN column becomes 0."""
    bad = ~np.isfinite(x)
    if not bad.any():
        return x
    x = x.copy()
    rows = np.where(bad, 0, np.arange(len(x))[:, None])
    np.maximum.accumulate(rows, axis=0, out=rows)
    filled = x[rows, np.arange(x.shape[1])]
    first = np.argmax(~bad, axis=0)  # leading NaNs take the first finite value
    lead = np.arange(len(x))[:, None] < first[None, :]
    filled = np.where(lead, x[first, np.arange(x.shape[1])], filled)
    filled[:, bad.all(axis=0)] = 0.0
    return filled


def prepare_series(x, n_channels: int | None = None) -> np.ndarray:
    """One series as float32 (T, C) without padding or NaNs (see the module doc); ValueError in plain words."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"a series must be (samples, channels); got an array of shape {x.shape}")
    if n_channels is not None and x.shape[1] != n_channels:
        raise ValueError(f"a series has {x.shape[1]} channels; these kernel features were fitted on {n_channels}")
    finite_rows = np.isfinite(x).any(axis=1)
    if not finite_rows.any():
        raise ValueError("a series has no samples (empty, or every value missing)")
    x = x[: int(np.nonzero(finite_rows)[0][-1]) + 1]
    return np.ascontiguousarray(_ffill_nan(x))


def znorm(x: np.ndarray) -> np.ndarray:
    """Each channel of (T, C) to mean 0 and standard deviation 1 (a flat channel is only centred)."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    return ((x - mean) / np.where(std > 1e-8, std, 1.0)).astype(np.float32)


def lerp_quantile(sorted_rows: np.ndarray, n_valid: np.ndarray, q: np.ndarray) -> np.ndarray:
    """numpy's "linear" quantile of each row's first ``n_valid`` sorted values, at that row's fractions ``q``.

    sorted_rows (R, L); n_valid (R,); q (R, f) -> (R, f).
    """
    pos = q.astype(np.float64) * (n_valid[:, None] - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n_valid[:, None] - 1)
    t = pos - lo
    rows = np.arange(len(sorted_rows))[:, None]
    a = sorted_rows[rows, lo].astype(np.float64)
    b = sorted_rows[rows, hi].astype(np.float64)
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t).astype(np.float32)


_LOCAL = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """A reused per-thread buffer: fresh multi-megabyte arrays cost more in page faults than the work.

    The view for a (name, shape, dtype) is kept too: a window of the same length asks again and again."""
    views = _LOCAL.__dict__.setdefault("views", {})
    key = (name, shape, dtype)
    view = views.get(key)
    if view is not None:
        return view
    buffers = _LOCAL.__dict__.setdefault("buffers", {})
    size = math.prod(shape) * np.dtype(dtype).itemsize
    buf = buffers.get(name)
    if buf is None or buf.nbytes < size:
        buf = buffers[name] = np.empty(max(size, 1), np.uint8)
        views.clear()  # views of the old buffer must not be handed out again
    if len(views) > 256:  # many different lengths seen: start over rather than grow
        views.clear()
    view = views[key] = buf[:size].view(dtype).reshape(shape)
    return view


def count_true(cmp: np.ndarray) -> np.ndarray:
    """(n, L, f, 88) bool -> (n, f, 88) int32: how many True along L.

    A row of 88 booleans is 11 uint64 words whose byte lanes count one column each: rows are added as
    words, L-blocks of at most 255 so that no lane overflows, then the lanes are unpacked.
    """
    n, length, f, width = cmp.shape
    words = cmp.view(np.uint64)  # (n, L, f, 11)
    full = (length // _MAX_LANE_COUNT) * _MAX_LANE_COUNT
    parts = []
    if full:
        blocks = words[:, :full].reshape(n, full // _MAX_LANE_COUNT, _MAX_LANE_COUNT, f, width // 8)
        parts.append(blocks.sum(axis=2, dtype=np.uint64))
    if full < length:
        parts.append(words[:, full:].sum(axis=1, dtype=np.uint64)[:, None])
    lanes = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)  # (n, blocks, f, 11)
    return lanes.view(np.uint8).sum(axis=1, dtype=np.int32)


def convolve(weights: np.ndarray, dilations: np.ndarray, xs: list[np.ndarray], lengths: np.ndarray):
    """Yield, per dilation, every kernel's "same" output on a batch: (n, L8, 88), L8 the longest length
    padded to a multiple of 8, zeros beyond each series (MiniRocket's own padding).

    ``weights`` (n_dilations, 8 C, 88): the off-centre taps' weights per channel, kernels in columns. The
    weights sum to zero, so each output is the sum over the eight off-centre taps of weight x (tap - centre):
    a constant stretch (a device at rest) gives exactly 0 whatever the rounding, where the plain sum leaves
    rounding residue whose sign the PPV would count.
    """
    n, c = len(xs), xs[0].shape[1]
    length = int(math.ceil(max(lengths) / 8) * 8)
    reach = 4 * int(dilations.max())
    padded = scratch("padded", (c, n, length + 2 * reach), np.float32)
    padded.fill(0.0)
    for i, x in enumerate(xs):
        padded[:, i, reach: reach + len(x)] = x.T
    centre = padded[None, :, :, reach: reach + length]
    sc, sn, st = padded.strides
    cols = scratch("cols", (2, 4, c, n, length), np.float32)
    out = scratch("conv", (n * length, WIDTH), np.float32)
    for j, d in enumerate(dilations):
        d = int(d)
        for side, first in enumerate((reach - 4 * d, reach + d)):  # taps 0-3, then taps 5-8
            taps = np.ndarray((4, c, n, length), np.float32, buffer=padded, offset=first * st,
                              strides=(d * st, sc, sn, st))  # four taps, d samples apart, no copy
            np.subtract(taps, centre, out=cols[side])
        np.matmul(cols.reshape(len(OFF_CENTRE) * c, n * length).T, weights[j], out=out)
        yield out.reshape(n, length, WIDTH)
