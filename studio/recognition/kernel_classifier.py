"""A few-shot classifier on MiniRocket features: ridge class scores plus cosine similarities to the takes.

For the fused recogniser two kinds of score are needed:
  * relative (which class?): :meth:`KernelClassifier.decision_scores`, ridge regression of +-1 class
    targets on standardised features (as aeon's MiniRocketClassifier: scaling by the takes' standard
    deviation, ridge with an unpenalised intercept, the penalty chosen by exact leave-one-out error from
    ``alphas``), solved in closed form in the dual (n takes << F features: an n x n eigendecomposition);
  * absolute (is it any class at all?): :meth:`KernelClassifier.similarities`, cosine similarity of a
    window to each class's mean take ("centroid") and to its nearest take, in a feature space centred on
    each feature's data-free expectation 1 - q (its bias is the q-quantile of a reference series, so about
    1 - q of a similar series' values exceed it) and scaled by sqrt(q (1 - q)). That space does not depend
    on which takes or classes exist, so the similarity of a window to a class stays put when other
    classes are added, and a single class with a single take has a meaningful score.

``add_take`` transforms the new take and re-solves (milliseconds); the kernel biases stay as fitted
(``refit`` fits them again on all current takes).

Measured on the packaged real sets' TRAIN parts only (``python tools/kernel_study.py variants`` and
``rejection``, 3 seeds, 10 000 features, raw values): accuracy at 1/3/5 shots, mean over the sets with
queries left (5-shot: without PickupGestureWiimoteZ), ridge 50.1/61.7/63.6 %, centroid 50.0/57.1/53.7,
nearest 50.0/59.2/58.7, cosine 50.0/58.8/58.3, fused 51.0/61.9/62.5: hence ``decision="ridge"``. Scaling
"series" lost 1-6 points; "channels" equals "none" on one channel and lost 5 points at 1 shot on
BasicMotions' centroid and nearest cosines. For rejection (half the classes enrolled, AUROC of the best class
score, enrolled vs other classes) the prior-centred "nearest" score beats ridge in 12 of 14 set x shot
cells (not AllGestureWiimoteZ 1-shot, 0.516 vs 0.540; not PickupGestureWiimoteZ 3-shot, 0.704 vs 0.776),
e.g. 5 shots AllGestureWiimoteY 0.670 vs 0.602, BasicMotions 0.837 vs 0.633.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.recognition.kernels import KernelConfig, MiniRocketFeatures

DECISIONS = ("ridge", "centroid", "nearest", "cosine", "fused")
DEFAULT_ALPHAS = tuple(float(a) for a in np.logspace(-3, 3, 10))


@dataclass(frozen=True)
class KernelClassifierConfig:
    """``decision``: the score ``predict`` ranks classes by: "ridge", "centroid" (cosine to the class mean),
    "nearest" (cosine to the nearest take), "cosine" (mean of the two) or "fused" (ridge and "cosine"
    each z-scored over the classes, then averaged). ``alphas``: ridge penalties to choose from."""

    features: KernelConfig = field(default_factory=KernelConfig)
    decision: str = "ridge"
    alphas: tuple[float, ...] = DEFAULT_ALPHAS
    seed: int = 0

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}; got {self.decision!r}")
        if not self.alphas or min(self.alphas) <= 0:
            raise ValueError("alphas must be a non-empty list of positive penalties")


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _zscore_rows(s: np.ndarray) -> np.ndarray:
    return (s - s.mean(axis=1, keepdims=True)) / np.maximum(s.std(axis=1, keepdims=True), 1e-12)


class KernelClassifier:
    """Few-shot classes (1-10 takes each) on :class:`MiniRocketFeatures`; see the module doc."""

    def __init__(self, config: KernelClassifierConfig | None = None) -> None:
        self.config = config or KernelClassifierConfig()
        self.features = MiniRocketFeatures(self.config.features)
        self.classes: list[str] = []
        self._takes: list[np.ndarray] = []
        self._labels: list[str] = []
        self._z = np.zeros((0, 0), np.float32)  # (n, F) raw features of the takes
        self.alpha = 0.0

    @property
    def n_takes(self) -> int:
        """Takes enrolled, all classes together."""
        return len(self._labels)

    # -- enrolment -------------------------------------------------------------------------------------
    def fit(self, takes: list[np.ndarray], labels: list[str]) -> "KernelClassifier":
        """Fit the kernel features on ``takes`` and the class scores on takes + ``labels``."""
        if len(takes) == 0 or len(takes) != len(labels):
            raise ValueError("need at least one take, and one label per take")
        self._takes = list(takes)
        self._labels = [str(v) for v in labels]
        self._z = self.features.fit_transform(self._takes, seed=self.config.seed)
        q = self.features.feature_quantiles.astype(np.float64)
        self._prior_mean = (1.0 - q).astype(np.float32)
        self._prior_scale = np.sqrt(np.maximum(q * (1.0 - q), 0.0025)).astype(np.float32)
        self._take_unit = self._unit_prior(self._z)
        self._solve()
        return self

    def refit(self) -> "KernelClassifier":
        """Fit the kernel biases again on every current take (after many ``add_take`` calls)."""
        return self.fit(self._takes, self._labels)

    def add_take(self, take: np.ndarray, label: str) -> None:
        """Enrol one more take (a new label adds a class); the kernel features stay as fitted."""
        if not self.features.fitted:
            self.fit([take], [label])
            return
        z = self.features.transform([take])
        self._takes.append(take)
        self._labels.append(str(label))
        self._z = np.concatenate([self._z, z])
        self._take_unit = np.concatenate([self._take_unit, self._unit_prior(z)])
        self._solve()

    def remove_class(self, label: str) -> None:
        """Forget a class and its takes (the kernel features stay as fitted)."""
        keep = [i for i, lab in enumerate(self._labels) if lab != label]
        if len(keep) == len(self._labels):
            raise KeyError(f"no class {label!r}")
        self._takes = [self._takes[i] for i in keep]
        self._labels = [self._labels[i] for i in keep]
        self._z = self._z[keep]
        self._take_unit = self._take_unit[keep]
        if keep:
            self._solve()
        else:
            self.classes = []

    # -- the two score spaces --------------------------------------------------------------------------
    def _unit_prior(self, z: np.ndarray) -> np.ndarray:
        """Features centred on their data-free expectation 1 - q, scaled by sqrt(q (1 - q)), unit length."""
        return _unit((np.asarray(z, np.float32) - self._prior_mean) / self._prior_scale)

    def _solve(self) -> None:
        self.classes = list(dict.fromkeys(self._labels))
        labels = np.array([self.classes.index(lab) for lab in self._labels])
        # ridge space: standardised by the takes (a constant feature keeps scale 1, as scikit-learn)
        self._mean = self._z.mean(axis=0, dtype=np.float64)
        std = self._z.std(axis=0, dtype=np.float64)
        self._scale = np.where(std > 1e-12, std, 1.0)
        zs = (self._z - self._mean) / self._scale  # (n, F) float64
        targets = np.where(labels[:, None] == np.arange(len(self.classes))[None, :], 1.0, -1.0)
        self._target_mean = targets.mean(axis=0)
        dual, self.alpha = self._ridge_dual(zs @ zs.T, targets - self._target_mean)
        self._coef = zs.T @ dual  # (F, K)
        # similarity space: the takes' prior-centred unit vectors, kept as they were enrolled
        u = self._take_unit
        self._take_class = labels
        self._centroids = _unit(np.stack([u[labels == k].mean(axis=0) for k in range(len(self.classes))]))

    def _ridge_dual(self, gram: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, float]:
        """Dual coefficients (n, K) of centred ridge, the penalty picked by exact leave-one-out error."""
        n = len(gram)
        eigval, eigvec = np.linalg.eigh(gram)
        eigval = np.maximum(eigval, 0.0)
        proj = eigvec.T @ targets
        best = None
        for alpha in self.config.alphas:
            shrink = eigval / (eigval + alpha)
            # hat matrix of ridge with an unpenalised intercept on centred data: 1 1^T / n + G (G + a)^-1
            hat_diag = (eigvec ** 2) @ shrink + 1.0 / n
            fitted = eigvec @ (shrink[:, None] * proj)
            residual = (targets - fitted) / np.maximum(1.0 - hat_diag, 1e-12)[:, None]
            error = float(np.mean(residual ** 2))
            if best is None or error < best[0] - 1e-12:
                best = (error, alpha)
        alpha = best[1]
        dual = eigvec @ (proj / (eigval + alpha)[:, None])
        return dual, alpha

    def _check(self) -> None:
        if not self.classes:
            raise RuntimeError("KernelClassifier used before any take was enrolled")

    def transform(self, series: list[np.ndarray]) -> np.ndarray:
        """The kernel features of ``series``, (n, F); pass them to the ``*_from_features`` methods to
        score the same windows several ways without transforming twice."""
        return self.features.transform(series)

    def decision_scores(self, series: list[np.ndarray]) -> np.ndarray:
        """(n, K) ridge class scores, columns in ``classes`` order (higher = more that class; about +1 for
        a class's own takes, -1 for others). With a single class every window scores 1: use
        :meth:`similarities` for an absolute score."""
        self._check()
        return self.decision_from_features(self.transform(series))

    def decision_from_features(self, z: np.ndarray) -> np.ndarray:
        """:meth:`decision_scores` from features already computed by :meth:`transform`."""
        self._check()
        zs = (np.asarray(z, np.float64) - self._mean) / self._scale
        return (zs @ self._coef + self._target_mean).astype(np.float32)

    def similarities(self, series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(centroid, nearest), each (n, K) cosine similarities in [-1, 1]: to the class's mean take, and
        to its nearest take (see the module doc for the space)."""
        self._check()
        return self.similarities_from_features(self.transform(series))

    def similarities_from_features(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`similarities` from features already computed by :meth:`transform`."""
        self._check()
        u = self._unit_prior(z)
        centroid = u @ self._centroids.T
        per_take = u @ self._take_unit.T  # (n, takes)
        nearest = np.full((len(u), len(self.classes)), -1.0)
        for k in range(len(self.classes)):
            nearest[:, k] = per_take[:, self._take_class == k].max(axis=1)
        return centroid.astype(np.float32), nearest.astype(np.float32)

    def scores_from_features(self, z: np.ndarray, decision: str | None = None) -> np.ndarray:
        """(n, K) scores of one of the ``DECISIONS`` (default: the configured one)."""
        decision = decision or self.config.decision
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}; got {decision!r}")
        if decision == "ridge":
            return self.decision_from_features(z)
        centroid, nearest = self.similarities_from_features(z)
        if decision == "centroid":
            return centroid
        if decision == "nearest":
            return nearest
        cosine = 0.5 * (centroid + nearest)
        if decision == "cosine" or len(self.classes) < 2:
            return cosine
        return 0.5 * (_zscore_rows(self.decision_from_features(z)) + _zscore_rows(cosine))

    def predict(self, series: list[np.ndarray]) -> list[str]:
        """The best class of each window by the configured ``decision``."""
        self._check()
        if len(series) == 0:
            return []
        scores = self.scores_from_features(self.transform(series))
        return [self.classes[int(k)] for k in np.argmax(scores, axis=1)]
