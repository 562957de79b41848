"""MiniRocket features (Dempster, Schmidt & Webb, KDD 2021) for variable-length multichannel takes, in numpy.

The transform follows aeon's multivariate ``MiniRocket`` (``aeon.transformations.collection.convolution_based``)
exactly: the 84 fixed length-9 kernels (weight -1 everywhere, 2 at three of the nine taps), dilations and
features per dilation from the reference length, a random channel combination per (dilation, kernel), biases
from quantiles (golden-ratio sequence) of one random reference series' convolution output, and PPV features
(proportion of positive values), on zero-padded ("same") output for half the kernels and on the part where
the kernel fits inside the series ("valid") for the other half, alternating by kernel and dilation.
``tests/test_kernels.py`` fits aeon's MiniRocket, copies its parameters into :class:`MiniRocketFeatures`
(:meth:`MiniRocketFeatures.from_parameters`) and checks that both transforms agree: exactly where float32
sums are exact (values on a power-of-two grid, as sensor counts are), and elsewhere up to rounding ties (a
sample whose convolution lies within rounding distance of a bias, counted by one side and not the other).

What differs from aeon, because takes are 0.3-8 s long and not padded to one length:
  * Each PPV is taken over the series' own samples only; zeros beyond its end are MiniRocket's zero padding,
    so a series padded with a valid mask gives the same features as the series alone. A "valid" kernel
    whose span (8 x dilation + 1) is longer than the series has no valid positions: it falls back to the
    "same" output over the series' samples.
  * The reference length (which sets the dilations) is the longest fit series, or ``KernelConfig.reference_length``.
    Shorter and longer series go through the same dilations.
  * Biases come from the fit series' own samples (aeon: from every sample of an equal-length array).
  * Channels: the channel count is fixed at fit. In a series, trailing rows that are all NaN are padding
    (dropped), a NaN inside a channel holds the channel's last value, and a channel that is all NaN is
    absent: it is 0 and drops out of every channel sum, so its kernels see the remaining channels.
  * Arithmetic: each output is summed as weight x (tap - centre), so a constant stretch (a device at rest)
    gives exactly 0; aeon sums -x nine times plus 3x three times in float32 and keeps a rounding residue
    there, whose sign its PPV counts (on the Wiimote sets a quarter of aeon's features differ for this).
  * ``scaling``: "none" (raw values, as MiniRocket and aeon), "channels" (each channel divided by the power of
    two nearest its standard deviation over all fit samples, so that g and deg/s weigh alike in a channel
    sum while offsets such as gravity stay), or "series" (each series z-normalised per channel).

The computation (numpy only; no numba, no torch; building blocks in :mod:`studio.recognition.kernel_ops`):
per dilation the eight off-centre shifted copies minus the centre sample are stacked (im2col) and one matrix
product with the 84 kernels' channel-masked weights gives every kernel's output (the weights sum to zero, so
this is MiniRocket's convolution, and a device at rest gives exact zeros); PPVs are counted by comparing each
kernel output with its biases and summing the booleans eight bytes at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from studio.recognition.kernel_ops import (KERNEL_LENGTH, N_BASE_KERNELS, OFF_CENTRE, WEIGHTS, WIDTH, convolve,
                                           count_true, fit_dilations, lerp_quantile, prepare_series, quantiles,
                                           scratch, znorm)

__all__ = ["KERNEL_LENGTH", "N_BASE_KERNELS", "OFF_CENTRE", "WEIGHTS", "SCALINGS", "KernelConfig",
           "MiniRocketFeatures", "fit_dilations", "prepare_series", "quantiles"]

SCALINGS = ("none", "channels", "series")
CHUNK_COLUMNS = 2048  # padded samples per matrix product (series x length): keeps the work in cache


@dataclass(frozen=True)
class KernelConfig:
    """Settings of :class:`MiniRocketFeatures`.

    ``n_features``: PPV features, rounded down to a multiple of 84 (at least 84), as aeon's ``n_kernels``.
    ``max_dilations_per_kernel``: as aeon. ``reference_length``: samples the dilations are sized for
    (None = the longest fit series; at least 9). ``scaling``: "none", "channels" or "series" (module doc).
    """

    n_features: int = 10_000
    max_dilations_per_kernel: int = 32
    reference_length: int | None = None
    scaling: str = "none"

    def __post_init__(self) -> None:
        if self.n_features < 1:
            raise ValueError(f"n_features must be >= 1, got {self.n_features}")
        if self.max_dilations_per_kernel < 1:
            raise ValueError(f"max_dilations_per_kernel must be >= 1, got {self.max_dilations_per_kernel}")
        if self.reference_length is not None and self.reference_length < 1:
            raise ValueError(f"reference_length must be >= 1 sample, got {self.reference_length}")
        if self.scaling not in SCALINGS:
            raise ValueError(f"scaling must be one of {', '.join(SCALINGS)}; got {self.scaling!r}")


class MiniRocketFeatures:
    """MiniRocket for lists of (T_i, C) series of any lengths: ``fit``, ``transform`` -> (n, F) float32.

    Fitted state is plain arrays (``to_arrays`` / ``from_arrays``): no pickles. See the module doc.
    """

    def __init__(self, config: KernelConfig | None = None) -> None:
        self.config = config or KernelConfig()
        self.dilations = np.zeros(0, np.int32)
        self.n_features_per_dilation = np.zeros(0, np.int32)
        self.n_channels_per_combination = np.zeros(0, np.int32)
        self.channel_indices = np.zeros(0, np.int32)
        self.biases = np.zeros(0, np.float32)
        self.channel_scale = np.zeros(0, np.float32)
        self.n_channels = 0
        self.reference_length = 0

    # -- fitted structure ------------------------------------------------------------------------------
    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` (or a loader) has run."""
        return self.n_channels > 0 and len(self.biases) > 0

    @property
    def n_features_out(self) -> int:
        """F, the number of features :meth:`transform` returns."""
        return N_BASE_KERNELS * int(self.n_features_per_dilation.sum())

    @property
    def feature_quantiles(self) -> np.ndarray:
        """(F,) the quantile each feature's bias was taken at: about 1 - q of a reference series' values
        exceed it, so 1 - q is a data-free expectation of the feature."""
        return quantiles(self.n_features_out)

    def channel_masks(self) -> np.ndarray:
        """(n_dilations * 84, C) 0/1: which channels each (dilation, kernel) combination sums."""
        starts = np.concatenate([[0], np.cumsum(self.n_channels_per_combination)])
        mask = np.zeros((len(self.n_channels_per_combination), self.n_channels), np.float32)
        rows = np.repeat(np.arange(len(self.n_channels_per_combination)), self.n_channels_per_combination)
        mask[rows, self.channel_indices[: starts[-1]]] = 1.0
        return mask

    def _build(self) -> None:
        """Derived arrays: per dilation the (84, 9 * C) weights with channel masks, and the biases (84, f)."""
        nd, c = len(self.dilations), self.n_channels
        if len(self.n_channels_per_combination) != nd * N_BASE_KERNELS:
            raise ValueError("n_channels_per_combination must hold one count per (dilation, kernel)")
        if int(self.n_channels_per_combination.sum()) != len(self.channel_indices):
            raise ValueError("channel_indices must list n_channels_per_combination.sum() channels")
        if len(self.channel_indices) and (self.channel_indices.min() < 0 or self.channel_indices.max() >= c):
            raise ValueError(f"channel_indices must lie in 0..{c - 1}")
        if len(self.biases) != self.n_features_out:
            raise ValueError(f"{len(self.biases)} biases for {self.n_features_out} features")
        masks = self.channel_masks().reshape(nd, N_BASE_KERNELS, 1, c)
        # rows: the eight off-centre taps x channels (the centre tap drops out, see _convolve); columns: kernels
        w = (WEIGHTS[None, :, :, None] * masks)[:, :, OFF_CENTRE]  # (nd, 84, 8, C)
        weights = np.zeros((nd, len(OFF_CENTRE) * c, WIDTH), np.float32)
        weights[:, :, :N_BASE_KERNELS] = w.reshape(nd, N_BASE_KERNELS, len(OFF_CENTRE) * c).transpose(0, 2, 1)
        self._weights = weights
        self._offsets = np.concatenate([[0], np.cumsum(N_BASE_KERNELS * self.n_features_per_dilation)])
        self._biases = []  # per dilation (f, 88); the idle kernels' +inf never counts
        for j in range(nd):
            b = np.full((int(self.n_features_per_dilation[j]), WIDTH), np.inf, np.float32)
            b[:, :N_BASE_KERNELS] = self.biases[self._offsets[j]: self._offsets[j + 1]].reshape(N_BASE_KERNELS, -1).T
            self._biases.append(b)
        # per feature: half the kernel span, and whether it is a "valid" one (odd dilation + kernel index)
        j_of = np.repeat(np.arange(nd), N_BASE_KERNELS * self.n_features_per_dilation)
        k_of = np.concatenate([np.repeat(np.arange(N_BASE_KERNELS), f) for f in self.n_features_per_dilation])
        self._feature_half = 4 * self.dilations[j_of].astype(np.int64)
        self._feature_valid = (j_of + k_of) % 2 == 1

    # -- fit --------------------------------------------------------------------------------------------
    def fit(self, series: list[np.ndarray], seed: int = 0) -> "MiniRocketFeatures":
        """Fit dilations, channel combinations and biases on ``series`` (a list of (T_i, C) arrays)."""
        if len(series) == 0:
            raise ValueError("fitting kernel features needs at least one series")
        first = prepare_series(series[0])
        xs = [first] + [prepare_series(s, first.shape[1]) for s in series[1:]]
        cfg = self.config
        rng = np.random.default_rng(seed)
        self.n_channels = c = first.shape[1]
        self.reference_length = max(KERNEL_LENGTH, cfg.reference_length or max(len(x) for x in xs))
        if cfg.scaling == "channels":  # a power of two: dividing by it is exact, so no rounding enters
            std = np.concatenate(xs).std(axis=0)
            self.channel_scale = np.where(std > 1e-8, 2.0 ** np.round(np.log2(np.maximum(std, 1e-8))), 1.0).astype(np.float32)
        else:
            self.channel_scale = np.ones(c, np.float32)
        self.dilations, self.n_features_per_dilation = fit_dilations(
            self.reference_length, cfg.n_features, cfg.max_dilations_per_kernel)
        n_comb = len(self.dilations) * N_BASE_KERNELS
        max_exponent = np.log2(min(c, 9) + 1)
        self.n_channels_per_combination = (2 ** rng.uniform(0, max_exponent, n_comb)).astype(np.int32)
        order = np.argsort(rng.random((n_comb, c)), axis=1)  # one random channel order per combination
        take = np.arange(c)[None, :] < self.n_channels_per_combination[:, None]
        self.channel_indices = order[take].astype(np.int32)
        self.biases = np.zeros(self.n_features_out, np.float32)
        self._build()
        source = rng.integers(len(xs), size=n_comb)  # the reference series of each combination's biases
        self.biases = self._fit_biases(self._scale(xs), source)
        self._build()
        return self

    def _fit_biases(self, xs: list[np.ndarray], source: np.ndarray) -> np.ndarray:
        q_all = quantiles(self.n_features_out)
        biases = np.zeros(self.n_features_out, np.float32)
        source = source.reshape(len(self.dilations), N_BASE_KERNELS)
        for chunk in self._chunks(xs):
            lengths = np.array([len(xs[i]) for i in chunk])
            for j, out in enumerate(self._convolve([xs[i] for i in chunk], lengths)):
                where = np.searchsorted(chunk, source[j])
                mine = np.nonzero((where < len(chunk)) & (chunk[np.minimum(where, len(chunk) - 1)] == source[j]))[0]
                if len(mine) == 0:
                    continue
                rows = out[where[mine], :, mine]  # (m, L): each kernel's output on its reference series
                n_valid = lengths[where[mine]]
                rows = np.where(np.arange(rows.shape[1])[None, :] < n_valid[:, None], rows, np.inf)
                f = int(self.n_features_per_dilation[j])
                feat = self._offsets[j] + mine[:, None] * f + np.arange(f)[None, :]
                biases[feat] = lerp_quantile(np.sort(rows, axis=1), n_valid, q_all[feat])
        return biases

    # -- transform --------------------------------------------------------------------------------------
    def transform(self, series: list[np.ndarray]) -> np.ndarray:
        """(n, F) float32 PPV features of ``series`` (a list of (T_i, C) arrays, any lengths >= 1)."""
        if not self.fitted:
            raise RuntimeError("MiniRocketFeatures.transform before fit")
        xs = self._scale([prepare_series(s, self.n_channels) for s in series])
        features = np.zeros((len(xs), self.n_features_out), np.float32)
        for chunk in self._chunks(xs):
            lengths = np.array([len(xs[i]) for i in chunk])
            features[chunk] = self._ppv([xs[i] for i in chunk], lengths)
        return features

    def fit_transform(self, series: list[np.ndarray], seed: int = 0) -> np.ndarray:
        """``fit(series, seed)`` then ``transform(series)``."""
        return self.fit(series, seed).transform(series)

    def _scale(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        if self.config.scaling == "series":
            return [znorm(x) for x in xs]
        if np.all(self.channel_scale == 1.0):
            return xs
        return [x / self.channel_scale for x in xs]

    def _chunks(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        """Index groups of similar length, each at most CHUNK_COLUMNS padded samples (one series at least)."""
        order = np.argsort([len(x) for x in xs], kind="stable")
        chunks, current, longest = [], [], 0
        for i in order:
            longest_if = max(longest, len(xs[i]))
            if current and (len(current) + 1) * longest_if > CHUNK_COLUMNS:
                chunks.append(np.sort(np.array(current)))
                current, longest_if = [], len(xs[i])
            current.append(i)
            longest = longest_if
        if current:
            chunks.append(np.sort(np.array(current)))
        return chunks

    def _convolve(self, xs: list[np.ndarray], lengths: np.ndarray):
        """Per dilation, every kernel's "same" output on a batch, (n, L8, 88): see :func:`convolve`."""
        return convolve(self._weights, self.dilations, xs, lengths)

    def _ppv(self, xs: list[np.ndarray], lengths: np.ndarray) -> np.ndarray:
        n = len(xs)
        positions = np.arange(int(math.ceil(max(lengths) / 8) * 8))[None, :, None]
        outside_same = positions >= lengths[:, None, None]  # (n, L8, 1)
        counts = np.empty((n, self.n_features_out), np.float32)
        for j, out in enumerate(self._convolve(xs, lengths)):
            half = 4 * int(self.dilations[j])
            has_valid = lengths > 2 * half
            valid = slice(1 - j % 2, None, 2)  # the kernels counted on "valid" positions
            if n <= 4:  # slicing is cheaper than a mask for a few series
                for i, t in enumerate(lengths):
                    out[i, t:] = -np.inf
                    if has_valid[i]:
                        out[i, :half, valid] = -np.inf
                        out[i, t - half: t, valid] = -np.inf
            else:
                outside_valid = (positions < half) | (positions >= lengths[:, None, None] - half)
                outside_valid = np.where(has_valid[:, None, None], outside_valid, outside_same)
                outside = np.broadcast_to(outside_same, out.shape).copy()
                outside[:, :, valid] = outside_valid
                np.copyto(out, -np.inf, where=outside)
            cmp = scratch("cmp", (n, out.shape[1], len(self._biases[j]), WIDTH), np.bool_)
            hits = count_true(np.greater(out[:, :, None, :], self._biases[j][None, None], out=cmp))  # (n, f, 88)
            counts[:, self._offsets[j]: self._offsets[j + 1]] = hits[:, :, :N_BASE_KERNELS].transpose(0, 2, 1).reshape(n, -1)
        spans = 2 * self._feature_half[None, :]
        valid = self._feature_valid[None, :] & (lengths[:, None] > spans)
        return counts / np.where(valid, lengths[:, None] - spans, lengths[:, None]).astype(np.float32)

    # -- storage ----------------------------------------------------------------------------------------
    def to_arrays(self) -> dict:
        """Fitted state as plain numpy arrays and JSON-able ints/strings (for npz, SQLite or ONNX initialisers)."""
        if not self.fitted:
            raise RuntimeError("MiniRocketFeatures.to_arrays before fit")
        return {
            "dilations": self.dilations.copy(),
            "n_features_per_dilation": self.n_features_per_dilation.copy(),
            "n_channels_per_combination": self.n_channels_per_combination.copy(),
            "channel_indices": self.channel_indices.copy(),
            "biases": self.biases.copy(),
            "channel_scale": self.channel_scale.copy(),
            "n_channels": int(self.n_channels),
            "reference_length": int(self.reference_length),
            "config_reference_length": int(self.config.reference_length or 0),  # 0: the longest fit series
            "n_features": int(self.config.n_features),
            "max_dilations_per_kernel": int(self.config.max_dilations_per_kernel),
            "scaling": self.config.scaling,
        }

    @classmethod
    def from_arrays(cls, arrays: dict) -> "MiniRocketFeatures":
        """Rebuild from :meth:`to_arrays` output (values may be 0-d arrays, as read back from an npz)."""
        try:
            config = KernelConfig(n_features=int(arrays["n_features"]),
                                  max_dilations_per_kernel=int(arrays["max_dilations_per_kernel"]),
                                  reference_length=int(arrays["config_reference_length"]) or None,
                                  scaling=str(arrays["scaling"]))
            out = cls.from_parameters(
                arrays["n_channels_per_combination"], arrays["channel_indices"], arrays["dilations"],
                arrays["n_features_per_dilation"], arrays["biases"], n_channels=int(arrays["n_channels"]),
                channel_scale=arrays["channel_scale"], config=config)
        except KeyError as exc:
            raise ValueError(f"stored kernel features lack {exc.args[0]!r}") from None
        out.reference_length = int(arrays["reference_length"])
        return out

    @classmethod
    def from_parameters(cls, n_channels_per_combination, channel_indices, dilations, n_features_per_dilation,
                        biases, n_channels: int, channel_scale=None,
                        config: KernelConfig | None = None) -> "MiniRocketFeatures":
        """Features with given parameters, in aeon's order (``MiniRocket().parameters`` after fit)."""
        out = cls(config)
        out.n_channels = int(n_channels)
        if out.n_channels < 1:
            raise ValueError("n_channels must be >= 1")
        out.dilations = np.asarray(dilations, np.int32).ravel()
        out.n_features_per_dilation = np.asarray(n_features_per_dilation, np.int32).ravel()
        if len(out.dilations) == 0 or len(out.dilations) != len(out.n_features_per_dilation) \
                or out.dilations.min() < 1 or out.n_features_per_dilation.min() < 1:
            raise ValueError("dilations and n_features_per_dilation must be equally long, positive, non-empty")
        out.n_channels_per_combination = np.asarray(n_channels_per_combination, np.int32).ravel()
        out.channel_indices = np.asarray(channel_indices, np.int32).ravel()
        out.biases = np.asarray(biases, np.float32).ravel()
        scale = np.ones(out.n_channels) if channel_scale is None else np.asarray(channel_scale, np.float32).ravel()
        if len(scale) != out.n_channels or not np.all(np.isfinite(scale) & (scale > 0)):
            raise ValueError("channel_scale must hold one positive number per channel")
        out.channel_scale = scale.astype(np.float32)
        out.reference_length = int(8 * out.dilations.max() + 1)
        out._build()
        return out
