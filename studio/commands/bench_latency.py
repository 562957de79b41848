"""``studio bench latency``: end-to-end gesture latency through the real device layer.

A realtime SimulatedIMU (or, with ``--pty``, the same samples written as CSV into a socat pty and read
back by the serial source) performs gestures at intervals; a StreamRunner thread feeds the chunks into a
LiveRecogniser using the shipped model. Per recognised gesture we measure the time from the arrival of
the chunk holding the sample that completed it (when the runner handed it over) to the emitted event.
Printed: p50/p95/max ms; ``--json OUT`` writes {"p50_ms", "p95_ms", "max_ms", "n", ...}. Target: p95 <=
15 ms on one core (the process is pinned to one CPU and torch to one thread unless ``--cores 0``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

GESTURES = ("circle_cw", "shake", "swipe_left", "flick_up", "twist", "letter_z")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to stream (default 60)")
    parser.add_argument("--interval", type=float, default=2.5, help="seconds between performed gestures")
    parser.add_argument("--json", metavar="OUT", default=None, help="write the numbers as JSON")
    parser.add_argument("--plot", action="store_true", help="run the live plot at the same time (offscreen)")
    parser.add_argument("--pty", action="store_true", help="route samples through a socat pty and the serial source")
    parser.add_argument("--onnx", action="store_true", help="run the encoder through onnxruntime")
    parser.add_argument("--model", default=None, help="model checkpoint folder (default: shipped weights)")
    parser.add_argument("--rate", type=float, default=100.0, help="device sample rate in Hz")
    parser.add_argument("--cores", type=int, default=1, help="CPUs to pin the process to (0 = leave as is)")
    parser.add_argument("--seed", type=int, default=0)


def _pin(cores: int) -> str:
    import torch

    torch.set_num_threads(max(1, cores) if cores else torch.get_num_threads())
    if cores and hasattr(os, "sched_setaffinity"):
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, set(allowed[:cores]))
        return f"pinned to CPU {allowed[:cores]}"
    return "not pinned"


def load_bench_model(path):
    """The shipped model (or ``path``); without shipped weights, an untrained network of the shipped size
    (the latency does not depend on the weights' values) and a note saying so."""
    from studio.model import load_model
    from studio.model.checkpoint import CheckpointError

    try:
        return load_model(path), "shipped" if path is None else str(path)
    except CheckpointError:
        if path is not None:
            raise
        from studio.model.config import PRESETS
        from studio.model.encoder import MotionTextModel
        from studio.model.motion_model import MotionModel

        preset = PRESETS["shipped"]
        return MotionModel(MotionTextModel(preset.model), preset), "untrained shipped architecture (no weights)"


def build_recogniser(model, rate: float, seed: int, names=GESTURES):
    """Three takes per gesture from the synthesiser, calibrated on generated ordinary movement."""
    from studio import synth
    from studio.recognition.recogniser import Recogniser

    rng = np.random.default_rng(seed)
    rec = Recogniser(model)
    for name in names:
        rec.set_class(name, synth.GESTURES[name].description,
                      [synth.render_gesture(name, rng, rate) for _ in range(3)], rate)
    rec.calibrate_default(seed=seed)
    return rec


class PtyBridge:
    """Plays a realtime simulator into one end of a socat pty pair as CSV lines; the other end is a
    serial device for the studio's serial source."""

    def __init__(self, sim) -> None:
        if shutil.which("socat") is None:
            raise RuntimeError("--pty needs socat (apt install socat)")
        self.sim = sim
        self.dir = Path(tempfile.mkdtemp(prefix="studio-pty-"))
        self.dev, self.feed = self.dir / "dev", self.dir / "feed"
        self.proc = subprocess.Popen(["socat", f"pty,raw,echo=0,link={self.dev}",
                                      f"pty,raw,echo=0,link={self.feed}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (self.dev.exists() and self.feed.exists()):
            if time.monotonic() > deadline:
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.02)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._write, name="pty-writer", daemon=True)

    def start(self) -> None:
        self.sim.open()
        self.thread.start()

    def _write(self) -> None:
        fd = os.open(self.feed, os.O_WRONLY | os.O_NOCTTY)
        try:
            while not self.stop.is_set():
                chunk = self.sim.read(0.05)
                if chunk is not None and len(chunk):
                    os.write(fd, "".join(",".join(f"{v:.5f}" for v in row) + "\n" for row in chunk.data).encode())
        except OSError:
            pass
        finally:
            os.close(fd)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.proc.terminate()
        self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


def _percentiles(ms: list[float]) -> dict:
    if not ms:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None, "n": 0}
    a = np.asarray(ms)
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p95_ms": round(float(np.percentile(a, 95)), 3),
            "max_ms": round(float(a.max()), 3), "n": int(a.size)}


