"""``studio bench synth``: how fast the generator makes training data on one core.

Prints the time for ``--count`` samples of each generator (2 s windows by default).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from studio.synth import Domain, render_gesture, render_idle, sample_pair, sample_unlabeled
from studio.synth.render import GESTURES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=int, default=1000, help="samples per generator (default 1000)")
    parser.add_argument("--seconds", type=float, default=2.0, help="window length for unlabeled/idle (default 2)")
    parser.add_argument("--rate", type=float, default=100.0, help="output rate in Hz (default 100)")
    parser.add_argument("--short", action="store_true", help="100 samples only (CI smoke run)")


def run(args: argparse.Namespace) -> int:
    count = 100 if args.short else args.count
    names = list(GESTURES)
    rate, secs, heavy = args.rate, args.seconds, Domain.heavy()
    cases = {
        "render_gesture (default domain)": lambda rng, i: render_gesture(names[i % len(names)], rng, rate),
        "sample_pair (default domain)": lambda rng, i: sample_pair(rng, rate)[0],
        "sample_pair (heavy domain)": lambda rng, i: sample_pair(rng, rate, heavy)[0],
        f"sample_unlabeled ({secs:g} s, default)": lambda rng, i: sample_unlabeled(rng, rate, seconds=secs),
        f"sample_unlabeled ({secs:g} s, heavy)": lambda rng, i: sample_unlabeled(rng, rate, heavy, secs),
        f"render_idle ({secs:g} s)": lambda rng, i: render_idle(rng, secs, rate),
    }
    print(f"synthetic generator, {count} samples each at {args.rate:g} Hz, one process")
    for label, make in cases.items():
        rng = np.random.default_rng(0)
        start, cpu, frames = time.perf_counter(), time.process_time(), 0
        for i in range(count):
            frames += make(rng, i).shape[0]
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"{label:36s} {wall:6.2f} s wall  {cpu:6.2f} s cpu  {1000 * wall / count:5.2f} ms/sample  "
              f"{frames / wall / 1e3:7.1f} k frames/s")
    return 0
