"""``studio bench model``: encoder latency per window on one core, and how long adding a class takes."""

from __future__ import annotations

import argparse
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iterations", type=int, default=300, help="windows to time (after 20 warm-up)")
    parser.add_argument("--model", default=None, help="checkpoint folder (default: shipped weights)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the target is for one core)")


def _ms(fn, n: int) -> tuple[float, float]:
    """(wall ms, CPU ms) per call; CPU time is what one core spends, independent of other load."""
    for _ in range(min(20, n)):
        fn()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1e3, (time.process_time() - c) / n * 1e3


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from studio import synth
    from studio.model import load_model
    from studio.recognition.recogniser import Recogniser

    torch.set_num_threads(args.threads)
    model = load_model(args.model)
    rng = np.random.default_rng(0)
    window = synth.render_gesture("circle_cw", rng, 100.0)
    batch = model.preprocess([window], rate_hz=100.0)
    x, valid, chan = (torch.from_numpy(a) for a in (batch.x, batch.valid, batch.chan))
    n = max(1, args.iterations)
    with torch.inference_mode():
        net_ms = _ms(lambda: model.net.embed_motion(x, valid, chan), n)
    pre_ms = _ms(lambda: model.preprocess([window], rate_hz=100.0), n)
    full_ms = _ms(lambda: model.embed([window], rate_hz=100.0), n)
    params = sum(p.numel() for p in model.net.parameters())
    print(f"threads: {args.threads}; parameters: {params}; window: {model.window_s} s at {model.rate_hz:g} Hz")
    for label, (wall, cpu) in (("encoder", net_ms), ("preprocess", pre_ms), ("embed (preprocess + encoder)", full_ms)):
        print(f"{label} ms/window: wall {wall:.3f}, cpu {cpu:.3f}")
    t = time.perf_counter()
    model.warm_up()
    print(f"text encoder warm-up s: {time.perf_counter() - t:.2f}")
    rec = Recogniser(model)
    takes = [synth.render_gesture("shake", rng, 100.0) for _ in range(5)]
    t = time.perf_counter()
    rec.set_class("shake", "shake the device", takes, 100.0)
    print(f"set_class (5 takes, new text) s: {time.perf_counter() - t:.3f}")
    return 0
