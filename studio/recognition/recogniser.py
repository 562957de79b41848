"""Few-shot and zero-shot gesture recognition on top of a pre-trained :class:`MotionModel`.

A class fuses its description and its takes. Its score for a window q is
    s_c(q) = w * cos(joint(q), text_c) + (1 - w) * take_c(q),   w = TEXT_PRIOR / (TEXT_PRIOR + n)
    take_c(q) = MEAN_WEIGHT * cos(feat(q), mean_feat_c) + (1 - MEAN_WEIGHT) * max_i cos(feat(q), feat_c,i)
where ``joint`` is the motion-text space (for the description), ``feat`` the encoder's general movement
features (for comparing with the takes; measured better for take-to-take comparison than the joint space)
and n the number of takes. The take score blends the class mean (robust to one odd take) with the nearest
take (a class performed in several distinct ways, e.g. by different people, is not one blob). With no
takes the class is recognised from words alone (zero-shot); each take moves the score towards how this
person performs it. Adding a class only embeds its takes (no backbone
training): well under a second once MiniLM is loaded (:meth:`MotionModel.warm_up`).

Rejection ("none of these", open set). For each class c two score levels are kept:
  * pos_c, how genuine performances score: the 10th percentile of *leave-one-out* scores of its takes
    (each take against the class built without it; >= 2 takes). With one take or none, the model's
    calibration statistics stand in (how similar two performances of a generated gesture are, and how
    similar gestures are to their own description; stored with the weights);
  * neg_c, how ordinary movement scores: the 95th percentile of the scores of calibration negatives
    (idle, fidgeting, walking; from :meth:`calibrate` / :meth:`calibrate_default`).
The threshold is ``thr_c = neg_c + (1 - sensitivity) * (pos_c - neg_c)``: sensitivity 1 fires on anything
scoring above 95 % of ordinary movement, 0 only on what scores like the class's own takes, and 0.5
(default) halfway. A window is rejected when its best class's score is below that class's threshold.
Before any calibration neg_c falls back to the model's stored idle statistic.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from studio.signals.stream import CANONICAL_CHANNELS

TEXT_PRIOR = 0.25  # the description counts as this many takes (swept 1, 0.5, 0.25, 0 on the real sets:
# 0.25 kept zero-shot and gave the best few-shot mean; e.g. BasicMotions 1-shot 62.5 % at 1.0 -> 74.2 %)
TEMPERATURE = 0.05  # softmax temperature over cosine similarities for confidences
MEAN_WEIGHT = 0.5  # take score = half the class mean, half the nearest take. `studio evaluate`, 10 draws,
# plain/refine, 5-shot, mean only (1.0) -> 0.5: AllGestureWiimoteX 31.1/39.7 -> 35.1/41.1, Y 34.0/42.9 ->
# 36.7/44.2, Z 31.1/39.4 -> 34.8/40.3, PickupWiimoteZ 46/74 -> 54/74, BasicMotions 99.5/98.2 -> 99.2/98.0
# (3-shot 98.8 -> 98.5: one window in 400). 0.3 gained a point more on the Wiimote sets without refine
# but lost more on BasicMotions and PickupWiimoteZ with it.
DEFAULT_POS = 0.5
DEFAULT_NEG = 0.2


@dataclass
class Prediction:
    """label None = rejected (none of these). scores: softmax probabilities per class; similarity: the
    best class's cosine similarity; threshold: the rejection threshold it was compared with."""

    label: str | None
    confidence: float
    scores: dict[str, float]
    rejected: bool
    similarity: float = 0.0
    threshold: float = 0.0


@dataclass
class _Class:
    name: str
    text: str
    text_emb: np.ndarray  # (E,) joint space
    takes: list[np.ndarray]
    take_emb: np.ndarray  # (n, E) joint-space embeddings of the takes
    take_feat: np.ndarray  # (n, D) encoder features of the takes, before the adapter
    rate_hz: float
    channels: tuple[str, ...]
    feat_proto: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    feat_takes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # adapted take_feat
    pos: float = DEFAULT_POS


