"""The peers UniMotion is measured against, given exactly the same labelled takes.

- ``DTW1NN``: the classic gesture-studio recogniser (GRT, ESP, Wekinator): multivariate *dependent*
  DTW (one warping path for all channels, squared Euclidean point cost) inside a Sakoe-Chiba band,
  nearest template wins; series z-normalised per channel, or raw (GRT's default).
- ``MiniRocketPeer``: aeon's MiniRocket classifier (random convolution features + ridge).

Check against a published number: raw, full-window DTW-1NN on UCR AllGestureWiimoteX with the
archive's 300/700 split gives 72.6 % here; the UCR archive lists 71.6 % for DTW (full window).

Both take variable-length (T_i, C) series without padding; NaNs (missing samples or channels) are
handled here, not by the caller.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

try:
    from numba import njit
except ImportError:  # numba ships with aeon; without it DTW still runs, only slower
    def njit(*args, **kwargs):
        if args and callable(args[0]):
            return args[0]
        return lambda f: f


def znorm(x: np.ndarray) -> np.ndarray:
    """Z-normalise each channel of (T, C) over time; NaNs become 0 (the mean) after normalising.

    A flat channel (std ~ 0) is only centred, so a resting take does not explode into noise.
    """
    x = np.asarray(x, np.float64)
    if x.ndim == 1:
        x = x[:, None]
    with warnings.catch_warnings():  # an all-NaN (missing) channel is expected, not an accident
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=0) if x.size else np.zeros(x.shape[1])
        std = np.nanstd(x, axis=0) if x.size else np.ones(x.shape[1])
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-8), std, 1.0)
    return np.nan_to_num((x - mean) / std, nan=0.0)


@njit(cache=True)
def dtw_distance(a: np.ndarray, b: np.ndarray, band: int) -> float:
    """Dependent DTW between (n, C) and (m, C) with a Sakoe-Chiba ``band`` (in samples, < 0 = none).

    The band is widened to |n - m| so that two series of different length always have a path.
    Returns the accumulated squared Euclidean cost along the best path (inf for an empty series).
    """
    n, m = a.shape[0], b.shape[0]
    if n == 0 or m == 0:
        return math.inf
    w = max(n, m) if band < 0 else max(band, abs(n - m))
    prev = np.full(m + 1, math.inf)
    cur = np.full(m + 1, math.inf)
    prev[0] = 0.0
    for i in range(1, n + 1):
        cur[:] = math.inf
        lo = max(1, i - w)
        hi = min(m, i + w)
        for j in range(lo, hi + 1):
            cost = 0.0
            for c in range(a.shape[1]):
                d = a[i - 1, c] - b[j - 1, c]
                cost += d * d
            best = prev[j - 1]
            if prev[j] < best:
                best = prev[j]
            if cur[j - 1] < best:
                best = cur[j - 1]
            cur[j] = cost + best
        prev, cur = cur, prev
    return prev[m]


def _trim(x: np.ndarray) -> np.ndarray:
    """Drop rows that are all NaN at the end (padding)."""
    x = np.asarray(x, np.float64)
    if x.ndim == 1:
        x = x[:, None]
    finite = np.isfinite(x).any(axis=1)
    return x[: int(np.nonzero(finite)[0][-1]) + 1] if finite.any() else x[:0]


class DTW1NN:
    """1-nearest-neighbour under dependent DTW with a Sakoe-Chiba band.

    ``band`` is a fraction of the longer series' length. With ``normalise`` (default), templates
    and queries are z-normalised per channel; without, raw values are compared (NaNs as 0), which
    keeps offsets such as gravity — GRT's default (band 0.2, no z-normalisation).
    """

    name = "dtw_1nn"

    def __init__(self, band: float = 0.1, normalise: bool = True) -> None:
        if not 0.0 <= band <= 1.0:
            raise ValueError("band must be a fraction in [0, 1]")
        self.band = band
        self.normalise = normalise
        self._templates: list[np.ndarray] = []
        self._labels: list[str] = []

    def fit(self, takes: list[np.ndarray], labels: list[str]) -> "DTW1NN":
        if not takes or len(takes) != len(labels):
            raise ValueError("need at least one take and one label per take")
        self._templates = [self._prepare(t) for t in takes]
        self._labels = [str(v) for v in labels]
        return self

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        x = _trim(x)
        return znorm(x) if self.normalise else np.nan_to_num(x, nan=0.0)

    def distances(self, query: np.ndarray) -> np.ndarray:
        """DTW distance from ``query`` (T, C) to every template."""
        q = self._prepare(query)
        out = np.empty(len(self._templates))
        for k, t in enumerate(self._templates):
            band = int(math.ceil(self.band * max(len(q), len(t))))
            out[k] = dtw_distance(q, t, band)
        return out

    def predict(self, queries: list[np.ndarray]) -> list[str]:
        if not self._templates:
            raise RuntimeError("DTW1NN.predict before fit")
        return [self._labels[int(np.argmin(self.distances(q)))] for q in queries]


class MiniRocketPeer:
    """aeon's MiniRocketClassifier on series brought to one length.

    MiniRocket needs equal-length input: each series is (optionally) z-normalised per channel and
    zero-padded at the end to the longest length seen in fit (queries longer than that are
    truncated; at least 9 samples). Without ``normalise``, raw values go in (NaNs as 0).
    """

    name = "minirocket"

    def __init__(self, n_kernels: int = 10000, random_state: int = 0, normalise: bool = True) -> None:
        self.normalise = normalise
        self.n_kernels = n_kernels
        self.random_state = random_state
        self._clf = None
        self._single: str | None = None
        self._length = 0
        self._n_channels = 0

    def _stack(self, series: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(series), self._n_channels, self._length))
        for i, s in enumerate(series):
            z = _trim(s)
            z = (znorm(z) if self.normalise else np.nan_to_num(z, nan=0.0))[: self._length]
            out[i, :, : len(z)] = z.T
        return out

    def fit(self, takes: list[np.ndarray], labels: list[str]) -> "MiniRocketPeer":
        from aeon.classification.convolution_based import MiniRocketClassifier

        if not takes or len(takes) != len(labels):
            raise ValueError("need at least one take and one label per take")
        self._length = max(9, max(len(_trim(t)) for t in takes))
        self._n_channels = _trim(takes[0]).shape[1]
        self._clf = MiniRocketClassifier(n_kernels=self.n_kernels, n_jobs=1, random_state=self.random_state)
        labels = np.asarray([str(v) for v in labels])
        if len(set(labels.tolist())) < 2:  # ridge needs two classes; one class predicts itself
            self._single = str(labels[0])
            return self
        self._single = None
        self._clf.fit(self._stack(takes), labels)
        return self

    def predict(self, queries: list[np.ndarray]) -> list[str]:
        if self._clf is None:
            raise RuntimeError("MiniRocketPeer.predict before fit")
        if self._single is not None:
            return [self._single] * len(queries)
        return [str(v) for v in self._clf.predict(self._stack(queries))]
