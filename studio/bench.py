"""``studio bench NAME``: benchmarks that print numbers (speed targets live here, not in tests).

Each benchmark is a module with ``add_arguments(parser)`` and ``run(args) -> int`` and a short mode,
so CI can run every one briefly (``studio bench all --short``).
"""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS: dict[str, tuple[str, str, list[str]]] = {
    # name: (module, what it measures, arguments for the short mode)
    "startup": ("studio.commands.bench_startup", "time to first plotted sample and to model ready, RSS",
                ["--short"]),
    "synth": ("studio.synth.bench", "synthetic data generation speed", ["--short"]),
    "model": ("studio.commands.bench_model", "encoder ms/window on one core, set_class time", ["--iterations", "50"]),
    "plot": ("studio.ui.bench_plot", "live plot fps, CPU share and drops at 9 ch x 200 Hz", ["--seconds", "2"]),
    "parsers": ("studio.devices.bench_parsers", "parser throughput and 1 kHz pty loss", ["--seconds", "2"]),
    "enrol": ("studio.commands.bench_enrol", "take-to-recogniser time, idle false triggers", ["--short"]),
    "live": ("studio.commands.bench_live", "stream spotting: right/wrong/missed, false triggers per hour (simulated "
             "and real ordinary movement), movement-end latency, replay speed", ["--short"]),
    "kernels": ("studio.recognition.bench_kernels", "kernel features: transform, fit, add_take ms on one core",
                ["--iterations", "20"]),
    "latency": ("studio.commands.bench_latency", "end-to-end gesture latency p50/p95/max", ["--seconds", "10"]),
    "phone": ("studio.devices.phone.bench_phone", "phone sources vs local fakes: samples/s, loss, latency",
              ["--seconds", "2"]),
    "outputs": ("studio.commands.bench_outputs", "per-output event latency at local receivers; stream rate, "
                "jitter and CPU", ["--seconds", "3", "--events", "30"]),
    "devices": ("studio.ui.bench_devices", "two simulated devices at 200 Hz plotted and recognised: fps, CPU, drops",
                ["--seconds", "3"]),
    "audio": ("studio.audio.bench_audio", "cue synthesis, espeak-ng first/cached latency, event-to-sink latency",
              ["--short"]),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=[*BENCHMARKS, "all"], help="benchmark to run ('all' runs each in short mode)")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for that benchmark")


def _run_one(name: str, argv: list[str]) -> int:
    module_name, text, _ = BENCHMARKS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"studio bench {name}", description=text)
    module.add_arguments(parser)
    return int(module.run(parser.parse_args(argv)) or 0)


def run(args: argparse.Namespace) -> int:
    if args.name != "all":
        return _run_one(args.name, args.rest)
    failures = 0
    for name, (_, text, short) in BENCHMARKS.items():
        print(f"== {name}: {text}", flush=True)
        try:
            failures += _run_one(name, short) != 0
        except Exception as err:  # one broken benchmark must not hide the others' numbers
            print(f"benchmark {name} failed: {err!r}", file=sys.stderr)
            failures += 1
    return 1 if failures else 0
