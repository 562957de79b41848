"""``studio bench live``: the stream as a performer or an all-day user lives it, through `studio live`'s own
pipeline (project file -> ``build_recogniser`` -> :class:`studio.live_cmd.LivePipeline` on replayed
recordings, shipped model on onnxruntime, one thread).

The project: 6 gestures, each its description plus 5 takes recorded from the simulator as the recorder
does (4 s from the moment the gesture is requested, auto-trimmed), rejection calibrated as `studio live`
does for a project without negatives. Then, each stream written as a recording and replayed at speed=0
(every decision runs on sample time, so the events are those of real time):

1. Performances: fresh simulator performances (another seed) of the 6 gestures with 3 s of idle between,
   scored against the simulator's ground truth: right (the first event overlapping a performance names
   it), wrong, missed, fired more than once; movement end -> event latency p50/p95 (the quiet the
   segmenter waits for, plus compute; a device's transport delay comes on top).
2. Simulated ordinary movement: ``--idle-minutes`` (default 60) of holding still, fidgeting and walking in
   random one-minute stretches joined by 1 s blends, with the device picked up every few minutes;
   false triggers per hour.
3. Real recordings of ordinary movement that ship with the packages: BasicMotions' test part (standing,
   walking, running, badminton; 10 s each, 10 Hz, resampled; its train part is among the default
   calibration negatives) and aeon's Daphnet walking (3 accelerometers, 64 Hz,
   ~110 s each, accelerometer only); each recording streamed on its own; false triggers per hour.
4. The idle recording replayed through the real `studio live` command: wall time (target: an hour of
   recording in under 2 minutes) and its events (must equal step 2's).

Targets: >= 95 % right, <= 2 % wrong, each fired once; <= 1 false trigger per hour; latency p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from studio.commands.bench_latency import GESTURES
from studio.signals.stream import CANONICAL_CHANNELS as CANON

RATE = 100.0
TAKE_S = 4.0
GAP_BETWEEN_S = 3.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--short", action="store_true", help="quick run: 2 takes, 12 performances, 5 idle minutes")
    parser.add_argument("--takes", type=int, default=5, help="takes per gesture")
    parser.add_argument("--performances", type=int, default=60, help="performances in the performance stream")
    parser.add_argument("--idle-minutes", type=float, default=60.0, help="simulated ordinary movement (min)")
    parser.add_argument("--sensitivity", type=float, default=None, help="0..1 (default: the recogniser's)")
    parser.add_argument("--model", default=None, help="model checkpoint folder (default: shipped weights)")
    parser.add_argument("--no-cli", action="store_true", help="skip replaying through the studio live command")
    parser.add_argument("--json", metavar="OUT", default=None, help="write the numbers as JSON")
    parser.add_argument("--seed", type=int, default=0)


# -- the project ------------------------------------------------------------------------------------------

def make_project(path: Path, takes: int, seed: int):
    """A project file with the bench's gestures, each with ``takes`` auto-trimmed simulator takes."""
    from studio import synth
    from studio.devices.simulator import SimulatedIMU
    from studio.project import Project
    from studio.signals.nucleus import auto_trim
    from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS

    units = [CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS]
    sim = SimulatedIMU(RATE, seed=seed, realtime=False)
    sim.open()
    _read(sim, 1.5)
    project = Project.create(path)
    for name in GESTURES:
        g = project.add_gesture(name, synth.GESTURES[name].description)
        for _ in range(takes):
            sim.perform(name)
            _, x = _read(sim, TAKE_S)
            project.add_take(g.id, x, RATE, CANONICAL_CHANNELS, units, device="simulator",
                             trim=auto_trim(x, RATE, CANONICAL_CHANNELS))
            _read(sim, 1.0)
    return project


