"""Few-shot, label-fraction and zero-shot evaluation of UniMotion against its peers on one data set.

``evaluate(data, ...)`` returns rows ``{"method", "setting", "accuracy", "macro_f1", "n_test", ...}``
averaged over seeds. Per seed, the train/test parts and the labelled takes are drawn once (see
:mod:`studio.recognition.splits`) and every method gets exactly those takes.

Settings: ``"k-shot"`` (k takes per class), ``"p%-labels"`` (that fraction of the train part
labelled, the rest handed over unlabeled: UniMotion may use it, the peers ignore it), ``"zero-shot"``
(the class descriptions alone; methods that cannot do that are left out, shown "n/a").
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from studio.recognition import splits
from studio.recognition.datasets import EvalSet, load_npz

ALL_METHODS = ("fused", "fused+refine", "unimotion", "unimotion+refine", "kernels", "dtw_1nn", "dtw_1nn_raw",
               "minirocket")
DEFAULT_METHODS = ("fused", "unimotion", "kernels", "dtw_1nn", "dtw_1nn_raw", "minirocket")


@dataclass
class Task:
    """What one method is given for one draw: labelled takes, unlabeled takes, and the class texts."""

    classes: list[str]
    descriptions: dict[str, str]
    takes: list[np.ndarray]
    take_labels: list[str]
    channels: tuple[str, ...]
    rate_hz: float
    unlabeled: list[np.ndarray] = field(default_factory=list)


class Method(Protocol):
    """A recogniser under evaluation. ``zero_shot``: whether it can work from descriptions alone."""

    name: str
    zero_shot: bool

    def fit(self, task: Task) -> None: ...

    def predict(self, series: list[np.ndarray]) -> list[str]: ...


class PeerMethod:
    """Adapts a peer (``fit(takes, labels)`` / ``predict(series)``) to :class:`Method`."""

    zero_shot = False

    def __init__(self, name: str, factory: Callable[[], object]) -> None:
        self.name = name
        self._factory = factory
        self._peer = None

    def fit(self, task: Task) -> None:
        self._peer = self._factory()
        self._peer.fit(task.takes, task.take_labels)

    def predict(self, series: list[np.ndarray]) -> list[str]:
        return self._peer.predict(series)


class RecogniserMethod:
    """The product's recogniser (``Recogniser(model, sources)``), one ``set_class`` per class, the best
    fused ranking score wins. ``fused``: encoder and kernel model; ``unimotion``: the UniMotion encoder
    alone (text + takes); ``kernels``: the kernel model alone (no zero-shot).

    Closed-set accuracy is measured, so the rejection threshold is not applied. The set's own channels
    are passed through (the model masks the ones a set lacks). With ``refine``, the recogniser's
    fine-tuning runs after enrolment. If the recogniser offers ``adapt(unlabeled, rate_hz, channels)``,
    the unlabeled part of a label-fraction draw goes to it.
    """

    def __init__(self, name: str, sources: tuple[str, ...], model, refine: bool = False) -> None:
        self.name = name
        self.sources = sources
        self.zero_shot = "encoder" in sources
        self.refine = refine
        self.model = model
        self._rec = None
        self._channels: tuple[str, ...] = ()
        self._rate = 0.0

    def fit(self, task: Task) -> None:
        from studio.recognition.recogniser import Recogniser

        self._channels = task.channels
        self._rate = task.rate_hz
        self._rec = Recogniser(self.model, sources=self.sources)
        for label in task.classes:
            takes = [t for t, lab in zip(task.takes, task.take_labels) if lab == label]
            self._rec.set_class(label, task.descriptions.get(label, label), takes, rate_hz=self._rate,
                                channels=task.channels)
        if task.unlabeled and hasattr(self._rec, "adapt"):
            self._rec.adapt(task.unlabeled, rate_hz=self._rate, channels=task.channels)
        if self.refine and task.takes:
            self._rec.refine()

    def predict(self, series: list[np.ndarray]) -> list[str]:
        names, fused = self._rec.rank(series, self._rate, self._channels)
        return [names[int(k)] for k in np.argmax(fused, axis=1)]


RECOGNISERS = {"fused": ("encoder", "kernel"), "unimotion": ("encoder",), "kernels": ("kernel",)}


def make_method(name: str, model_path: str | os.PathLike | None = None, shared: dict | None = None) -> Method:
    """A method by name: the studio's recogniser ``fused`` (encoder + kernel model), ``unimotion`` (the
    encoder alone), ``kernels`` (the kernel model alone), each also ``+refine``; the peers ``dtw_1nn``,
    ``dtw_1nn_raw``, ``minirocket`` (aeon's). ``shared`` lets the recogniser variants share one model."""
    from studio.recognition.peers import DTW1NN, MiniRocketPeer

    base = name.removesuffix("+refine")
    if base in RECOGNISERS:
        shared = {} if shared is None else shared
        if "model" not in shared:
            from studio.model import load_model

            shared["model"] = load_model(model_path)
        return RecogniserMethod(name, RECOGNISERS[base], shared["model"], refine=name.endswith("+refine"))
    if name == "dtw_1nn":  # z-normalised per series, band 10 %
        return PeerMethod(name, DTW1NN)
    if name == "dtw_1nn_raw":  # GRT's defaults: raw values (gravity offset kept), band 20 %
        return PeerMethod(name, lambda: DTW1NN(band=0.2, normalise=False))
    if name == "minirocket":  # raw values, as MiniRocket is designed for (better here than z-normalised)
        return PeerMethod(name, lambda: MiniRocketPeer(normalise=False))
    raise ValueError(f"unknown method {name!r}; known: {', '.join(ALL_METHODS)}")


def macro_f1(y_true: list[str], y_pred: list[str]) -> float:
    """Macro-averaged F1 over every label that occurs in truth or prediction (as scikit-learn)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    scores = []
    for label in np.union1d(y_true, y_pred):
        tp = np.sum((y_pred == label) & (y_true == label))
        fp = np.sum((y_pred == label) & (y_true != label))
        fn = np.sum((y_pred != label) & (y_true == label))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def settings_for(shots: list[int], label_fraction: float | None) -> list[tuple[str, int | float]]:
    """The settings of a run, in table order: ("zero-shot", 0), ("5-shot", 5), ("10%-labels", 0.1)."""
    out: list[tuple[str, int | float]] = [("zero-shot" if k == 0 else f"{k}-shot", int(k)) for k in shots]
    if label_fraction is not None:
        out.append((f"{label_fraction * 100:g}%-labels", float(label_fraction)))
    return out


def _draw(data: EvalSet, train: np.ndarray, setting: int | float, rng) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(setting, float):
        return splits.label_fraction(data.y, train, setting, rng)
    return splits.k_shot(data.y, train, setting, rng), np.zeros(0, int)


def evaluate(
    data: EvalSet | str | os.PathLike,
    shots: list[int] | tuple[int, ...] = (0, 1, 3, 5),
    label_fraction: float | None = 0.1,
    seeds: int = 3,
    methods: list[str | Method] | tuple[str | Method, ...] = DEFAULT_METHODS,
    model_path: str | os.PathLike | None = None,
    on_progress: Callable[[str], None] | None = None,
    rate_hz: float | None = None,
) -> list[dict]:
    """Evaluate ``methods`` on ``data`` (an :class:`EvalSet` or a ``DATA.npz`` path); see module doc.

    Rows: method, setting, accuracy and macro_f1 (means over seeds), accuracy_std, n_test (per
    seed), n_labelled (labelled takes per seed), n_seeds, seconds (fit + predict, all seeds; test
    embeddings are reused across settings, so this is no speed benchmark). ``rate_hz`` overrides
    the set's rate (e.g. for a set whose rate is unknown, 0); only UniMotion uses the rate.
    """
    if not isinstance(data, EvalSet):
        data = load_npz(data)
    if seeds < 1:
        raise ValueError("seeds must be >= 1")
    if rate_hz is not None and not (math.isfinite(rate_hz) and rate_hz >= 0):
        raise ValueError(f"rate_hz must be a finite rate >= 0 (0 = unknown); got {rate_hz}")
    shared: dict = {}
    resolved = [make_method(m, model_path, shared) if isinstance(m, str) else m for m in methods]
    runs: dict[tuple[str, str], list[dict]] = {}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        train, test = splits.train_test(data, rng)
        classes = sorted(set(data.y[train].tolist()))
        test = test[np.isin(data.y[test], classes)]  # a class never seen in training cannot be scored
        if len(test) == 0:
            raise ValueError("no takes left to test on: the set needs a test split, or at least two takes "
                             "in some class (one to enrol, one to test)")
        test_series = [data.series(i) for i in test]
        truth = data.y[test].tolist()
        for name, setting in settings_for(list(shots), label_fraction):
            labelled, unlabeled = _draw(data, train, setting, rng)
            task = Task(
                classes=classes,
                descriptions={c: data.text(c) for c in classes},
                takes=[data.series(i) for i in labelled],
                take_labels=data.y[labelled].tolist(),
                channels=data.channels,
                rate_hz=data.rate_hz if rate_hz is None else rate_hz,
                unlabeled=[data.series(i) for i in unlabeled],
            )
            for method in resolved:
                if setting == 0 and not method.zero_shot:
                    continue
                deterministic = data.split is not None and setting == 0
                if deterministic and seed > 0:
                    continue  # zero-shot on a fixed split draws nothing: one run is the answer
                start = time.perf_counter()
                method.fit(task)
                pred = method.predict(test_series)
                seconds = time.perf_counter() - start
                acc = float(np.mean(np.asarray(pred) == np.asarray(truth))) if truth else float("nan")
                runs.setdefault((method.name, name), []).append(
                    {"accuracy": acc, "macro_f1": macro_f1(truth, pred), "n_test": len(truth),
                     "n_labelled": len(labelled), "seconds": seconds}
                )
                if on_progress:
                    on_progress(f"seed {seed} {name} {method.name}: accuracy {acc:.3f} ({seconds:.1f} s)")
    rows = []
    for (method_name, setting_name), per_seed in runs.items():
        acc = np.array([r["accuracy"] for r in per_seed])
        rows.append({
            "method": method_name,
            "setting": setting_name,
            "accuracy": float(acc.mean()),
            "macro_f1": float(np.mean([r["macro_f1"] for r in per_seed])),
            "n_test": int(round(np.mean([r["n_test"] for r in per_seed]))),
            "accuracy_std": float(acc.std()),
            "n_labelled": int(round(np.mean([r["n_labelled"] for r in per_seed]))),
            "n_seeds": len(per_seed),
            "seconds": float(sum(r["seconds"] for r in per_seed)),
        })
    return rows


def format_table(rows: list[dict], methods: list[str] | None = None, settings: list[str] | None = None) -> str:
    """A plain-text table: one line per setting, one column per method, "acc % (macro-F1 %)"."""
    methods = methods or list(dict.fromkeys(r["method"] for r in rows))
    settings = settings or list(dict.fromkeys(r["setting"] for r in rows))
    cells = {(r["method"], r["setting"]): r for r in rows}
    width = max([16] + [len(m) + 2 for m in methods])
    lines = ["setting".ljust(12) + "".join(m.rjust(width) for m in methods) + "   n_test"]
    for s in settings:
        line = s.ljust(12)
        n_test = ""
        for m in methods:
            r = cells.get((m, s))
            line += (f"{100 * r['accuracy']:.1f} ({100 * r['macro_f1']:.1f})" if r else "n/a").rjust(width)
            n_test = str(r["n_test"]) if r else n_test
        lines.append(line + n_test.rjust(9))
    return "\n".join(lines)
