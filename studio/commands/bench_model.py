"""``studio bench model``: the model's costs on one core, against issue 11's targets.

- encoder latency per window (p50/p95, wall and CPU) for 1, 2, 4 and 8 s windows, torch and onnxruntime
  (target: p95 <= 3 ms for windows up to 8 s);
- kernel-model features per window (the recogniser's second source);
- memory of the loaded model (RSS growth of loading it, torch and ONNX; target <= 100 MB);
- enrolment: take accepted -> recogniser updated, per take up to 10 gestures x 5 takes (target <= 50 ms);
- refine: encoder fine-tuning for 10 gestures x 5 takes (target <= 10 s on one core).
"""

from __future__ import annotations

import argparse
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iterations", type=int, default=200, help="windows timed per length (after warm-up)")
    parser.add_argument("--model", default=None, help="checkpoint folder (default: shipped weights)")
    parser.add_argument("--short", action="store_true", help="quick run: fewer iterations, no refine")


def _times(fn, n: int) -> tuple:
    """(wall ms p50, p95, CPU ms p50) per call."""
    import numpy as np

    for _ in range(min(10, n)):
        fn()
    wall, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.thread_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.thread_time() - c)
    return np.median(wall) * 1e3, np.percentile(wall, 95) * 1e3, np.median(cpu) * 1e3


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from studio import synth
    from studio.model import load_model
    from studio.model.onnx_model import load_inference_model, onnx_files_present
    from studio.model.motion_model import SHIPPED
    from studio.recognition.recogniser import Recogniser
    from studio.recognition.sources import KernelSource, kernel_input

    torch.set_num_threads(1)
    n = 30 if args.short else max(1, args.iterations)
    folder = args.model or SHIPPED
    before = _rss_mb()
    model = load_model(folder, threads=1)
    torch_mb = _rss_mb() - before
    params = sum(p.numel() for p in model.net.parameters())
    onnx = None
    onnx_mb = float("nan")
    if onnx_files_present(folder):
        before = _rss_mb()
        onnx = load_inference_model(folder)
        onnx_mb = _rss_mb() - before
    print(f"model: {params} parameters, {params * 4 / 2**20:.1f} MB of weights; one core (torch and BLAS 1 thread)")
    print(f"loading the model grew RSS by: torch {torch_mb:.0f} MB (torch already imported), "
          f"onnxruntime {onnx_mb:.0f} MB")
    rng = np.random.default_rng(0)
    channels = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    kernel = KernelSource(model.preset.pre)
    kernel.fit([kernel_input(synth.render_gesture(g, rng, 100.0), channels, 100.0, model.preset.pre)
                for g in ("shake", "circle_cw", "swipe_left", "tap")])
    print(f"{'window':>8} {'torch p50/p95 ms':>18} {'onnx p50/p95 ms':>17} {'kernels p50/p95 ms':>19}")
    for seconds in (1.0, 2.0, 4.0, 8.0):
        window = synth.render_idle(rng, seconds, 100.0, kind="fidget")
        batch = model.preprocess([window], rate_hz=100.0)
        x, valid, chan = (torch.from_numpy(a) for a in (batch.x, batch.valid, batch.chan))
        with torch.inference_mode():
            t_torch = _times(lambda: model.net.embed_motion(x, valid, chan), n)
        t_onnx = _times(lambda: onnx.features_batch(batch), n) if onnx else (float("nan"),) * 3
        k_in = [kernel_input(window, channels, 100.0, model.preset.pre)]
        t_kernel = _times(lambda: kernel.raw(k_in), n)
        print(f"{seconds:7.0f}s {t_torch[0]:8.2f} /{t_torch[1]:6.2f}   {t_onnx[0]:7.2f} /{t_onnx[1]:6.2f}"
              f"   {t_kernel[0]:8.2f} /{t_kernel[1]:6.2f}")
    print("(encoder only, preprocessed input; CPU time tracks wall time when the machine is quiet)")

    rec = Recogniser(onnx or model)
    names = list(synth.GESTURES)[:10]
    takes = {g: [synth.render_gesture(g, rng, 100.0) for _ in range(5)] for g in names}
    rec.model.embed_text([synth.GESTURES[g].description for g in names])  # descriptions cached, as a project has them
    rec.calibrate_default()
    per_take = []
    for i in range(5):
        for g in names:
            t = time.perf_counter()
            rec.set_class(g, synth.GESTURES[g].description, takes[g][: i + 1], 100.0)
            rec.class_info(g)  # forces the refresh a take's acceptance triggers
            per_take.append(time.perf_counter() - t)
    per_take = np.array(per_take) * 1e3
    print(f"enrolment, take accepted -> recogniser updated ({len(names)} gestures x 5 takes, "
          f"{'onnx' if onnx else 'torch'}): p50 {np.median(per_take):.1f} ms, p95 {np.percentile(per_take, 95):.1f} ms, "
          f"max {per_take.max():.1f} ms (kernel refits when the takes double)")
    if not args.short:
        rec_t = Recogniser(model)
        for g in names:
            rec_t.set_class(g, synth.GESTURES[g].description, takes[g], 100.0)
        rec_t.class_info(names[0])
        t = time.perf_counter()
        kept = rec_t.refine()
        print(f"refine, {len(names)} gestures x 5 takes: {time.perf_counter() - t:.1f} s "
              f"({'kept' if kept else 'not kept'}: {rec_t.last_refine})")
    return 0
