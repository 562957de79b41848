"""Quality feedback on a gesture set, from take embeddings (Qt-free, numpy only).

Each take comes with its joint motion-text embedding and its encoder features (``MotionModel.
embed_features``); each gesture optionally with its description's text embedding. Scores are the
recogniser's own (its constants are imported, so the estimate cannot drift from what runs live): a window
q scores ``w * cos(joint(q), text_c) + (1 - w) * take_c(q)`` against gesture c with n takes, where
``take_c`` blends the cosine to the takes' mean and to the nearest take, ``w = TEXT_PRIOR / (TEXT_PRIOR +
n)`` (``w = 1`` with no takes, ``w = 0`` with no description). With the recogniser's per-gesture
thresholds, a take whose best score is below its threshold counts as *not recognised*, as it would be
live (an estimate that ignored rejection said 100 % where live recognition got 83 %).
From these, what the quality panel shows:

* **consistency** per take: cosine similarity of its features to the mean of its gesture's *other* takes,
  in [0, 1]. A take far from its siblings was probably performed differently (or is a mistake);
* a **leave-one-out confusion matrix**: every take scored against all gestures, its own rebuilt without
  it, so it estimates live accuracy on new takes; with thresholds, a last column counts the takes
  that would not be recognised at all. When the live recogniser's own leave-one-out verdicts are given
  (``Recogniser.leave_one_out``: the fused UniMotion + kernel evidence and rejection exactly as live),
  the matrix is built from them instead, so the estimate is what live recognition does;
* **confusable pairs**: gestures whose take means (or descriptions) are very similar or whose takes get
  confused, with a suggestion;
* a **2-D map** of all takes (PCA of the features) with each gesture's mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.recognition.sources import MEAN_WEIGHT, TEXT_PRIOR

NOT_RECOGNISED = "none"  # the extra confusion-matrix column ("none of these"), when thresholds are given
CONFUSABLE_SIMILARITY = 0.85  # gestures closer than this are flagged even without LOO confusions


@dataclass
class ConfusablePair:
    """Two gestures that the recogniser may mix up."""

    a: str
    b: str
    similarity: float  # cosine similarity of their take means (or of their descriptions)
    confusions: int  # LOO takes of one classified as the other (both directions)
    suggestion: str


@dataclass
class QualityReport:
    """Everything the quality panel draws; ``labels`` orders the confusion matrix rows/columns."""

    labels: list[str]
    consistency: dict[int, float] = field(default_factory=dict)  # take id -> [0, 1]
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), int))  # rows true, cols predicted
    loo_accuracy: float | None = None  # right and above its threshold (when thresholds are given)
    not_recognised: int = 0  # LOO takes whose best score was below that gesture's threshold
    pairs: list[ConfusablePair] = field(default_factory=list)
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (n_takes, 2) map positions
    point_labels: list[str] = field(default_factory=list)
    point_ids: list[int] = field(default_factory=list)
    proto_points: dict[str, tuple[float, float]] = field(default_factory=dict)
    # (sensitivity, missed gestures %, false triggers per hour) along the slider, when known: tradeoff()
    tradeoff: list[tuple[float, float, float]] = field(default_factory=list)


def tradeoff(verdicts, negative_evidence: np.ndarray, offered_per_hour: float | None,
             sensitivities=None) -> list[tuple[float, float, float]]:
    """The sensitivity slider's trade-off: for each sensitivity s (acceptance line at evidence 1 - s),
    the share of takes a new performance like them would miss (left out of its gesture: ranked wrong, or
    below the line) and the false triggers per hour on the calibration movement (movements it offers per
    hour times the share of its negatives above the line). Empty without verdicts or that rate."""
    if not verdicts or offered_per_hour is None or not len(negative_evidence):
        return []
    grid = np.linspace(0.0, 1.0, 21) if sensitivities is None else np.asarray(sensitivities, float)
    right = np.array([v.best == v.gesture for v in verdicts])
    evidence = np.array([v.evidence for v in verdicts])
    negatives = np.asarray(negative_evidence, float)
    out = []
    for s in grid:
        line = 1.0 - s
        missed = 100.0 * float(np.mean(~(right & (evidence >= line))))
        out.append((float(s), missed, float(offered_per_hour * np.mean(negatives >= line))))
    return out


@dataclass
class _Gesture:
    joint: np.ndarray  # (n, E)
    feat: np.ndarray  # (n, D)
    text: np.ndarray | None  # (E,)


def _norm(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def score(joint: np.ndarray, feat: np.ndarray, g_feat: np.ndarray, text: np.ndarray | None) -> float:
    """The recogniser's fused score of one take (joint (E,), feat (D,)) against a gesture whose takes have
    features ``g_feat`` (n, D) and whose description embeds to ``text``."""
    n = g_feat.shape[0]
    take_part = None
    if n:
        sims = _norm(g_feat) @ _norm(feat)
        take_part = MEAN_WEIGHT * float(_norm(feat) @ _norm(g_feat.mean(0))) + (1 - MEAN_WEIGHT) * float(sims.max())
    text_part = float(_norm(joint) @ _norm(text)) if text is not None else None
    if take_part is None:
        return text_part if text_part is not None else -1.0
    if text_part is None:
        return take_part
    w = TEXT_PRIOR / (TEXT_PRIOR + n)
    return w * text_part + (1 - w) * take_part


def consistency(feat: np.ndarray) -> np.ndarray:
    """(n,) similarity of each take to the mean of the others, clipped to [0, 1]; NaN with < 2 takes."""
    emb = _norm(np.asarray(feat, np.float64))
    n = emb.shape[0]
    if n < 2:
        return np.full(n, np.nan)
    others = _norm((emb.sum(0, keepdims=True) - emb) / (n - 1))
    return np.clip(np.sum(emb * others, axis=1), 0.0, 1.0)


def _gestures(takes: dict[str, np.ndarray | tuple[np.ndarray, np.ndarray]], texts: dict[str, np.ndarray]
              ) -> dict[str, _Gesture]:
    out = {}
    for g, value in takes.items():
        joint, feat = value if isinstance(value, tuple) else (value, value)
        out[g] = _Gesture(np.asarray(joint, np.float64), np.asarray(feat, np.float64), texts.get(g))
    return out


def loo_confusion(takes: dict[str, np.ndarray | tuple[np.ndarray, np.ndarray]],
                  texts: dict[str, np.ndarray] | None = None,
                  thresholds: dict[str, float] | None = None) -> tuple[list[str], np.ndarray]:
    """Leave-one-out confusion matrix. ``takes``: gesture -> embeddings (n, E) used as both joint and
    features, or a (joint (n, E), features (n, D)) pair. Gestures with a description but no takes are
    candidates (columns); rows of gestures without takes stay empty. With ``thresholds`` (gesture ->
    the recogniser's rejection threshold) the matrix has one more column: takes not recognised."""
    gestures = _gestures(takes, texts or {})
    labels = [g for g, v in gestures.items() if v.feat.shape[0] > 0 or v.text is not None]
    index = {g: i for i, g in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels) + (1 if thresholds is not None else 0)), int)
    for g in labels:
        own = gestures[g]
        for i in range(own.feat.shape[0]):
            rest = np.delete(own.feat, i, 0)
            scores = {h: score(own.joint[i], own.feat[i], gestures[h].feat, gestures[h].text)
                      for h in labels if h != g}
            if rest.shape[0] or own.text is not None:
                scores[g] = score(own.joint[i], own.feat[i], rest, own.text)
            if scores:
                best = max(scores, key=scores.get)
                if thresholds is not None and scores[best] < thresholds.get(best, -np.inf):
                    matrix[index[g], len(labels)] += 1  # live recognition would say "none of these"
                else:
                    matrix[index[g], index[best]] += 1
    return labels, matrix