def _norm(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


class Recogniser:
    """Classes from text + takes; ``predict`` with calibrated rejection; optional ``refine``."""

    def __init__(self, model, sensitivity: float = 0.5, temperature: float = TEMPERATURE) -> None:
        self.model = model
        self.temperature = temperature
        self._sensitivity = float(np.clip(sensitivity, 0.0, 1.0))
        self._classes: dict[str, _Class] = {}
        self._neg: tuple[np.ndarray, np.ndarray] | None = None  # (joint, feat) of calibration negatives
        self._adapter: np.ndarray | None = None  # (D, D) residual linear map on features, from refine()
        self._lock = threading.RLock()
        cal = (getattr(model, "meta", None) or {}).get("calibration", {})
        self._default_text_pos = float(cal.get("gesture_text_sim_p10", DEFAULT_POS))
        self._default_feat_pos = float(cal.get("feature_sim_p10", DEFAULT_POS))
        self._default_neg = float(cal.get("idle_text_sim_p95", DEFAULT_NEG))

    # -- classes -------------------------------------------------------------------------------------------
    @property
    def classes(self) -> list[str]:
        with self._lock:
            return list(self._classes)

    def class_info(self, name: str) -> dict:
        with self._lock:
            c = self._classes[name]
            return {"n_takes": len(c.takes), "from_text_only": not c.takes, "text": c.text,
                    "threshold": self._threshold(c), "pos": c.pos, "neg": self._neg_level(c)}

    def set_class(self, name: str, text: str, takes, rate_hz: float = 100.0,
                  channels=CANONICAL_CHANNELS) -> None:
        """Add or replace class ``name`` from its description and takes (list of (T, C) arrays, may be
        empty). Raises ValueError for an empty name or a class with neither text nor takes."""
        name = str(name).strip()
        if not name:
            raise ValueError("a gesture class needs a name")
        takes = [np.asarray(t, np.float32) for t in (takes or [])]
        text = str(text or "").strip()
        if not text and not takes:
            raise ValueError(f"class {name!r} needs a description or at least one take")
        text_emb = self.model.embed_text([text or name])[0]
        if takes:
            take_emb, take_feat = self.model.embed_features(takes, channels=tuple(channels), rate_hz=rate_hz)
        else:
            take_emb = np.zeros((0, text_emb.shape[0]), np.float32)
            take_feat = np.zeros((0, self.model.preset.model.d_model), np.float32)
        c = _Class(name, text, text_emb, takes, take_emb, take_feat, float(rate_hz), tuple(channels))
        with self._lock:
            self._classes[name] = c
            self._update(c)

    def remove_class(self, name: str) -> None:
        with self._lock:
            self._classes.pop(name, None)

    # -- prototypes and thresholds ----------------------------------------------------------------------
    def _adapt(self, feat: np.ndarray) -> np.ndarray:
        if self._adapter is None or feat.size == 0:
            return feat
        return _norm(feat + feat @ self._adapter)

    @staticmethod
    def _score(joint: np.ndarray, feat: np.ndarray, text_emb: np.ndarray, feat_proto: np.ndarray | None,
               feat_takes: np.ndarray | None) -> np.ndarray:
        """Fused class score of windows (joint (m, E), adapted feat (m, D)) -> (m,); ``feat_takes`` (n, D)
        are the class's adapted take features and ``feat_proto`` their normalised mean."""
        text_sim = joint @ text_emb
        if feat_proto is None or feat_takes is None or len(feat_takes) == 0:
            return text_sim
        n_takes = len(feat_takes)
        take_sim = MEAN_WEIGHT * (feat @ feat_proto) + (1 - MEAN_WEIGHT) * (feat @ feat_takes.T).max(axis=1)
        w = TEXT_PRIOR / (TEXT_PRIOR + n_takes)
        return w * text_sim + (1 - w) * take_sim

    def _update(self, c: _Class) -> None:
        feat = self._adapt(c.take_feat)
        n = feat.shape[0]
        c.feat_proto = _norm(feat.mean(0)) if n else np.zeros(0, np.float32)
        c.feat_takes = feat
        if n >= 2:
            loo = []
            for i in range(n):
                others = np.delete(feat, i, 0)
                loo.append(float(self._score(c.take_emb[i:i + 1], feat[i:i + 1], c.text_emb,
                                             _norm(others.mean(0)), others)[0]))
            c.pos = float(np.percentile(loo, 10))
        else:
            w = TEXT_PRIOR / (TEXT_PRIOR + n)
            c.pos = w * self._default_text_pos + (1 - w) * self._default_feat_pos

    def _class_scores(self, joint: np.ndarray, feat: np.ndarray, c: _Class) -> np.ndarray:
        if not c.takes:
            return self._score(joint, feat, c.text_emb, None, None)
        return self._score(joint, feat, c.text_emb, c.feat_proto, c.feat_takes)

    def _neg_level(self, c: _Class) -> float:
        if self._neg is None or self._neg[0].shape[0] == 0:
            return self._default_neg
        joint, feat = self._neg
        return float(np.percentile(self._class_scores(joint, self._adapt(feat), c), 95))

    def _threshold(self, c: _Class) -> float:
        neg = self._neg_level(c)
        return neg + (1.0 - self._sensitivity) * (c.pos - neg)

    @property
    def sensitivity(self) -> float:
        return self._sensitivity

    @sensitivity.setter
    def sensitivity(self, value: float) -> None:
        self._sensitivity = float(np.clip(value, 0.0, 1.0))

    def calibrate(self, negatives, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> None:
        """Learn what ordinary movement (not a gesture) looks like from ``negatives`` (list of (T, C))."""
        negatives = [np.asarray(n, np.float32) for n in negatives]
        neg = self.model.embed_features(negatives, channels=tuple(channels), rate_hz=rate_hz) if negatives else None
        with self._lock:
            self._neg = neg

    @property
    def calibrated(self) -> bool:
        return self._neg is not None

    def calibrate_default(self, n: int = 40, seed: int = 0) -> None:
        """Calibrate on generated ordinary movement (idle, fidgeting, sway) when the user has none."""
        from studio import synth

        rng = np.random.default_rng(seed)
        self.calibrate([synth.render_idle(rng, self.model.window_s + 0.5) for _ in range(n)], 100.0)

    # -- inference -------------------------------------------------------------------------------------
    def similarities(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> dict[str, float]:
        """Fused score (see the module docstring; cosine-like, at most 1) of ``window`` (T, C) per class."""
        joint, feat = self.model.embed_features([np.asarray(window, np.float32)], channels=tuple(channels),
                                                rate_hz=rate_hz)
        feat = self._adapt(feat)
        with self._lock:
            return {name: float(self._class_scores(joint, feat, c)[0]) for name, c in self._classes.items()}

    def scores(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> dict[str, float]:
        """Softmax (temperature 0.05) over cosine similarities: a probability per class."""
        return self._softmax(self.similarities(window, rate_hz, channels))

    def _softmax(self, sims: dict[str, float]) -> dict[str, float]:
        if not sims:
            return {}
        v = np.array(list(sims.values())) / self.temperature
        p = np.exp(v - v.max())
        return dict(zip(sims, (p / p.sum()).tolist()))

    def predict(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> Prediction:
        """Best class, or label None when rejected (see the module docstring for the threshold)."""
        window = np.asarray(window, np.float32)
        if window.size == 0 or not np.isfinite(window).any():
            return Prediction(None, 0.0, {}, True)  # a gap in the stream is not a gesture
        sims = self.similarities(window, rate_hz, channels)
        if not sims:
            return Prediction(None, 0.0, {}, True)
        probs = self._softmax(sims)
        best = max(sims, key=sims.get)
        with self._lock:
            c = self._classes.get(best)
            thr = self._threshold(c) if c is not None else 1.0
        rejected = sims[best] < thr
        return Prediction(None if rejected else best, float(probs[best]), probs, bool(rejected),
                          float(sims[best]), float(thr))

    # -- refinement --------------------------------------------------------------------------------------
    def refine(self, epochs: int = 60, views: int = 8, on_progress=None, should_stop=None, seed: int = 0) -> bool:
        """Fit a small residual linear adapter on the takes' features (plus ``views`` augmented copies of each:
        rotation, scale, time-warp, noise) so they classify to their own class. Returns False if cancelled
        (``should_stop()`` true) or there is nothing to learn (< 2 classes with takes); then the previous
        state is kept."""
        from studio.model.adapter import fit_adapter

        with self._lock:
            classes = [c for c in self._classes.values() if c.takes]
        if len(classes) < 2:
            return False
        adapter = fit_adapter(self.model, classes, epochs=epochs, views=views, on_progress=on_progress,
                              should_stop=should_stop, seed=seed, temperature=self.temperature)
        if adapter is None:
            return False
        with self._lock:
            self._adapter = adapter
            for c in self._classes.values():
                self._update(c)
        return True

    def reset_refinement(self) -> None:
        with self._lock:
            self._adapter = None
            for c in self._classes.values():
                self._update(c)
