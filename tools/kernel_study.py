"""Accuracy studies of the kernel model on the packaged real sets (prints tables; no timed test).

``python tools/kernel_study.py variants``: which KernelClassifier score (ridge, centroid cosine, nearest-take
cosine, their mean, ridge fused with the cosines) and which input scaling is most accurate at 1/3/5 shots,
measured on each set's TRAIN part only: per seed the train part (``splits.train_test``) is split again
into k enrolled takes per class (``splits.k_shot``) and the rest of the train part as queries. The test
parts are never looked at, so the choice made from this table is not tuned on them.

``python tools/kernel_study.py rejection``: the same draws with only half the classes enrolled: how well each
score's best class value tells queries of enrolled classes from queries of the others (AUROC), i.e. which
score suits "none of these".

``python tools/kernel_study.py parity``: accuracy parity with aeon on ``studio evaluate``'s own draws
(train/test split, k-shot draws, scored on the test part): aeon's MiniRocketClassifier (the ``minirocket``
method) against this module's features fed into the same classifier (StandardScaler(with_mean=False) +
RidgeClassifierCV(alphas=logspace(-3, 3, 10))), on the same zero-padded equal-length input as aeon gets
and on the takes' own lengths, and the ``kernels`` method (KernelClassifier as shipped).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.recognition import splits  # noqa: E402
from studio.recognition.datasets import load_npz  # noqa: E402
from studio.recognition.evaluate import PeerMethod, evaluate, make_method  # noqa: E402
from studio.recognition.kernel_classifier import DECISIONS, KernelClassifier, KernelClassifierConfig  # noqa: E402
from studio.recognition.kernels import SCALINGS, KernelConfig, MiniRocketFeatures  # noqa: E402
from studio.recognition.peers import _trim  # noqa: E402

SETS = sorted((ROOT / "resources" / "sample_sets").glob("*.npz"))


EXTRA = ("centroid_std", "nearest_std")  # cosine in the takes-standardised space (not in the classifier)


def _std_cosines(clf: KernelClassifier, z_enrol: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine to class means and nearest takes after standardising by the enrolled takes (the ridge space)."""
    mean, std = z_enrol.mean(axis=0), z_enrol.std(axis=0)
    scale = np.where(std > 1e-6, std, 1.0)

    def unit(v):
        v = (v - mean) / scale
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    takes, q = unit(z_enrol), unit(z)
    labels = np.array([clf.classes.index(lab) for lab in clf._labels])
    centroids = np.stack([takes[labels == k].mean(axis=0) for k in range(len(clf.classes))])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    per_take = q @ takes.T
    nearest = np.stack([per_take[:, labels == k].max(axis=1) for k in range(len(clf.classes))], axis=1)
    return q @ centroids.T, nearest


