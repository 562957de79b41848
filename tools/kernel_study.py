"""Accuracy studies of the kernel model on the packaged real sets (prints tables; no timed test).

``python tools/kernel_study.py variants``: which KernelClassifier score (ridge, centroid cosine, nearest-take
cosine, their mean, ridge fused with the cosines) and which input scaling is most accurate at 1/3/5 shots,
measured on each set's TRAIN part only: per seed the train part (``splits.train_test``) is split again
into k enrolled takes per class (``splits.k_shot``) and the rest of the train part as queries. The test
parts are never looked at, so the choice made from this table is not tuned on them.

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


def variants(shots: list[int], seeds: int, n_features: int) -> None:
    print(f"KernelClassifier variants, accuracy % on the TRAIN parts (enrol k per class, query the rest), "
          f"mean over {seeds} seeds, {n_features} features")
    header = "set".ljust(26) + "scaling".ljust(10) + "k".rjust(3) + "".join(d.rjust(10) for d in DECISIONS)
    print(header)
    totals: dict[tuple[str, str, int], list[float]] = {}
    for path in SETS:
        data = load_npz(path)
        for scaling in SCALINGS:
            for k in shots:
                acc = {d: [] for d in DECISIONS}
                for seed in range(seeds):
                    rng = np.random.default_rng(seed)
                    train, _ = splits.train_test(data, rng)
                    enrol = splits.k_shot(data.y, train, k, rng)
                    query = np.setdiff1d(train, enrol)
                    query = query[np.isin(data.y[query], data.y[enrol])]
                    clf = KernelClassifier(KernelClassifierConfig(
                        features=KernelConfig(n_features=n_features, scaling=scaling), seed=seed))
                    clf.fit([data.series(i) for i in enrol], data.y[enrol].tolist())
                    z = clf.transform([data.series(i) for i in query])
                    truth = data.y[query]
                    for d in DECISIONS:
                        pred = np.asarray(clf.classes)[np.argmax(clf.scores_from_features(z, d), axis=1)]
                        acc[d].append(float(np.mean(pred == truth)))
                line = path.stem[:25].ljust(26) + scaling.ljust(10) + str(k).rjust(3)
                for d in DECISIONS:
                    totals.setdefault((scaling, d, k), []).append(np.mean(acc[d]))
                    line += f"{100 * np.mean(acc[d]):10.1f}"
                print(line, flush=True)
    print("mean over sets")
    for scaling in SCALINGS:
        for k in shots:
            print("all".ljust(26) + scaling.ljust(10) + str(k).rjust(3)
                  + "".join(f"{100 * np.mean(totals[(scaling, d, k)]):10.1f}" for d in DECISIONS))


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
    parser.add_argument("study", choices=["variants", "parity"])
    parser.add_argument("--shots", default="1,3,5")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-features", type=int, default=10_000)
    args = parser.parse_args(argv)
    shots = [int(v) for v in args.shots.split(",")]
    if args.study == "variants":
        variants(shots, args.seeds, args.n_features)
    else:
        parity(shots, args.seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
