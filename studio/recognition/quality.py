"""Quality feedback on a gesture set, from take embeddings (Qt-free, numpy only).

Given each gesture's take embeddings (L2-normalised rows from ``MotionModel.embed``) and optionally its
description's text embedding, this computes what the quality panel shows:

* **consistency** per take: cosine similarity of the take to the mean of its gesture's *other* takes,
  in [0, 1]. A take far from its siblings was probably performed differently (or is a mistake);
* a **leave-one-out confusion matrix**: every take is classified against prototypes built without it
  (the same text + takes fusion the recogniser uses), so it estimates live accuracy on new takes;
* **confusable pairs**: gestures whose prototypes are very similar or whose takes get confused, with
  a suggestion;
* a **2-D map** of all takes (PCA of the embeddings, plus the prototypes projected into it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TEXT_PRIOR = 1.0  # same fusion weight as the recogniser: the description counts as one take
CONFUSABLE_SIMILARITY = 0.85  # prototypes closer than this are flagged even without LOO confusions


@dataclass
class ConfusablePair:
    """Two gestures that the recogniser may mix up."""

    a: str
    b: str
    similarity: float  # cosine similarity of their prototypes
    confusions: int  # LOO takes of one classified as the other (both directions)
    suggestion: str


@dataclass
class QualityReport:
    """Everything the quality panel draws; ``labels`` orders the confusion matrix rows/columns."""

    labels: list[str]
    consistency: dict[int, float] = field(default_factory=dict)  # take id -> [0, 1]
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), int))  # rows true, cols predicted
    loo_accuracy: float | None = None
    pairs: list[ConfusablePair] = field(default_factory=list)
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (n_takes, 2) map positions
    point_labels: list[str] = field(default_factory=list)
    point_ids: list[int] = field(default_factory=list)
    proto_points: dict[str, tuple[float, float]] = field(default_factory=dict)


def _norm(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def prototype(take_emb: np.ndarray, text_emb: np.ndarray | None) -> np.ndarray:
    """The recogniser's class prototype: description and mean take, weighted by the number of takes."""
    n = take_emb.shape[0]
    if n == 0:
        if text_emb is None:
            raise ValueError("a prototype needs takes or a text embedding")
        return _norm(text_emb)
    mean = _norm(take_emb.mean(0))
    if text_emb is None:
        return mean
    w = TEXT_PRIOR / (TEXT_PRIOR + n)
    return _norm(w * _norm(text_emb) + (1 - w) * mean)


def consistency(take_emb: np.ndarray) -> np.ndarray:
    """(n,) similarity of each take to the mean of the others, clipped to [0, 1]; NaN with < 2 takes."""
    emb = _norm(np.asarray(take_emb, np.float64))
    n = emb.shape[0]
    if n < 2:
        return np.full(n, np.nan)
    others = _norm((emb.sum(0, keepdims=True) - emb) / (n - 1))
    return np.clip(np.sum(emb * others, axis=1), 0.0, 1.0)


def loo_confusion(takes: dict[str, np.ndarray], texts: dict[str, np.ndarray] | None = None
                  ) -> tuple[list[str], np.ndarray]:
    """Leave-one-out confusion matrix over ``takes`` (gesture -> (n, E) embeddings).

    Every gesture is a column candidate (text-only ones too, if ``texts`` has them); rows are gestures
    with at least one take. Each take is classified by cosine similarity against all prototypes, its own
    gesture's rebuilt without it.
    """
    texts = texts or {}
    labels = [g for g in takes if takes[g].shape[0] > 0 or g in texts]
    index = {g: i for i, g in enumerate(labels)}
    protos = {g: prototype(takes.get(g, np.zeros((0, 1))), texts.get(g)) for g in labels}
    matrix = np.zeros((len(labels), len(labels)), int)
    for g in labels:
        emb = takes.get(g)
        if emb is None or emb.shape[0] == 0:
            continue
        for i in range(emb.shape[0]):
            rest = np.delete(emb, i, 0)
            own = prototype(rest, texts.get(g)) if rest.shape[0] or g in texts else None
            sims = {h: float(_norm(emb[i]) @ p) for h, p in protos.items() if h != g}
            if own is not None:
                sims[g] = float(_norm(emb[i]) @ own)
            if sims:
                matrix[index[g], index[max(sims, key=sims.get)]] += 1
    return labels, matrix


def confusable_pairs(labels: list[str], protos: dict[str, np.ndarray], confusion: np.ndarray,
                     threshold: float = CONFUSABLE_SIMILARITY) -> list[ConfusablePair]:
    """Pairs with LOO confusions or prototype similarity above ``threshold``, worst first."""
    pairs = []
    for i, a in enumerate(labels):
        for j in range(i + 1, len(labels)):
            b = labels[j]
            sim = float(protos[a] @ protos[b])
            mixed = int(confusion[i, j] + confusion[j, i]) if confusion.size else 0
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
    """(mean (E,), components (2, E), projected (n, 2)) of ``points`` (n, E); fewer than 2 points or
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


def assess(takes: dict[str, list[tuple[int, np.ndarray]]], texts: dict[str, np.ndarray] | None = None
           ) -> QualityReport:
    """The full report from ``takes`` (gesture -> [(take id, embedding (E,))]) and optional ``texts``."""
    texts = texts or {}
    emb = {g: (np.stack([e for _, e in rows]).astype(np.float64) if rows else np.zeros((0, 1)))
           for g, rows in takes.items()}
    report = QualityReport(labels=[])
    for g, rows in takes.items():
        for (take_id, _), score in zip(rows, consistency(emb[g]) if rows else []):
            if np.isfinite(score):
                report.consistency[take_id] = float(score)
    labels, matrix = loo_confusion(emb, texts)
    report.labels, report.confusion = labels, matrix
    if matrix.sum():
        report.loo_accuracy = float(np.trace(matrix) / matrix.sum())
    protos = {g: prototype(emb.get(g, np.zeros((0, 1))), texts.get(g)) for g in labels}
    report.pairs = confusable_pairs(labels, protos, matrix)
    rows = [(take_id, g, e) for g, items in takes.items() for take_id, e in items]
    if rows:
        mean, comps, projected = pca_2d(np.stack([e for _, _, e in rows]))
        report.points = projected
        report.point_labels = [g for _, g, _ in rows]
        report.point_ids = [take_id for take_id, _, _ in rows]
        for g, p in protos.items():
            if p.shape[0] == mean.shape[0]:
                xy = (p - mean) @ comps.T
                report.proto_points[g] = (float(xy[0]), float(xy[1]))
    return report
