"""``studio bench enrol``: how fast a new take reaches the recogniser, and how often idle motion fires.

1. Enrolment: takes are added one at a time, as in the recorder: the take is committed to a real project
   file, then its gesture's class is rebuilt (``Recogniser.set_class``). Timed from "take accepted" to
   "recogniser updated"; p50 and max in ms (target: under a second).
2. False triggers: the LiveRecogniser runs non-realtime over simulated ordinary movement (holding still,
   fidgeting, walking, in the synthesiser's proportions) at the default sensitivity, after a one-minute
   calibration on different ordinary movement; reported per 10 minutes. For context, the same recogniser
   also runs over gestures performed by the simulator (recall at that sensitivity).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from studio.commands.bench_latency import GESTURES, load_bench_model

RATE = 100.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--short", action="store_true", help="quick run: 1 idle minute, 2 takes per gesture")
    parser.add_argument("--idle-minutes", type=float, default=10.0, help="simulated ordinary movement (min)")
    parser.add_argument("--takes", type=int, default=5, help="takes per gesture")
    parser.add_argument("--sensitivity", type=float, default=0.5, help="recogniser sensitivity (default 0.5)")
    parser.add_argument("--model", default=None, help="model checkpoint folder (default: shipped weights)")
    parser.add_argument("--json", metavar="OUT", default=None, help="write the numbers as JSON")
    parser.add_argument("--seed", type=int, default=0)


def _enrol(model, takes_per_gesture: int, rng) -> tuple[object, list[float]]:
    """Add takes one by one to a project and the recogniser; returns (recogniser, ms per take)."""
    from studio import synth
    from studio.project import Project
    from studio.recognition.recogniser import Recogniser
    from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS

    units = [CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS]
    rec = Recogniser(model)
    times: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        project = Project.create(Path(folder) / "bench.gesture")
        try:
            gestures = {name: project.add_gesture(name, synth.GESTURES[name].description) for name in GESTURES}
            for name, g in gestures.items():
                rec.set_class(name, g.description, [], RATE)  # from text, before any take
            for _ in range(takes_per_gesture):
                for name, g in gestures.items():
                    x = synth.render_gesture(name, rng, RATE)
                    start = time.perf_counter()  # the user pressed "accept"
                    project.add_take(g.id, x, RATE, CANONICAL_CHANNELS, units)
                    takes = [t.trimmed() for t in project.takes(g.id)]
                    rec.set_class(name, g.description, takes, RATE)
                    times.append((time.perf_counter() - start) * 1000)
        finally:
            project.close()
    return rec, times


def _calibration_windows(rng, seconds: float = 60.0, window_s: float = 3.0) -> list[np.ndarray]:
    """One minute of ordinary movement cut into overlapping windows, as the GUI's calibration does."""
    from studio import synth

    x = np.concatenate([synth.render_idle(rng, seconds / 3, RATE, kind=k) for k in ("still", "fidget", "walk")])
    n, hop = int(window_s * RATE), int(window_s * RATE / 2)
    return [x[i:i + n] for i in range(0, len(x) - n + 1, hop)]


def _idle_events(rec, minutes: float, rng) -> tuple[int, int, float]:
    """(events, movements proposed, simulated seconds) over ordinary movement in 60 s segments."""
    from studio import synth
    from studio.recognition.live import LiveRecogniser

    events = candidates = 0
    total = 0.0
    segments = max(1, int(round(minutes)))
    for _ in range(segments):
        out: list = []
        seen: list = []
        live = LiveRecogniser(rec, RATE, on_event=out.append, on_candidate=seen.append)
        x = synth.render_idle(rng, 60.0 * minutes / segments, RATE)
        t = np.arange(len(x)) / RATE
        for i in range(0, len(x), 5):
            live.push(t[i:i + 5], x[i:i + 5])
        events += len(out)
        candidates += len(seen)
        total += len(x) / RATE
    return events, candidates, total


def _recall(rec, per_gesture: int, seed: int) -> tuple[int, int]:
    from studio.devices.simulator import SimulatedIMU
    from studio.recognition.live import LiveRecogniser

    sim = SimulatedIMU(RATE, seed=seed, realtime=False)
    sim.open()
    live = LiveRecogniser(rec, RATE)

    def stream(seconds: float) -> None:
        for _ in range(int(seconds * RATE / sim.chunk)):
            live.feed(sim.read())

    stream(2.0)
    for _ in range(per_gesture):
        for name in GESTURES:
            sim.perform(name)
            stream(4.0)
    truth = [(n, sim._t0 + a / RATE, sim._t0 + b / RATE) for n, a, b in sim.performed()]
    correct = sum(any(e.gesture == n and e.t_start < b and e.t_end > a for e in live.events) for n, a, b in truth)
    return correct, len(truth)


def run(args: argparse.Namespace) -> int:
    import torch

    torch.set_num_threads(1)
    if args.short:
        args.idle_minutes, args.takes = min(args.idle_minutes, 1.0), min(args.takes, 2)
    problems = [text for bad, text in (
        (args.takes < 1, "--takes must be 1 or more"),
        (not (math.isfinite(args.idle_minutes) and args.idle_minutes > 0), "--idle-minutes must be positive"),
        (not 0.0 <= args.sensitivity <= 1.0, "--sensitivity must be between 0 and 1")) if bad]
    if problems:
        print(f"studio bench enrol: {'; '.join(problems)}.", file=sys.stderr)
        return 2
    from studio.model.checkpoint import CheckpointError

    rng = np.random.default_rng(args.seed)
    try:
        model, model_name = load_bench_model(args.model)
    except CheckpointError as err:
        print(f"studio bench enrol: {err}", file=sys.stderr)
        return 2
    model.embed_text([f"warm-up {name}" for name in GESTURES])  # load MiniLM outside the timing
    rec, times = _enrol(model, args.takes, rng)
    a = np.asarray(times)
    print(f"enrol benchmark: model {model_name}, {len(GESTURES)} gestures x {args.takes} takes")
    print(f"take accepted -> recogniser updated: p50 {np.percentile(a, 50):.1f} ms  max {a.max():.1f} ms "
          f"(n={a.size}; target < 1000 ms: {'met' if a.max() < 1000 else 'NOT met'})")
    rec.calibrate(_calibration_windows(np.random.default_rng(args.seed + 1)), RATE)
    rec.sensitivity = args.sensitivity
    events, candidates, seconds = _idle_events(rec, args.idle_minutes, np.random.default_rng(args.seed + 2))
    per10 = events * 600.0 / seconds
    print(f"idle: {events} false triggers in {seconds / 60:.1f} simulated minutes of ordinary movement "
          f"({candidates} movements proposed) = {per10:.2f} per 10 min at sensitivity {args.sensitivity:g}")
    correct, performed = _recall(rec, 1 if args.short else 3, args.seed + 3)
    print(f"same settings, simulator-performed gestures: {correct}/{performed} recognised correctly")
    result = {"enrol_p50_ms": round(float(np.percentile(a, 50)), 2), "enrol_max_ms": round(float(a.max()), 2),
              "enrol_n": int(a.size), "false_triggers_per_10min": round(per10, 3), "idle_events": events,
              "idle_movements": candidates, "idle_minutes": round(seconds / 60, 2),
              "sensitivity": args.sensitivity, "recall": f"{correct}/{performed}", "model": model_name}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0
