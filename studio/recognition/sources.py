"""The two sources of evidence the recogniser fuses, each scoring windows against every class.

``EncoderSource`` (UniMotion): a class is its description and its takes. For a window q
    enc_c(q) = w_c * cos(joint(q), text_c) + (1 - w_c) * take_c(q),       w_c = TEXT_PRIOR / (TEXT_PRIOR + n_c)
    take_c(q) = MEAN_WEIGHT * cos(feat(q), mean_c) + (1 - MEAN_WEIGHT) * max_i cos(feat(q), feat_c,i)
with ``joint`` the motion-text space, ``feat`` the encoder's pooled features and n_c the number of takes.

``KernelSource`` (MiniRocket family, :mod:`studio.recognition.kernels`): random-convolution PPV features of
the takes at the model rate, fitted on the takes themselves, standardised with the takes' statistics and
scaled to unit length (z). Two scores:
    ker_c(q) = MEAN_WEIGHT * cos(z(q), mean_c) + (1 - MEAN_WEIGHT) * max_i cos(z(q), z_c,i)   (absolute)
    ridge_c(q) = z(q) . Z^T (Z Z^T + RIDGE_LAMBDA I)^-1 Y_c                                  (ranking)
with Z the takes' features and Y_c = +1 for the class's takes, -1 for the others (one-vs-rest ridge
regression in its dual form, as MiniRocket's classifier). A class without takes has no kernel score.

The absolute scores are cosine-like (at most 1); the recogniser calibrates them into one evidence per class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.model.preprocess import at_model_rate
from studio.signals.stream import CANONICAL_CHANNELS

TEXT_PRIOR = 0.25  # the description counts as this many takes
MEAN_WEIGHT = 0.5  # take score = half the class mean, half the nearest take
KERNEL_FEATURES = 4032  # MiniRocket PPV features (48 per base kernel)
KERNEL_STD_FLOOR = 0.02  # PPVs vary in [0, 1]: features that hardly vary among the takes are not amplified
RIDGE_LAMBDA = 0.1  # ridge penalty on unit-length kernel features (swept 0.01-1 on the sets' train parts)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def take_scores(q: np.ndarray, takes: np.ndarray) -> np.ndarray:
    """(m,) take score of unit rows ``q`` (m, D) against one class's unit takes (n, D), n >= 1."""
    proto = unit(takes.mean(0))
    return MEAN_WEIGHT * (q @ proto) + (1 - MEAN_WEIGHT) * (q @ takes.T).max(axis=1)


@dataclass
class EncoderClass:
    text_emb: np.ndarray  # (E,)
    take_joint: np.ndarray  # (n, E)
    take_feat: np.ndarray  # (n, D)


class EncoderSource:
    """UniMotion evidence: text prior plus takes (see the module docstring)."""

    def __init__(self, model) -> None:
        self.model = model

    def embed(self, windows, rate_hz: float, channels) -> tuple[np.ndarray, np.ndarray]:
        return self.model.embed_features(windows, channels=tuple(channels), rate_hz=rate_hz)

    @staticmethod
    def score(emb: tuple[np.ndarray, np.ndarray], c: EncoderClass, takes: np.ndarray | None = None) -> np.ndarray:
        """(m,) scores of embedded windows for class ``c`` (``takes``: features to use instead of c's)."""
        joint, feat = emb
        takes = c.take_feat if takes is None else takes
        text = joint @ c.text_emb
        if len(takes) == 0:
            return text
        w = TEXT_PRIOR / (TEXT_PRIOR + len(takes))
        return w * text + (1 - w) * take_scores(feat, takes)


def kernel_input(x: np.ndarray, channels, rate_hz: float, pre) -> np.ndarray:
    """(T, C) at any rate -> (T', 6) canonical order at the model rate, absent channels NaN."""
    xr, _ = at_model_rate(np.asarray(x, np.float32), tuple(channels), rate_hz, pre)
    return xr


class KernelSource:
    """MiniRocket-family evidence from the takes (see the module docstring).

    The kernels (dilations, biases) are fitted on the takes enrolled so far and refitted only when the
    number of takes has doubled since, so adding a take costs one transform, not a refit of every take
    (amortised O(1) per take). Feature statistics (mean, std) always come from all current takes."""

    def __init__(self, pre, n_features: int = KERNEL_FEATURES, seed: int = 0) -> None:
        from studio.recognition.kernels import KernelConfig, MiniRocketFeatures

        self.pre = pre
        self.seed = seed
        self.features = MiniRocketFeatures(KernelConfig(n_features=n_features, scaling="channels"))
        self.fitted_on = 0  # takes the kernels were fitted on (0 = not fitted)
        self.mean = np.zeros(0, np.float32)
        self.std = np.ones(0, np.float32)

    def needs_refit(self, n_takes: int) -> bool:
        return self.fitted_on == 0 or n_takes >= 2 * self.fitted_on

    def fit(self, takes: list[np.ndarray]) -> np.ndarray:
        """Fit the kernels on kernel inputs ``takes``; returns their raw features (n, F)."""
        self.fitted_on = len(takes)
        return self.features.fit_transform(takes, seed=self.seed)

    def raw(self, windows: list[np.ndarray]) -> np.ndarray:
        """(m, F) raw PPV features of kernel inputs ``windows``."""
        return self.features.transform(windows)

    def set_statistics(self, raw_takes: np.ndarray) -> None:
        self.mean = raw_takes.mean(0)
        self.std = np.maximum(raw_takes.std(0), KERNEL_STD_FLOOR) if len(raw_takes) > 1 else np.ones_like(self.mean)

    def unit(self, raw: np.ndarray) -> np.ndarray:
        """Standardised (with the takes' statistics), unit-length features: the ridge's space."""
        return unit((raw - self.mean) / self.std).astype(np.float32)

    def prior_unit(self, raw: np.ndarray) -> np.ndarray:
        """Features centred on their data-free expectation 1 - q and scaled by sqrt(q (1 - q)) (a feature's
        bias is the q-quantile of a reference series' convolution output), unit length: the space of the
        absolute similarity, which does not move when takes or classes are added."""
        q = self.features.feature_quantiles.astype(np.float64)
        return unit((raw - (1.0 - q)) / np.sqrt(np.maximum(q * (1.0 - q), 0.0025))).astype(np.float32)


def ridge_dual(z: np.ndarray, labels: np.ndarray, n_classes: int, lam: float = RIDGE_LAMBDA):
    """One-vs-rest ridge in dual form on unit rows ``z`` (n, F) with class indices ``labels`` (n,):
    returns (coef (n, K) so that scores = q @ z.T @ coef, leave-one-out scores (n, K))."""
    y = np.where(labels[:, None] == np.arange(n_classes)[None, :], 1.0, -1.0)
    k = z @ z.T
    inv = np.linalg.inv(k + lam * np.eye(len(k)))
    coef = inv @ y
    hat = k @ inv  # fitted = hat @ y; leave-one-out: (fitted_i - h_ii y_i) / (1 - h_ii)
    h = np.clip(np.diag(hat), None, 1 - 1e-6)[:, None]
    loo = (hat @ y - h * y) / (1 - h)
    return coef.astype(np.float32), loo