def _all_scores(clf: KernelClassifier, z_enrol: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    scores = {d: clf.scores_from_features(z, d) for d in DECISIONS}
    scores["centroid_std"], scores["nearest_std"] = _std_cosines(clf, z_enrol, z)
    return scores


def _auroc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a known-class query scores above an unknown-class one), ties counting half (Mann-Whitney)."""
    both = np.concatenate([positive, negative])
    ranks = np.empty(len(both))
    ranks[np.argsort(both, kind="stable")] = np.arange(1, len(both) + 1)
    for value in np.unique(both):  # average ranks of ties
        tie = both == value
        ranks[tie] = ranks[tie].mean()
    return float((ranks[: len(positive)].sum() - len(positive) * (len(positive) + 1) / 2) / (len(positive) * len(negative)))


def _scalings(data) -> tuple[str, ...]:
    return SCALINGS if len(data.channels) > 1 else ("none", "series")  # "channels" = "none" on one channel


def variants(shots: list[int], seeds: int, n_features: int) -> None:
    names = list(DECISIONS) + list(EXTRA)
    print(f"KernelClassifier variants, accuracy % on the TRAIN parts (enrol k per class, query the rest), "
          f"mean over {seeds} seeds, {n_features} features; n/a: no train takes left to query")
    print("set".ljust(26) + "scaling".ljust(10) + "k".rjust(3) + "".join(d.rjust(13) for d in names))
    totals: dict[tuple[str, str, int], list[float]] = {}
    for path in SETS:
        data = load_npz(path)
        for scaling in _scalings(data):
            for k in shots:
                acc = {d: [] for d in names}
                for seed in range(seeds):
                    rng = np.random.default_rng(seed)
                    train, _ = splits.train_test(data, rng)
                    enrol = splits.k_shot(data.y, train, k, rng)
                    query = np.setdiff1d(train, enrol)
                    query = query[np.isin(data.y[query], data.y[enrol])]
                    if len(query) == 0:
                        continue
                    clf = KernelClassifier(KernelClassifierConfig(
                        features=KernelConfig(n_features=n_features, scaling=scaling), seed=seed))
                    clf.fit([data.series(i) for i in enrol], data.y[enrol].tolist())
                    z = clf.transform([data.series(i) for i in query])
                    for d, score in _all_scores(clf, clf._z, z).items():
                        pred = np.asarray(clf.classes)[np.argmax(score, axis=1)]
                        acc[d].append(float(np.mean(pred == data.y[query])))
                line = path.stem[:25].ljust(26) + scaling.ljust(10) + str(k).rjust(3)
                for d in names:
                    if acc[d]:
                        totals.setdefault((scaling, d, k), []).append(np.mean(acc[d]))
                    line += f"{100 * np.mean(acc[d]):13.1f}" if acc[d] else "n/a".rjust(13)
                print(line, flush=True)
    print("mean over the sets with queries (scaling 'channels': multichannel sets only)")
    for scaling in SCALINGS:
        for k in shots:
            if (scaling, names[0], k) in totals:
                print("mean".ljust(26) + scaling.ljust(10) + str(k).rjust(3)
                      + "".join(f"{100 * np.mean(totals[(scaling, d, k)]):13.1f}" for d in names))


def rejection(shots: list[int], seeds: int, n_features: int) -> None:
    """Open set on the TRAIN parts: enrol k takes of half the classes (drawn per seed); the best class score of
    queries from enrolled classes against queries from the others, as AUROC (1 = always apart, 0.5 = chance)."""
    names = list(DECISIONS) + list(EXTRA)
    print(f"rejection AUROC of the best class score: known-class vs unknown-class queries, TRAIN parts, "
          f"half the classes enrolled, mean over {seeds} seeds, scaling none")
    print("set".ljust(26) + "k".rjust(3) + "".join(d.rjust(13) for d in names))
    for path in SETS:
        data = load_npz(path)
        for k in shots:
            result = {d: [] for d in names}
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                train, _ = splits.train_test(data, rng)
                classes = np.unique(data.y[train])
                known = rng.permutation(classes)[: max(2, len(classes) // 2)]
                inside = train[np.isin(data.y[train], known)]
                enrol = splits.k_shot(data.y, inside, k, rng)
                query = np.setdiff1d(train, enrol)
                is_known = np.isin(data.y[query], known)
                if is_known.sum() == 0 or (~is_known).sum() == 0:
                    continue
                clf = KernelClassifier(KernelClassifierConfig(features=KernelConfig(n_features=n_features), seed=seed))
                clf.fit([data.series(i) for i in enrol], data.y[enrol].tolist())
                z = clf.transform([data.series(i) for i in query])
                for d, score in _all_scores(clf, clf._z, z).items():
                    best = score.max(axis=1)
                    result[d].append(_auroc(best[is_known], best[~is_known]))
            print(path.stem[:25].ljust(26) + str(k).rjust(3)
                  + "".join(f"{np.mean(result[d]):13.3f}" if result[d] else "n/a".rjust(13) for d in names), flush=True)


class OurFeaturesRidge:
    """Our MiniRocketFeatures in aeon's MiniRocketClassifier pipeline (scaler without mean + RidgeClassifierCV).

    ``padded``: series zero-padded (or cut) to the longest fit take, exactly as ``MiniRocketPeer`` feeds
    aeon; otherwise each series at its own length.
    """

    def __init__(self, padded: bool, n_features: int = 10_000, seed: int = 0) -> None:
        self.padded, self.n_features, self.seed = padded, n_features, seed

    def _input(self, series: list[np.ndarray]) -> list[np.ndarray]:
        series = [np.nan_to_num(_trim(s), nan=0.0) for s in series]
        if not self.padded:
            return series
        out = []
        for s in series:
            x = np.zeros((self._length, s.shape[1]), np.float32)
            x[: min(len(s), self._length)] = s[: self._length]
            out.append(x)
        return out

    def fit(self, takes: list[np.ndarray], labels: list[str]) -> "OurFeaturesRidge":
        from sklearn.linear_model import RidgeClassifierCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self._length = max(9, max(len(_trim(t)) for t in takes))
        self._features = MiniRocketFeatures(KernelConfig(n_features=self.n_features))
        z = self._features.fit_transform(self._input(takes), seed=self.seed)
        self._single = labels[0] if len(set(labels)) < 2 else None
        if self._single is None:
            self._clf = make_pipeline(StandardScaler(with_mean=False), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))
            self._clf.fit(z, np.asarray(labels))
        return self

    def predict(self, series: list[np.ndarray]) -> list[str]:
        if self._single is not None:
            return [self._single] * len(series)
        return [str(v) for v in self._clf.predict(self._features.transform(self._input(series)))]


def parity(shots: list[int], seeds: int) -> None:
    methods = [make_method("minirocket"),
               PeerMethod("ours_padded", lambda: OurFeaturesRidge(padded=True)),
               PeerMethod("ours_own_length", lambda: OurFeaturesRidge(padded=False)),
               make_method("kernels")]
    names = [m.name for m in methods]
    print(f"accuracy % on the test parts, studio evaluate's draws, mean over {seeds} seeds")
    print("set".ljust(26) + "k".rjust(3) + "".join(n.rjust(17) for n in names))
    for path in SETS:
        start = time.perf_counter()
        rows = evaluate(str(path), shots=shots, label_fraction=None, seeds=seeds, methods=methods)
        cells = {(r["method"], r["setting"]): r for r in rows}
        for k in shots:
            line = path.stem[:25].ljust(26) + str(k).rjust(3)
            for n in names:
                r = cells[(n, f"{k}-shot")]
                line += f"{100 * r['accuracy']:10.1f} ±{100 * r['accuracy_std']:4.1f}"
            print(line, flush=True)
        print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study", choices=["variants", "rejection", "parity"])
    parser.add_argument("--shots", default="1,3,5")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-features", type=int, default=10_000)
    args = parser.parse_args(argv)
    shots = [int(v) for v in args.shots.split(",")]
    if args.study == "variants":
        variants(shots, args.seeds, args.n_features)
    elif args.study == "rejection":
        rejection(shots, args.seeds, args.n_features)
    else:
        parity(shots, args.seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
