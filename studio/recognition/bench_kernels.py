"""``studio bench kernels``: MiniRocket kernel features and the KernelClassifier on one core.

Prints p50/p95 wall-clock milliseconds (and the p50 of the thread's CPU time, which a busy machine
disturbs less) for: the transform of one 8 s and one 2 s window at 50 Hz x 6 channels (features fitted on
takes of that length), fitting the features on 50 takes of 2 s, ``KernelClassifier.add_take`` with 50 takes
enrolled, and the same transforms in onnxruntime (one thread) when it is installed. Aims: transform <= 2 ms,
fit <= 50 ms, add_take <= 50 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import time

import numpy as np

from studio.recognition.kernel_classifier import KernelClassifier
from studio.recognition.kernels import KernelConfig, MiniRocketFeatures

RATE_HZ = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iterations", type=int, default=200, help="timed repetitions per measurement")
    parser.add_argument("--n-features", type=int, default=10_000, help="kernel features (default 10000)")


def _one_core():
    """BLAS on one thread where threadpoolctl is there (it comes with scikit-learn); else as configured."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("(threadpoolctl missing: BLAS threads as configured; set OPENBLAS_NUM_THREADS=1 for one core)")
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _take(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """IMU-like: gravity on z plus smooth random movement (acc in g, gyro in deg/s)."""
    n = int(seconds * RATE_HZ)
    walk = np.cumsum(rng.normal(0, 0.1, (n, 6)), axis=0)
    return (walk * [0.3, 0.3, 0.3, 60, 60, 60] + [0, 0, 1, 0, 0, 0]).astype(np.float32)


def _time(fn, iterations: int) -> tuple[float, float, float]:
    for _ in range(min(5, iterations)):
        fn()
    wall, cpu = [], []
    for _ in range(iterations):
        w, c = time.perf_counter(), time.thread_time()
        fn()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    return (1e3 * float(np.percentile(wall, 50)), 1e3 * float(np.percentile(wall, 95)),
            1e3 * float(np.percentile(cpu, 50)))


def _report(name: str, result: tuple[float, float, float], aim_ms: float) -> None:
    p50, p95, cpu = result
    print(f"{name:46s} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  cpu p50 {cpu:7.2f} ms  (aim <= {aim_ms:g} ms)", flush=True)


def run(args: argparse.Namespace) -> int:
    rng = np.random.default_rng(0)
    config = KernelConfig(n_features=args.n_features)
    short_takes = [_take(rng, 2.0) for _ in range(50)]
    long_takes = [_take(rng, 8.0) for _ in range(10)]
    with _one_core():
        fitted = {}
        for seconds, takes in ((8.0, long_takes), (2.0, short_takes)):
            features = MiniRocketFeatures(config).fit(takes)
            window = [_take(rng, seconds)]
            fitted[seconds] = (features, window)
            _report(f"transform one {seconds:g} s window ({features.n_features_out} features)",
                    _time(lambda: features.transform(window), args.iterations), 2.0)
        _report("fit on 50 takes of 2 s", _time(lambda: MiniRocketFeatures(config).fit(short_takes),
                                                 max(3, args.iterations // 10)), 50.0)
        base = KernelClassifier().fit(short_takes[:49], [f"g{i % 10}" for i in range(49)])
        copies = [copy.deepcopy(base) for _ in range(max(3, args.iterations // 20))]
        wall, cpu = [], []
        for clf in copies:  # each time 49 takes enrolled, the 50th added
            w, c = time.perf_counter(), time.thread_time()
            clf.add_take(short_takes[49], "g9")
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - w)
        _report("add_take as the 50th take", (1e3 * float(np.percentile(wall, 50)), 1e3 * float(np.percentile(wall, 95)),
                                             1e3 * float(np.percentile(cpu, 50))), 50.0)
        _onnx(fitted, args.iterations)
    return 0


def _onnx(fitted: dict, iterations: int) -> None:
    try:
        import onnxruntime as ort

        from studio.recognition.kernels_onnx import kernel_graph
    except ImportError:
        print("onnxruntime not installed: no ONNX timings")
        return
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    for seconds, (features, window) in fitted.items():
        session = ort.InferenceSession(kernel_graph(features).SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
        feed = {"x": window[0][None], "mask": np.ones((1, len(window[0])), np.float32)}
        _report(f"onnxruntime: one {seconds:g} s window", _time(lambda: session.run(None, feed), iterations), 2.0)