def _likeness(a: _Gesture, b: _Gesture) -> float:
    if a.feat.shape[0] and b.feat.shape[0]:
        return float(_norm(a.feat.mean(0)) @ _norm(b.feat.mean(0)))
    if a.text is not None and b.text is not None:
        return float(_norm(a.text) @ _norm(b.text))
    return 0.0


def confusable_pairs(labels: list[str], gestures: dict[str, _Gesture], confusion: np.ndarray,
                     threshold: float = CONFUSABLE_SIMILARITY) -> list[ConfusablePair]:
    """Pairs with LOO confusions or similarity above ``threshold``, worst first."""
    pairs = []
    for i, a in enumerate(labels):
        for j in range(i + 1, len(labels)):
            b = labels[j]
            sim = _likeness(gestures[a], gestures[b])
            mixed = int(confusion[i, j] + confusion[j, i]) if confusion.size else 0  # gesture columns only
            if mixed == 0 and sim < threshold:
                continue
            if mixed:
                advice = (f"{mixed} take(s) of '{a}' and '{b}' were taken for each other. Make them differ "
                          f"more (direction, size, speed, or a distinct start), or record a few more takes "
                          f"of both, performed the way you will use them.")
            else:
                advice = (f"'{a}' and '{b}' look alike to the model (similarity {sim:.2f}). Consider making "
                          f"one of them clearly different, or describe each more precisely.")
            pairs.append(ConfusablePair(a, b, sim, mixed, advice))
    pairs.sort(key=lambda p: (-p.confusions, -p.similarity))
    return pairs