def _read(sim, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    chunks = [sim.read() for _ in range(int(round(seconds * RATE / sim.chunk)))]
    return np.concatenate([c.t for c in chunks]), np.concatenate([c.data for c in chunks])


# -- the streams ------------------------------------------------------------------------------------------

def performance_stream(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[tuple[str, float, float]]]:
    """(t from 0, data, [(gesture, start s, end s)]): ``n`` simulator performances, idle between."""
    from studio.devices.simulator import SimulatedIMU

    sim = SimulatedIMU(RATE, seed=seed, realtime=False)
    sim.open()
    parts = [_read(sim, 2.0)]
    order = [GESTURES[i % len(GESTURES)] for i in range(n)]
    np.random.default_rng(seed).shuffle(order)
    for name in order:
        sim.perform(name)
        parts.append(_read(sim, GAP_BETWEEN_S + 1.5))
    t = np.concatenate([p[0] for p in parts])
    t0 = float(t[0])
    truth = [(name, sim._t0 + a / RATE - t0, sim._t0 + b / RATE - t0) for name, a, b in sim.performed()]
    return t - t0, np.concatenate([p[1] for p in parts]), truth


def ordinary_stream(minutes: float, seed: int) -> np.ndarray:
    """Simulated ordinary movement: one-minute stretches of still / fidget / walk, 1 s blends between
    them, and the device picked up (the catalogue's pick-up, never enrolled here) now and then."""
    from studio import synth

    rng = np.random.default_rng(seed)
    blend = int(RATE)
    out: list[np.ndarray] = []
    for k in range(max(1, int(math.ceil(minutes)))):
        seconds = min(60.0, minutes * 60.0 - 60.0 * k)
        x = synth.render_idle(rng, max(seconds, 2.0), RATE)
        if k % 4 == 3:  # picking the device up at a random moment of this minute
            pick = synth.render_gesture("pick_up", rng, RATE)
            at = int(rng.integers(blend, max(blend + 1, len(x) - len(pick) - blend)))
            x[at:at + len(pick)] += pick[: len(x) - at] - pick[:1]
        if out:  # a smooth change from the last stretch's posture to this one's
            w = np.linspace(0.0, 1.0, blend, dtype=np.float32)[:, None]
            x[:blend] = (1 - w) * out[-1][-1] + w * x[:blend]
        out.append(x)
    return np.concatenate(out).astype(np.float32)


def real_ordinary() -> list[tuple[str, np.ndarray, tuple[str, ...]]]:
    """(name, series at RATE, channels) for every real ordinary-movement recording the packages ship."""
    from studio.recognition.datasets import load_npz
    from studio.recognition.real_sets import daphnet_walking
    from studio.shipped import resource_path
    from studio.signals.units import resample_uniform

    out = []
    path = Path(resource_path("sample_sets")) / "basic_motions.npz"
    if path.is_file():  # the test part only: the train part calibrates rejection (recognition.negatives)
        data = load_npz(path)
        for i, (x, label, part) in enumerate(zip(data.X, data.y, data.split)):
            if part == "test":
                out.append((f"BasicMotions {label} #{i}", resample_uniform(x, data.rate_hz, RATE), data.channels))
    try:
        series, channels, rate = daphnet_walking()
    except (OSError, ImportError):
        series = []
    for name, x in zip(("ankle", "thigh", "trunk"), series):
        out.append((f"Daphnet walking ({name})", resample_uniform(x, rate, RATE), channels))
    return out


def replay(rec, t: np.ndarray, x: np.ndarray, channels, folder: Path, name: str):
    """Stream a recording through studio live's LivePipeline as `studio live` does (a ReplaySource at
    speed=0, its chunks as they come); returns (pipeline, recording path)."""
    from types import SimpleNamespace

    from studio.devices.replay import ReplaySource
    from studio.live_cmd import LivePipeline

    path = folder / f"{name}.npz"
    np.savez(path, t=t, data=x, channels=np.array(channels))
    source = ReplaySource(str(path), speed=0)
    source.open()
    pipeline = LivePipeline(rec, None, log=lambda _text: None)
    pipeline.runner = SimpleNamespace(source=source)  # the pipeline reads the rate and channels from it
    while not source.finished:
        chunk = source.read(0.0)
        if chunk is not None:
            pipeline.on_chunk(chunk)
    pipeline.finish()
    return pipeline, path


# -- scoring ----------------------------------------------------------------------------------------------

def score_performances(events, truth, slack_s: float = 0.5) -> dict:
    """Match events to performances by overlap of the event's movement with the performance."""
    right = wrong = missed = repeated = 0
    used: set[int] = set()
    latencies = []
    misses: dict[str, int] = {}
    for name, a, b in truth:
        hits = [i for i, e in enumerate(events) if e.move_start < b + slack_s and e.move_end > a - slack_s]
        used.update(hits)
        if not hits:
            missed += 1
            misses[name] = misses.get(name, 0) + 1
            continue
        repeated += len(hits) > 1
        first = events[hits[0]]
        if first.gesture == name:
            right += 1
            latencies.append(first.felt_latency_s * 1000)
        else:
            wrong += 1
            misses[name] = misses.get(name, 0) + 1
    stray = len(events) - len(used)
    n = max(1, len(truth))
    lat = np.asarray(latencies) if latencies else np.zeros(1)
    return {"performed": len(truth), "right": right, "wrong": wrong, "missed": missed, "fired_twice": repeated,
            "stray_events": stray, "not_right_by_gesture": misses, "right_pct": round(100 * right / n, 1), "wrong_pct": round(100 * wrong / n, 1),
            "latency_p50_ms": round(float(np.percentile(lat, 50)), 1),
            "latency_p95_ms": round(float(np.percentile(lat, 95)), 1)}


def _cli_replay(project_path: Path, recording: Path, model, sensitivity) -> tuple[float, int | None, str]:
    """Run `studio live` on a recording at speed=0: (wall seconds, events, its summary line)."""
    cmd = [sys.executable, "-m", "studio", "live", str(project_path), "--device", f"replay://{recording}?speed=0",
           "--heartbeat", "0"]
    cmd += ["--model", str(model)] if model else []
    cmd += ["--sensitivity", str(sensitivity)] if sensitivity is not None else []
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    wall = time.perf_counter() - start
    summary = next((line for line in proc.stdout.splitlines() if "summary:" in line), proc.stderr.strip()[-300:])
    events = int(summary.split("summary: ")[1].split(" events")[0]) if "summary: " in summary else None
    return wall, events, summary


# -- the command ------------------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    if args.short:
        args.takes, args.performances, args.idle_minutes = min(args.takes, 2), min(args.performances, 12), \
            min(args.idle_minutes, 5.0)
    problems = [text for bad, text in (
        (args.takes < 1, "--takes must be 1 or more"), (args.performances < 1, "--performances must be 1 or more"),
        (not (math.isfinite(args.idle_minutes) and args.idle_minutes > 0), "--idle-minutes must be positive"),
        (args.sensitivity is not None and not 0.0 <= args.sensitivity <= 1.0,
         "--sensitivity must be between 0 and 1")) if bad]
    if problems:
        print(f"studio bench live: {'; '.join(problems)}.", file=sys.stderr)
        return 2
    from studio.live_cmd import build_recogniser
    from studio.model.checkpoint import CheckpointError
    from studio.model.onnx_model import load_inference_model

    try:
        model = load_inference_model(args.model, threads=1)
    except CheckpointError as err:
        print(f"studio bench live: {err}", file=sys.stderr)
        return 2
    result: dict = {"model": type(model).__name__, "takes": args.takes}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = make_project(folder / "bench.gesture", args.takes, args.seed)
        try:
            rec, gestures = build_recogniser(project, model, args.sensitivity)
        finally:
            project.close()
        result["sensitivity"] = rec.sensitivity
        print(f"live benchmark: {type(model).__name__}, {len(gestures)} gestures x {args.takes} simulator takes, "
              f"sensitivity {rec.sensitivity:g}")

        t, x, truth = performance_stream(args.performances, args.seed + 1)
        pipeline, _ = replay(rec, t, x, CANON, folder, "performances")
        perf = score_performances(pipeline.live.events, truth)
        result["performances"] = perf
        print(f"performances: {perf['right']}/{perf['performed']} right ({perf['right_pct']} %; target >= 95), "
              f"{perf['wrong']} wrong ({perf['wrong_pct']} %; target <= 2), {perf['missed']} missed, "
              f"{perf['fired_twice']} fired more than once, {perf['stray_events']} events outside performances; "
              f"not taken: {pipeline.not_taken}; not right, by gesture: {perf['not_right_by_gesture'] or 'none'}")
        print(f"movement end -> event: p50 {perf['latency_p50_ms']} ms, p95 {perf['latency_p95_ms']} ms "
              f"(target p95 <= 100 ms)")

        x = ordinary_stream(args.idle_minutes, args.seed + 2)
        t = np.arange(len(x)) / RATE
        start = time.perf_counter()
        pipeline, idle_path = replay(rec, t, x, CANON, folder, "ordinary")
        inproc_s = time.perf_counter() - start
        hours = len(x) / RATE / 3600
        sim_fph = pipeline.n_events / hours
        result["simulated_ordinary"] = {"minutes": round(len(x) / RATE / 60, 1), "false_triggers": pipeline.n_events,
                                        "per_hour": round(sim_fph, 2), "not_taken": pipeline.not_taken,
                                        "gestures": pipeline.per_gesture, "processing_s": round(inproc_s, 1)}
        print(f"simulated ordinary movement: {pipeline.n_events} false triggers in {len(x) / RATE / 60:.1f} min = "
              f"{sim_fph:.2f} per hour (target <= 1); {pipeline.per_gesture or 'none'}; "
              f"not taken: {pipeline.not_taken}; processed in {inproc_s:.1f} s")

        real_events, real_s, per_source = 0, 0.0, {}
        for name, series, channels in real_ordinary():
            p, _ = replay(rec, np.arange(len(series)) / RATE, series, tuple(channels), folder, "real")
            real_events += p.n_events
            real_s += len(series) / RATE
            group = name.split(" #")[0]
            n, s = per_source.get(group, (0, 0.0))
            per_source[group] = (n + p.n_events, s + len(series) / RATE)
        if real_s:
            real_fph = real_events * 3600 / real_s
            result["real_ordinary"] = {"seconds": round(real_s, 1), "false_triggers": real_events,
                                       "per_hour": round(real_fph, 1),
                                       "by_recording": {k: {"false_triggers": n, "seconds": round(s, 1)}
                                                        for k, (n, s) in per_source.items()}}
            print(f"real ordinary movement: {real_events} false triggers in {real_s / 60:.1f} min = "
                  f"{real_fph:.1f} per hour (target <= 1)")
            for k, (n, s) in per_source.items():
                print(f"  {k}: {n} in {s:.0f} s")
        else:
            print("real ordinary movement: no recordings available")

        if not args.no_cli:
            wall, events, summary = _cli_replay(folder / "bench.gesture", idle_path, args.model, args.sensitivity)
            result["studio_live_replay"] = {"minutes": round(len(x) / RATE / 60, 1), "wall_s": round(wall, 1),
                                            "events": events, "same_events": events == pipeline.n_events}
            print(f"studio live on the {len(x) / RATE / 60:.0f}-minute recording at speed=0: {wall:.1f} s wall "
                  f"(target for 60 min: < 120 s); {summary[summary.find('summary:'):]}"
                  + ("" if events == pipeline.n_events else " - DIFFERENT from the in-process run"))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0

