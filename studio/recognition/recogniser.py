"""Few-shot and zero-shot gesture recognition on top of a pre-trained :class:`MotionModel`.

A class is a *prototype* in the joint motion-text space: the normalised fusion of its description's text
embedding and the mean embedding of its takes, ``p = norm(w * text + (1 - w) * norm(mean(takes)))`` with
``w = TEXT_PRIOR / (TEXT_PRIOR + n_takes)``. With no takes the class is recognised from words alone
(zero-shot); each take moves the prototype towards how this person performs it. Adding a class only
embeds its takes (no backbone training), so it takes well under a second once MiniLM is loaded.

Rejection ("none of these", open set). For each class c two similarity levels are kept:
  * pos_c, how similar genuine performances are to the class: the 10th percentile of *leave-one-out*
    similarities of its takes to the prototype built without them (>= 2 takes); with fewer takes, the
    model's calibration statistic for gestures vs their own description (stored with the weights);
  * neg_c, how similar ordinary movement is: the 95th percentile of the similarity of calibration
    negatives (idle, fidgeting, walking; from :meth:`calibrate`, else generated idle motion) to p_c.
The threshold is ``thr_c = neg_c + (1 - sensitivity) * (pos_c - neg_c)``: sensitivity 1 fires on anything
more gesture-like than 95 % of ordinary movement, 0 only on what is as close as the class's own takes, and
0.5 (default) halfway. A window is rejected when its best class's similarity is below that class's thr_c.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from studio.signals.stream import CANONICAL_CHANNELS

TEXT_PRIOR = 1.0  # the description counts as this many takes
TEMPERATURE = 0.05  # softmax temperature over cosine similarities for confidences
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
    text_emb: np.ndarray
    takes: list[np.ndarray]
    take_emb: np.ndarray  # (n, E) backbone embeddings, before the adapter
    rate_hz: float
    channels: tuple[str, ...]
    proto: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
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
        self._neg_emb: np.ndarray | None = None
        self._adapter: np.ndarray | None = None  # (E, E) residual linear map from refine()
        self._lock = threading.RLock()
        cal = (getattr(model, "meta", None) or {}).get("calibration", {})
        self._default_pos = float(cal.get("gesture_text_sim_p10", DEFAULT_POS))
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
                    "threshold": self._threshold(c), "pos": c.pos, "neg": self._neg(c)}

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
        take_emb = (self.model.embed(takes, channels=tuple(channels), rate_hz=rate_hz) if takes
                    else np.zeros((0, text_emb.shape[0]), np.float32))
        c = _Class(name, text, text_emb, takes, take_emb, float(rate_hz), tuple(channels))
        with self._lock:
            self._classes[name] = c
            self._update(c)

    def remove_class(self, name: str) -> None:
        with self._lock:
            self._classes.pop(name, None)

    # -- prototypes and thresholds ----------------------------------------------------------------------
    def _adapt(self, emb: np.ndarray) -> np.ndarray:
        if self._adapter is None or emb.size == 0:
            return emb
        return _norm(emb + emb @ self._adapter)

    def _proto(self, text_emb: np.ndarray, take_emb: np.ndarray) -> np.ndarray:
        n = take_emb.shape[0]
        if n == 0:
            return _norm(text_emb)
        w = TEXT_PRIOR / (TEXT_PRIOR + n)
        return _norm(w * text_emb + (1 - w) * _norm(take_emb.mean(0)))

    def _update(self, c: _Class) -> None:
        emb = self._adapt(c.take_emb)
        c.proto = self._proto(c.text_emb, emb)
        if emb.shape[0] >= 2:
            loo = [float(emb[i] @ self._proto(c.text_emb, np.delete(emb, i, 0))) for i in range(emb.shape[0])]
            c.pos = float(np.percentile(loo, 10))
        elif emb.shape[0] == 1:
            c.pos = max(self._default_pos, float(emb[0] @ c.proto) - 0.15)
        else:
            c.pos = self._default_pos

    def _neg(self, c: _Class) -> float:
        if self._neg_emb is None or self._neg_emb.shape[0] == 0:
            return self._default_neg
        return float(np.percentile(self._adapt(self._neg_emb) @ c.proto, 95))

    def _threshold(self, c: _Class) -> float:
        neg = self._neg(c)
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
        emb = self.model.embed(negatives, channels=tuple(channels), rate_hz=rate_hz) if negatives else None
        with self._lock:
            self._neg_emb = emb

    def calibrate_default(self, n: int = 40, seed: int = 0) -> None:
        """Calibrate on generated ordinary movement (idle, fidgeting, sway) when the user has none."""
        from studio import synth

        rng = np.random.default_rng(seed)
        self.calibrate([synth.render_idle(rng, self.model.window_s + 0.5) for _ in range(n)], 100.0)

    # -- inference -------------------------------------------------------------------------------------
    def similarities(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> dict[str, float]:
        """Cosine similarity of ``window`` (T, C) to each class prototype."""
        emb = self._adapt(self.model.embed([np.asarray(window, np.float32)], channels=tuple(channels),
                                           rate_hz=rate_hz))[0]
        with self._lock:
            return {name: float(emb @ c.proto) for name, c in self._classes.items()}

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
        """Fit a small residual linear adapter on the takes (plus ``views`` augmented copies of each: rotation,
        scale, time-warp, noise) so they classify to their own prototypes. Returns False if cancelled
        (``should_stop()`` true) or there is nothing to learn (< 2 classes with takes); then the previous
        state is kept."""
        from studio.model.adapter import fit_adapter

        with self._lock:
            classes = [c for c in self._classes.values() if c.takes]
            all_classes = list(self._classes.values())
        if len(classes) < 2:
            return False
        adapter = fit_adapter(self.model, classes, all_classes, epochs=epochs, views=views,
                              on_progress=on_progress, should_stop=should_stop, seed=seed,
                              temperature=self.temperature, text_prior=TEXT_PRIOR)
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