def pca_2d(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean (D,), components (2, D), projected (n, 2)) of ``points`` (n, D); fewer than 2 points or
    dimensions give zeros for the missing directions."""
    x = np.asarray(points, np.float64)
    mean = x.mean(0) if x.shape[0] else np.zeros(x.shape[1])
    centred = x - mean
    comps = np.zeros((2, x.shape[1]))
    if x.shape[0] >= 2:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        k = min(2, vt.shape[0])
        comps[:k] = vt[:k]
        # A deterministic sign per axis, so the map does not flip between updates.
        signs = np.sign(comps[np.arange(2), np.argmax(np.abs(comps), axis=1)])
        comps *= np.where(signs == 0, 1.0, signs)[:, None]
    return mean, comps, centred @ comps.T


def verdict_confusion(labels: list[str], verdicts) -> np.ndarray:
    """Confusion matrix (rows true, columns predicted, last column not recognised) from the recogniser's
    leave-one-out verdicts (objects with ``gesture`` and ``predicted``, None = rejected); verdicts of
    gestures outside ``labels`` are ignored."""
    index = {g: i for i, g in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels) + 1), int)
    for v in verdicts:
        if v.gesture in index:
            matrix[index[v.gesture], index.get(v.predicted, len(labels))] += 1
    return matrix


def assess(takes: dict[str, list[tuple]], texts: dict[str, np.ndarray] | None = None,
           thresholds: dict[str, float] | None = None, verdicts=None) -> QualityReport:
    """The full report. ``takes``: gesture -> [(take id, embedding)] or [(take id, joint, features)];
    ``texts``: gesture -> description embedding (joint space); ``thresholds``: gesture -> the live
    recogniser's rejection threshold (then takes below it count as not recognised); ``verdicts``: the live
    recogniser's leave-one-out verdicts, which then decide the confusion matrix."""
    texts = texts or {}
    stacked: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for g, rows in takes.items():
        if rows:
            joint = np.stack([r[1] for r in rows])
            feat = np.stack([r[2] if len(r) > 2 else r[1] for r in rows])
        else:
            dim = next((v.shape[0] for v in texts.values()), 1)
            joint, feat = np.zeros((0, dim)), np.zeros((0, 1))
        stacked[g] = (joint, feat)
    report = QualityReport(labels=[])
    for g, rows in takes.items():
        for row, value in zip(rows, consistency(stacked[g][1]) if rows else []):
            if np.isfinite(value):
                report.consistency[row[0]] = float(value)
    labels, matrix = loo_confusion(stacked, texts, thresholds)
    if verdicts is not None:
        matrix = verdict_confusion(labels, verdicts)
    report.labels, report.confusion = labels, matrix
    if matrix.sum():
        report.loo_accuracy = float(np.trace(matrix[:, :len(labels)]) / matrix.sum())
        report.not_recognised = int(matrix[:, len(labels):].sum())
    report.pairs = confusable_pairs(labels, _gestures(stacked, texts), matrix)
    rows = [(r[0], g, r[2] if len(r) > 2 else r[1]) for g, items in takes.items() for r in items]
    if rows:
        mean, comps, projected = pca_2d(np.stack([f for _, _, f in rows]))
        report.points = projected
        report.point_labels = [g for _, g, _ in rows]
        report.point_ids = [take_id for take_id, _, _ in rows]
        for g, (_, feat) in stacked.items():
            if feat.shape[0] and feat.shape[1] == mean.shape[0]:
                xy = (feat.mean(0) - mean) @ comps.T  # the centre of its takes on the map
                report.proto_points[g] = (float(xy[0]), float(xy[1]))
    return report
