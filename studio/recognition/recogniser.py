"""Few-shot and zero-shot gesture recognition: fused evidence from the UniMotion encoder and a kernel model.

Each gesture class is its description plus its takes. Two sources score a window against every class
(:mod:`studio.recognition.sources`): the UniMotion encoder (text prior plus takes) and a MiniRocket-family
kernel model fitted on the takes. They are fused twice:

Which class. Each source's ranking scores (the encoder's score; the kernel model's ridge regression) are
z-scored over the classes (so sources on different scales weigh alike) and summed with weights ``a_s``:
    R_c(q) = sum_s a_s * (r_s,c(q) - mean_k r_s,k(q)) / std_k r_s,k(q)
The weights come from leave-one-out on the takes when every class has at least two: a source's weight is
``(LOO accuracy - chance)`` (at least ``MIN_WEIGHT``); otherwise the defaults (:data:`DEFAULT_WEIGHTS`).

Whether it is any class at all (rejection, "none of these"). For the winning class c each source's score
is placed between two levels kept per class and source: ``neg``, how ordinary movement scores (95th
percentile over calibration negatives: idle, fidgeting, walking...) and ``pos``, how genuine performances
score (the 10th percentile of leave-one-out scores of its takes; with fewer than two takes the model's
stored statistics stand in). The evidence
    A_c(q) = sum_s a_s * (s_c(q) - neg_s,c) / (pos_s,c - neg_s,c) / sum_s a_s
over the sources that separate the class's takes from ordinary movement (pos - neg >= MIN_SPAN) is 0 for
typical ordinary movement and 1 for a typical take; the window is accepted when
``A_c(q) >= 1 - sensitivity`` (sensitivity 0.5, the default, puts the line halfway).

A class without takes is recognised from its words alone (the encoder's text score). Enrolment embeds
the takes and refits the kernel model: no backbone training (:meth:`Recogniser.refine` does that).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field

import numpy as np

from studio.recognition.sources import (TEXT_PRIOR, EncoderClass, EncoderSource, KernelSource, kernel_input,
                                        ridge_dual, take_scores, unit)
from studio.signals.stream import CANONICAL_CHANNELS

SOURCES = ("encoder", "kernel")
DEFAULT_WEIGHTS = {"encoder": 1.0, "kernel": 1.0}
MIN_WEIGHT = 0.05
TEMPERATURE = 0.05  # softmax temperature over fused similarities for confidences
DEFAULT_POS = 0.5
DEFAULT_NEG = 0.2
POS_PERCENTILE = 10.0
MIN_SPAN = 0.05  # pos - neg at least this: a class whose takes score like ordinary movement is not sharpened
NEG_PERCENTILE = 95.0


@dataclass
class Prediction:
    """label None = rejected (none of these). scores: softmax probabilities per class; similarity: the
    best class's evidence A (1 = like its takes, 0 = like ordinary movement); threshold: the level it was
    compared with."""

    label: str | None
    confidence: float
    scores: dict[str, float]
    rejected: bool
    similarity: float = 0.0
    threshold: float = 0.0


@dataclass
class TakeVerdict:
    """What the recogniser makes of one take when that take is left out of its gesture (as a new
    performance would be judged live): ``predicted`` None = rejected; ``best`` the class ranked first."""

    gesture: str
    index: int
    best: str
    predicted: str | None
    evidence: float


@dataclass
class _Class:
    name: str
    text: str
    takes: list[np.ndarray]  # raw (T, C) as given
    rate_hz: float
    channels: tuple[str, ...]
    enc: EncoderClass
    kernel_in: list[np.ndarray] = field(default_factory=list)  # takes at the model rate, canonical order
    ker_raw: np.ndarray | None = None  # (n, F) raw kernel features (None: not computed yet)
    keys: list = field(default_factory=list)  # per take: content key of the embedding caches
    ker: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # (n, F) prior-centred unit
    ker_ridge: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # (n, F) ridge space
    pos: dict[str, float] = field(default_factory=dict)


class Recogniser:
    """Classes from text + takes; ``predict`` with calibrated rejection; optional ``refine``."""

    def __init__(self, model, sensitivity: float = 0.5, temperature: float = TEMPERATURE,
                 sources: tuple[str, ...] = SOURCES) -> None:
        unknown = set(sources) - set(SOURCES)
        if unknown or not sources:
            raise ValueError(f"sources must be a non-empty subset of {SOURCES}; got {sources}")
        self.sources = tuple(sources)
        self.model = model
        self.temperature = temperature
        self._sensitivity = float(np.clip(sensitivity, 0.0, 1.0))
        self._classes: dict[str, _Class] = {}
        self._encoder = EncoderSource(model)
        self._kernel = KernelSource(model.preset.pre) if "kernel" in self.sources else None
        self._dirty = False  # kernel features and leave-one-out statistics need recomputing
        self._ridge: tuple | None = None  # (take features (n, F), coef (n, K'), class columns (K',))
        self._take_cache: dict[tuple, tuple] = {}  # (encoder id, take key) -> (joint, feat, kernel input)
        self._kernel_cache: dict[tuple, np.ndarray] = {}  # (kernel fit, take key) -> raw kernel features
        self._kernel_fit = 0  # counts kernel refits (cached kernel features belong to one fit)
        self._neg_windows: tuple | None = None  # calibration negatives: (windows, rate, channels)
        self.offered_per_hour: float | None = None  # movements live segmentation offers per hour of them
        self._neg_emb: dict[str, object] = {}  # their encoder embeddings and raw kernel features
        self._neg: dict[str, dict[str, float]] = {}  # class -> source -> level
        self.weights = {s: w for s, w in DEFAULT_WEIGHTS.items() if s in self.sources}
        self.loo_accuracy: dict[str, float] = {}
        self.last_refine: dict = {}
        self.notices: list[str] = []  # takes set_class skipped, in plain words (the UI may show them)
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
            self._refresh()
            c = self._classes[name]
            return {"n_takes": len(c.takes), "from_text_only": not c.takes, "text": c.text,
                    "threshold": self.threshold, "pos": dict(c.pos), "neg": dict(self._neg.get(name, {}))}

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
        channels = tuple(channels)
        usable = []
        for i, t in enumerate(takes):
            problem = unusable_take(t, rate_hz, channels)
            if problem:
                self.notices.append(f"gesture {name!r} take {i + 1} skipped: {problem}")
            else:
                usable.append(t)
        takes = usable
        text_emb = self.model.embed_text([text or name])[0]
        keys = [_take_key(t, rate_hz, channels) for t in takes]
        with self._lock:
            encoder = self._encoder
            missing = [i for i, k in enumerate(keys) if (id(encoder.model), k) not in self._take_cache]
        if missing:  # a take seen before (the class re-set with one more take) is not embedded again
            joint, feat = encoder.embed([takes[i] for i in missing], rate_hz, channels)
            pre = self.model.preset.pre
            for j, i in enumerate(missing):
                self._take_cache[(id(encoder.model), keys[i])] = (joint[j], feat[j],
                                                                  kernel_input(takes[i], channels, rate_hz, pre))
        rows = [self._take_cache[(id(encoder.model), k)] for k in keys]
        joint = np.stack([r[0] for r in rows]) if rows else np.zeros((0, text_emb.shape[0]), np.float32)
        feat = np.stack([r[1] for r in rows]) if rows else np.zeros((0, self.model.preset.model.d_model), np.float32)
        c = _Class(name, text, takes, float(rate_hz), channels, EncoderClass(text_emb, joint, feat),
                   [r[2] for r in rows], keys=keys)
        with self._lock:
            self._classes[name] = c
            self._dirty = True
            self._prune_cache()

    def _prune_cache(self) -> None:
        """Keep cached embeddings of current takes only (so the cache never outgrows the gesture set)."""
        live = {k for c in self._classes.values() for k in c.keys}
        for key in [k for k in self._take_cache if k[1] not in live]:
            del self._take_cache[key]
        for key in [k for k in self._kernel_cache if k[1] not in live]:
            del self._kernel_cache[key]

    def remove_class(self, name: str) -> None:
        with self._lock:
            if self._classes.pop(name, None) is not None:
                self._dirty = True

    # -- scoring ------------------------------------------------------------------------------------------
    def _kernel_on(self) -> bool:
        return self._kernel is not None and any(c.takes for c in self._classes.values())

    def _refresh(self) -> None:
        """Bring the kernel features, leave-one-out weights and levels up to date after classes or
        negatives changed. Runs lazily, under the lock."""
        if not self._dirty:
            return
        if self._kernel_on():
            classes = [c for c in self._classes.values() if c.takes]
            n_takes = sum(len(c.takes) for c in classes)
            if self._kernel.needs_refit(n_takes):
                raw = self._kernel.fit([k for c in classes for k in c.kernel_in])
                self._kernel_fit += 1
                self._kernel_cache = {}
                start = 0
                for c in classes:
                    c.ker_raw, start = raw[start:start + len(c.takes)], start + len(c.takes)
                    for key, row in zip(c.keys, c.ker_raw):
                        self._kernel_cache[(self._kernel_fit, key)] = row
                self._neg_emb.pop("kernel", None)
            for c in classes:
                if c.ker_raw is None:
                    todo = [i for i, key in enumerate(c.keys) if (self._kernel_fit, key) not in self._kernel_cache]
                    if todo:
                        for i, row in zip(todo, self._kernel.raw([c.kernel_in[i] for i in todo])):
                            self._kernel_cache[(self._kernel_fit, c.keys[i])] = row
                    c.ker_raw = np.stack([self._kernel_cache[(self._kernel_fit, key)] for key in c.keys])
            self._kernel.set_statistics(np.concatenate([c.ker_raw for c in classes]))
            for c in classes:
                c.ker = self._kernel.prior_unit(c.ker_raw)
                c.ker_ridge = self._kernel.unit(c.ker_raw)
            names = list(self._classes)
            cols = np.array([names.index(c.name) for c in classes])
            z = np.concatenate([c.ker_ridge for c in classes])
            labels = np.concatenate([np.full(len(c.takes), i) for i, c in enumerate(classes)])
            coef, self._ridge_loo = ridge_dual(z, labels, len(classes))
            self._ridge = (z, coef, cols, labels)
        else:
            self._ridge = None
        self._leave_one_out()
        self._dirty = False
        self._neg_levels()

    def _source_scores(self, enc_emb, ker_raw) -> dict[str, np.ndarray]:
        """Per source, (m, K) absolute scores of windows against every class (NaN where a class has no
        takes for the kernel source). ``ker_raw``: raw kernel features of the windows."""
        names = list(self._classes)
        out = {}
        if enc_emb is not None:
            out["encoder"] = np.stack([self._encoder.score(enc_emb, self._classes[n].enc) for n in names], 1)
        if ker_raw is not None:
            ker_feat = self._kernel.prior_unit(ker_raw)
            ker = np.full((ker_feat.shape[0], len(names)), np.nan, np.float32)
            for k, n in enumerate(names):
                c = self._classes[n]
                if len(c.ker):
                    ker[:, k] = take_scores(ker_feat, c.ker)
            out["kernel"] = ker
        return out

    def _embed(self, windows, rate_hz: float, channels):
        enc = self._encoder.embed(windows, rate_hz, channels) if "encoder" in self.sources else None
        ker = None
        if self._kernel_on():
            pre = self.model.preset.pre
            ker = self._kernel.raw([kernel_input(w, channels, rate_hz, pre) for w in windows])
        return enc, ker

    def _rank(self, scores: dict[str, np.ndarray], ker_raw) -> dict[str, np.ndarray]:
        """Per source, (m, K) ranking scores: the kernel model's ridge regression (NaN for classes without
        takes), the encoder's own score."""
        out = dict(scores)
        if "kernel" in scores and self._ridge is not None and ker_raw is not None:
            z, coef, cols, _ = self._ridge
            ridge = np.full(scores["kernel"].shape, np.nan, np.float32)
            ridge[:, cols] = self._kernel.unit(ker_raw) @ z.T @ coef
            out["kernel"] = ridge
        return out

    def _fuse(self, ranks: dict[str, np.ndarray]) -> np.ndarray:
        """(m, K) fused ranking score R (module docstring)."""
        total = 0.0
        for s, v in ranks.items():
            ok = np.isfinite(v)
            k = ok.sum(axis=1, keepdims=True)
            mean = np.where(ok, v, 0).sum(1, keepdims=True) / np.maximum(k, 1)
            var = np.where(ok, (v - mean) ** 2, 0).sum(1, keepdims=True) / np.maximum(k, 1)
            z = np.where(ok, (v - mean) / np.sqrt(var + 1e-6), 0.0)
            total = total + self.weights.get(s, 0.0) * z
        return np.asarray(total)

    def _evidence(self, scores: dict[str, np.ndarray], k: int, name: str) -> np.ndarray:
        """(m,) evidence A of class ``name`` (column ``k``) for every window. A source whose typical take
        does not score clearly above ordinary movement for this class (pos - neg < MIN_SPAN: e.g. kernel
        features of a tap, which is mostly stillness) says nothing about rejection and is left out,
        unless no source separates (then all count, each span at least MIN_SPAN)."""
        c = self._classes[name]
        levels = {}
        for s, v in scores.items():
            if np.all(np.isfinite(v[:, k])):
                levels[s] = (self._pos(c, s), self._neg.get(name, {}).get(s, self._default_neg_level(s)))
        separating = {s: lv for s, lv in levels.items() if lv[0] - lv[1] >= MIN_SPAN}
        num, den = 0.0, 0.0
        for s, (pos, neg) in (separating or levels).items():
            w = self.weights.get(s, 0.0)
            num = num + w * (scores[s][:, k] - neg) / max(pos - neg, MIN_SPAN)
            den += w
        return np.asarray(num / max(den, 1e-9))

    def _pos(self, c: _Class, source: str) -> float:
        if source in c.pos:
            return c.pos[source]
        if source == "encoder":
            w = TEXT_PRIOR / (TEXT_PRIOR + len(c.takes))
            return w * self._default_text_pos + (1 - w) * self._default_feat_pos
        return 0.5

    def _default_neg_level(self, source: str) -> float:
        return self._default_neg if source == "encoder" else 0.0

    def _score_all(self, windows, rate_hz: float, channels):
        """(names, absolute source scores, fused R) for windows; caller holds the lock and refreshed."""
        enc, ker = self._embed(windows, rate_hz, channels)
        scores = self._source_scores(enc, ker)
        return list(self._classes), scores, self._fuse(self._rank(scores, ker))

    def leave_one_out(self) -> list[TakeVerdict]:
        """Every take of every class judged with itself left out of its class: the fused ranking and the
        evidence exactly as :meth:`predict` computes them (the kernel ridge in closed form). A class whose
        only take is left out keeps its description (text) score only."""
        with self._lock:
            self._refresh()
            names = list(self._classes)
            classes = [self._classes[n] for n in names]
            ridge_row = {}
            if self._ridge is not None:
                row = 0
                for c in classes:
                    if len(c.ker):
                        for i in range(len(c.takes)):
                            ridge_row[(c.name, i)] = row
                            row += 1
            out = []
            for ci, c in enumerate(classes):
                for i in range(len(c.takes)):
                    keep = np.arange(len(c.takes)) != i
                    scores = {}
                    if "encoder" in self.sources:
                        q = (c.enc.take_joint[i:i + 1], c.enc.take_feat[i:i + 1])
                        scores["encoder"] = np.array([[float(self._encoder.score(
                            q, o.enc, o.enc.take_feat[keep] if o is c else None)[0]) for o in classes]])
                    if self._ridge is not None and len(c.ker):
                        qk = c.ker[i:i + 1]
                        scores["kernel"] = np.array([[float(take_scores(qk, o.ker[keep] if o is c else o.ker)[0])
                                                      if len(o.ker) and (o is not c or keep.any()) else np.nan
                                                      for o in classes]])
                    ranks = dict(scores)
                    if "kernel" in scores:
                        ridge = np.full((1, len(names)), np.nan)
                        ridge[0, self._ridge[2]] = self._ridge_loo[ridge_row[(c.name, i)]]
                        ranks["kernel"] = ridge
                    fused = self._fuse(ranks)
                    best = int(np.argmax(fused[0])) if len(names) > 1 else 0
                    evidence = float(self._evidence(scores, best, names[best])[0])
                    accepted = evidence >= self.threshold
                    out.append(TakeVerdict(c.name, i, names[best], names[best] if accepted else None, evidence))
            return out

    # -- leave-one-out and calibration -----------------------------------------------------------------
    def _leave_one_out(self) -> None:
        """Per class and source, the 10th percentile of its takes' scores with each take left out (pos);
        per source, leave-one-out accuracy (the fusion weights, when every class has >= 2 takes)."""
        names = list(self._classes)
        classes = [self._classes[n] for n in names]
        for c in classes:
            c.pos = {}
        correct = {s: [] for s in SOURCES}
        every_class_two = len(classes) >= 2 and all(len(c.takes) >= 2 for c in classes)
        for ci, c in enumerate(classes):
            if len(c.takes) < 2:
                continue
            own = {s: [] for s in SOURCES}
            for i in range(len(c.takes)):
                keep = np.arange(len(c.takes)) != i
                q_enc = (c.enc.take_joint[i:i + 1], c.enc.take_feat[i:i + 1])
                enc = [self._encoder.score(q_enc, o.enc, o.enc.take_feat[keep] if o is c else None)
                       for o in classes]
                own["encoder"].append(float(enc[ci][0]))
                if every_class_two:
                    correct["encoder"].append(int(np.argmax([e[0] for e in enc])) == ci)
                if len(c.ker):
                    q = c.ker[i:i + 1]
                    own["kernel"].append(float(take_scores(q, c.ker[keep])[0]))
            c.pos = {s: float(np.percentile(v, POS_PERCENTILE)) for s, v in own.items() if v}
        if every_class_two and self._ridge is not None:  # the ridge's own leave-one-out, in closed form
            labels = self._ridge[3]
            correct["kernel"] = list(self._ridge_loo.argmax(1) == labels)
        self.loo_accuracy = {s: float(np.mean(v)) for s, v in correct.items() if v and s in self.sources}
        self.weights = {s: w for s, w in DEFAULT_WEIGHTS.items() if s in self.sources}
        if every_class_two and self.loo_accuracy:
            chance = 1.0 / len(classes)
            for s, acc in self.loo_accuracy.items():
                self.weights[s] = max(MIN_WEIGHT, acc - chance)

    def calibrate(self, negatives, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS,
                  offered_per_hour: float | None = None) -> None:
        """Learn what ordinary movement (not a gesture) looks like from ``negatives`` (list of (T, C)).
        ``offered_per_hour``: how many movements live segmentation offers the recogniser per hour of that
        movement, for :meth:`false_triggers_per_hour`."""
        negatives = [np.asarray(n, np.float32) for n in negatives]
        with self._lock:
            self.offered_per_hour = offered_per_hour if negatives else None
            self._neg_windows = (negatives, float(rate_hz), tuple(channels)) if negatives else None
            self._neg_emb = {}
            self._dirty = True
            self._refresh()

    def _neg_levels(self) -> None:
        self._neg = {}
        if self._neg_windows is None or not self._classes:
            return
        windows, rate, channels = self._neg_windows
        if "encoder" in self.sources and "encoder" not in self._neg_emb:
            self._neg_emb["encoder"] = self._encoder.embed(windows, rate, channels)
        ker = None
        if self._kernel_on():
            if "kernel" not in self._neg_emb:
                pre = self.model.preset.pre
                self._neg_emb["kernel"] = self._kernel.raw([kernel_input(w, channels, rate, pre) for w in windows])
            ker = self._neg_emb["kernel"]
        scores = self._source_scores(self._neg_emb.get("encoder"), ker)
        for k, n in enumerate(self._classes):
            self._neg[n] = {s: float(np.percentile(v[:, k], NEG_PERCENTILE)) for s, v in scores.items()
                            if np.all(np.isfinite(v[:, k]))}

    def negative_evidence(self) -> np.ndarray:
        """Evidence A of every calibration negative for the class it ranks first: what live recognition
        compares with the threshold (empty without negatives or classes)."""
        with self._lock:
            self._refresh()
            if self._neg_windows is None or not self._classes or not self._neg_emb:
                return np.zeros(0)
            ker = self._neg_emb.get("kernel")
            scores = self._source_scores(self._neg_emb.get("encoder"), ker)
            fused = self._fuse(self._rank(scores, ker))
            names = list(self._classes)
            best = fused.argmax(1) if len(names) > 1 else np.zeros(len(fused), int)
            out = np.empty(len(fused))
            for k in set(best.tolist()):
                rows = best == k
                out[rows] = self._evidence({s: v[rows] for s, v in scores.items()}, k, names[k])
            return out

    def false_triggers_per_hour(self, sensitivity: float | None = None) -> float | None:
        """Expected false triggers per hour of the calibration movement at ``sensitivity`` (default: the
        current one): movements offered per hour times the share of the negatives that would be accepted.
        None when the calibration does not say how many movements it offers."""
        rate = self.offered_per_hour
        evidence = self.negative_evidence() if rate is not None else np.zeros(0)
        if rate is None or not evidence.size:
            return None
        s = self._sensitivity if sensitivity is None else float(np.clip(sensitivity, 0.0, 1.0))
        return float(rate * np.mean(evidence >= 1.0 - s))

    @property
    def calibrated(self) -> bool:
        return self._neg_windows is not None

    def calibrate_default(self, seed: int = 0) -> None:
        """Calibrate on ordinary movement when the user has recorded none: generated (holding still,
        fidgeting, walking) and real (BasicMotions' train part), cut as live segmentation cuts it
        (:func:`studio.recognition.negatives.default_negatives`)."""
        from studio.recognition.negatives import RATE, default_negatives, default_offered_per_hour

        self.calibrate(default_negatives(seed), RATE, offered_per_hour=default_offered_per_hour(seed))

    # -- thresholds ---------------------------------------------------------------------------------------
    @property
    def sensitivity(self) -> float:
        return self._sensitivity

    @sensitivity.setter
    def sensitivity(self, value: float) -> None:
        self._sensitivity = float(np.clip(value, 0.0, 1.0))

    @property
    def threshold(self) -> float:
        """Evidence a window needs to be accepted: 0 = like ordinary movement, 1 = like the takes."""
        return 1.0 - self._sensitivity

    # -- inference -------------------------------------------------------------------------------------
    def similarities(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> dict[str, float]:
        """Evidence A per class for ``window`` (T, C): 1 = scores like the class's takes, 0 = like
        ordinary movement."""
        with self._lock:
            self._refresh()
            names, scores, _ = self._score_all([np.asarray(window, np.float32)], rate_hz, channels)
            return {n: float(self._evidence(scores, k, n)[0]) for k, n in enumerate(names)}

    def similarities_many(self, windows, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> list[dict[str, float]]:
        """:meth:`similarities` of several windows (a list of (T, C)) in one batch, equal to scoring them one
        by one; the live spotter scores overlapping windows this way in a fast replay."""
        windows = [np.asarray(w, np.float32) for w in windows]
        if not windows:
            return []
        with self._lock:
            self._refresh()
            names, scores, _ = self._score_all(windows, rate_hz, channels)
            columns = {n: self._evidence(scores, k, n) for k, n in enumerate(names)}
        return [{n: float(v[i]) for n, v in columns.items()} for i in range(len(windows))]

    def rank(self, windows, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> tuple[list[str], np.ndarray]:
        """(class names, (m, K) fused ranking scores R) for many windows at once (evaluation)."""
        with self._lock:
            self._refresh()
            names, _, fused = self._score_all([np.asarray(w, np.float32) for w in windows], rate_hz, channels)
            return names, fused

    def scores(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> dict[str, float]:
        """Softmax over the fused ranking scores: a probability per class."""
        return self.predict(window, rate_hz, channels).scores

    def predict(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> Prediction:
        """Best class by the fused ranking, or label None when its evidence is below the threshold."""
        window = np.asarray(window, np.float32)
        if window.size == 0 or not np.isfinite(window).any():
            return Prediction(None, 0.0, {}, True)  # a gap in the stream is not a gesture
        with self._lock:
            self._refresh()
            if not self._classes:
                return Prediction(None, 0.0, {}, True)
            names, scores, fused = self._score_all([window], rate_hz, channels)
            best = int(np.argmax(fused[0])) if len(names) > 1 else 0
            evidence = float(self._evidence(scores, best, names[best])[0])
        v = fused[0] / max(self.temperature * 20.0, 1e-6)
        p = np.exp(v - v.max())
        probs = dict(zip(names, (p / p.sum()).tolist()))
        rejected = evidence < self.threshold
        return Prediction(None if rejected else names[best], float(probs[names[best]]), probs, bool(rejected),
                          evidence, self.threshold)

    # -- unlabelled takes -------------------------------------------------------------------------------
    def adapt(self, unlabeled, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS, rounds: int = 2) -> int:
        """Self-training on takes nobody labelled: each round, every class with takes adopts as many of the
        unlabelled windows as it has takes, those it ranks first with the widest margin over the runner-up
        (a window adopted once is not offered again). Returns how many were adopted. Used when a set comes
        with a few labelled takes and many unlabelled ones (``studio evaluate``'s label-fraction setting)."""
        pool = [np.asarray(u, np.float32) for u in unlabeled]
        adopted = 0
        for _ in range(max(0, rounds)):
            with self._lock:
                self._refresh()
                names = list(self._classes)
                if len(names) < 2 or not pool:
                    break
                _, _, fused = self._score_all(pool, rate_hz, channels)
            top = np.sort(fused, axis=1)
            margin = top[:, -1] - top[:, -2]
            best = fused.argmax(1)
            taken: set[int] = set()
            for k, name in enumerate(names):
                c = self._classes[name]
                if not c.takes:
                    continue
                mine = np.flatnonzero(best == k)
                pick = mine[np.argsort(-margin[mine])][: len(c.takes)]
                if len(pick):
                    self.set_class(name, c.text, c.takes + [pool[i] for i in pick], c.rate_hz, c.channels)
                    taken.update(int(i) for i in pick)
            adopted += len(taken)
            pool = [w for i, w in enumerate(pool) if i not in taken]
        return adopted

    # -- refinement --------------------------------------------------------------------------------------
    def refine(self, on_progress=None, should_stop=None, seed: int = 0, config=None, epochs: int | None = None) -> bool:
        """Fine-tune the encoder's last block on the takes (:mod:`studio.model.finetune`) and keep it only if
        it does not lose accuracy on takes it did not see: first fine-tune on half of each class's takes
        and compare the encoder's accuracy on the other half before and after; only if it holds, fine-tune
        on all takes and use that encoder. Returns True when the refined encoder is in use; False if
        cancelled, if there is nothing to learn (< 2 classes with takes, no class with 2 takes) or if it
        did not help (then the previous state is kept). ``last_refine`` says what happened."""
        from studio.model.finetune import FinetuneConfig, finetune, split_half
        from studio.model.motion_model import MotionModel

        cfg = config or FinetuneConfig()
        if epochs is not None:
            cfg = dataclasses.replace(cfg, steps=int(epochs))
        with self._lock:
            sets = [(list(c.takes), c.rate_hz, c.channels) for c in self._classes.values() if c.takes]
            texts = [c.enc.text_emb for c in self._classes.values() if c.takes]
        base = self._encoder.model
        if callable(getattr(base, "torch_model", None)):  # the ONNX inference model: fine-tune its torch twin
            base = base.torch_model()
        if getattr(base, "net", None) is None:
            self.last_refine = {"kept": False, "reason": "this model cannot be fine-tuned (no torch weights)"}
            return False
        self.last_refine = {"kept": False, "reason": "needs two gestures with takes, one of them with two"}
        if len(sets) < 2 or all(len(t) < 2 for t, _, _ in sets):
            return False
        enrol, held = split_half(sets, np.random.default_rng(seed))
        progress = (lambda lo: (lambda f: on_progress(lo + 0.5 * f))) if on_progress else (lambda lo: None)
        net = finetune(base, enrol, cfg, seed, progress(0.0), should_stop)
        if net is None:
            self.last_refine["reason"] = "cancelled"
            return False
        trial = MotionModel(net, base.preset, base.meta, base.text_encoder)
        before = _held_out_accuracy(base, enrol, held, texts)
        after = _held_out_accuracy(trial, enrol, held, texts)
        self.last_refine = {"kept": False, "held_out_before": before, "held_out_after": after,
                            "reason": "held-out accuracy dropped"}
        if after < before:
            return False
        net = finetune(base, sets, cfg, seed, progress(0.5), should_stop)
        if net is None:
            self.last_refine["reason"] = "cancelled"
            return False
        self._use_encoder(MotionModel(net, base.preset, base.meta, base.text_encoder))
        self.last_refine.update(kept=True, reason="held-out accuracy did not drop")
        return True

    def _use_encoder(self, model) -> None:
        """Switch the encoder source to ``model`` and re-embed every take and the negatives."""
        with self._lock:
            self._encoder = EncoderSource(model)
            self._take_cache = {k: v for k, v in self._take_cache.items() if k[0] == id(model)}
            for c in self._classes.values():
                if c.takes:
                    c.enc.take_joint, c.enc.take_feat = self._encoder.embed(c.takes, c.rate_hz, c.channels)
                    for key, j, f, k_in in zip(c.keys, c.enc.take_joint, c.enc.take_feat, c.kernel_in):
                        self._take_cache[(id(model), key)] = (j, f, k_in)
            self._neg_emb.pop("encoder", None)
            self._dirty = True

    @property
    def refined(self) -> bool:
        return self._encoder.model is not self.model

    def reset_refinement(self) -> None:
        """Back to the pre-trained encoder."""
        if self.refined:
            self._use_encoder(self.model)


def unusable_take(take: np.ndarray, rate_hz: float, channels: tuple[str, ...]) -> str:
    """Why recognition cannot use a take ("" when it can): shape, channel count, values, rate, length."""
    if take.ndim != 2 or take.shape[1] != len(channels):
        return f"it has shape {take.shape}, expected (samples, {len(channels)})"
    if not np.isfinite(take).all():
        return "its samples are not all finite numbers"
    if not np.isfinite(rate_hz) or not (rate_hz == 0.0 or 1.0 <= rate_hz <= 10_000.0):  # 0: unknown, the model's
        return f"its sample rate {rate_hz!r} Hz is outside 1–10000 Hz"
    if take.shape[0] < 2:
        return f"it is too short ({take.shape[0]} sample)"
    return ""


def _take_key(take: np.ndarray, rate_hz: float, channels: tuple[str, ...]) -> bytes:
    """A take's identity for the embedding caches: its samples, shape, rate and channels."""
    import hashlib

    digest = hashlib.blake2b(np.ascontiguousarray(take).tobytes(), digest_size=16)
    digest.update(repr((take.shape, float(rate_hz), channels)).encode())
    return digest.digest()


def _held_out_accuracy(model, enrol, held, texts) -> float:
    """Encoder-source accuracy on the held-out takes, classes built from the enrol halves and their texts."""
    source = EncoderSource(model)
    classes = []
    for (takes, rate, channels), text in zip(enrol, texts):
        joint, feat = source.embed(takes, rate, channels)
        classes.append(EncoderClass(text, joint, feat))
    right, total = 0, 0
    for k, (takes, rate, channels) in enumerate(held):
        if not takes:
            continue
        emb = source.embed(takes, rate, channels)
        scores = np.stack([source.score(emb, c) for c in classes], axis=1)
        right += int((scores.argmax(1) == k).sum())
        total += len(takes)
    return right / max(total, 1)


__all__ = ["Prediction", "Recogniser", "unit"]