def _run_plot(seconds: float, runner, rate: float) -> None:
    """Run the live plot offscreen on this (main) thread for ``seconds``, fed from the runner.

    This command sits above the ui layer, so it may import it; it does so only on this opt-in path, so
    the benchmark without ``--plot`` loads no Qt.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from studio.ui.app import application
    from studio.ui.live_plot import LivePlot

    from studio.signals.ringbuffer import RingBuffer
    from studio.signals.stream import StreamInfo

    app = application()
    buffer = RingBuffer(int(rate * 60), 6)
    runner.add_chunk_listener(lambda chunk: buffer.push(chunk.t, chunk.data))
    plot = LivePlot(10.0)
    plot.resize(1280, 720)
    plot.set_stream(StreamInfo(rate_hz=rate, device="benchmark"), buffer)
    plot.show()
    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(plot.refresh)
    timer.start()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    timer.stop()
    plot.close()


def run(args: argparse.Namespace) -> int:
    from studio.devices.runner import StreamRunner
    from studio.devices.simulator import SimulatedIMU
    from studio.recognition.live import LiveRecogniser

    for name in ("seconds", "interval", "rate"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value > 0):
            print(f"studio bench latency: --{name} must be a positive number, not {value}.", file=sys.stderr)
            return 2
    from studio.model.checkpoint import CheckpointError

    pinning = _pin(args.cores)
    try:
        model, model_name = load_bench_model(args.model)
    except CheckpointError as err:
        print(f"studio bench latency: {err}", file=sys.stderr)
        return 2
    if args.onnx:
        from studio.model.export import use_onnx

        use_onnx(model)
    t0 = time.perf_counter()
    rec = build_recogniser(model, args.rate, args.seed)
    print(f"latency benchmark: model {model_name}{' via onnxruntime' if args.onnx else ''}, "
          f"{len(rec.classes)} gestures enrolled in {time.perf_counter() - t0:.1f} s, {pinning}", flush=True)

    sim = SimulatedIMU(args.rate, seed=args.seed, realtime=True)
    bridge = None
    if args.pty:
        from studio.devices.registry import open_source

        bridge = PtyBridge(sim)
        source = open_source(f"serial://{bridge.dev}?format=csv&rate={args.rate:g}")
    else:
        source = sim
    candidates: list[float] = []
    live = LiveRecogniser(rec, args.rate, on_candidate=lambda c: candidates.append(time.perf_counter()))
    feed_cost: list[float] = []

    def on_chunk(chunk) -> None:
        start = time.perf_counter()
        n_before = len(candidates)
        live.feed(chunk, arrival=start)
        if len(candidates) == n_before:  # chunks that only updated the segmentation
            feed_cost.append((time.perf_counter() - start) / len(chunk))

    runner = StreamRunner(source, on_chunk=on_chunk)
    stop = threading.Event()

    def perform() -> None:
        k = 0
        while not stop.wait(args.interval if k else 1.0):
            sim.perform(GESTURES[k % len(GESTURES)])
            k += 1

    performer = threading.Thread(target=perform, name="performer", daemon=True)
    if bridge:
        bridge.start()
    runner.start()
    performer.start()
    try:
        if args.plot:
            _run_plot(args.seconds, runner, args.rate)
        else:
            time.sleep(args.seconds)
    finally:
        stop.set()
        runner.stop()
        if bridge:
            bridge.close()
    events = list(live.events)
    result = _percentiles([e.latency_s * 1000 for e in events])
    performed = sim.performed()
    result.update(loadavg_1min=round(os.getloadavg()[0], 2), performed=len(performed), candidates=len(candidates), seconds=args.seconds,
                  device="pty (serial CSV)" if args.pty else "simulator", model=model_name, onnx=args.onnx,
                  plot=args.plot, cores=args.cores,
                  feed_us_per_sample=round(float(np.median(feed_cost)) * 1e6, 2) if feed_cost else None)
    if not args.pty:
        rate, t_zero = sim.rate_hz, sim._t0
        truth = [(name, t_zero + a / rate, t_zero + b / rate) for name, a, b in performed]
        result["correct"] = sum(any(e.gesture == name and e.t_start < b and e.t_end > a for e in events)
                                for name, a, b in truth)
    print(f"{result['n']} events from {result['performed']} performed gestures ({result['candidates']} movements)"
          + (f", {result['correct']} correct" if "correct" in result else ""))
    if result["n"]:
        print(f"latency p50 {result['p50_ms']:.2f} ms  p95 {result['p95_ms']:.2f} ms  max {result['max_ms']:.2f} ms"
              f"  (target p95 <= 15 ms: {'met' if result['p95_ms'] <= 15 else 'NOT met'})")
    print(f"segmentation cost {result['feed_us_per_sample']} us per sample; machine load average "
          f"{result['loadavg_1min']} (other processes share the CPU)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if result["n"] else 1
