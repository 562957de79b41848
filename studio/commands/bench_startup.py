"""``studio bench startup``: how soon the studio shows the device and is ready to recognise, and its memory.

Each run launches the real GUI in a fresh process (offscreen, a throw-away settings folder) on the
simulator with ``--quit-when-ready --trace-startup``, and reads back seconds from process start to the
first plotted sample and to the model ready, and the resident memory (RSS) with the model loaded.

Runs open one project with ``--gestures`` gestures described in words. The first run finds no cached
description vectors and loads the text model; later runs reopen the project, as a user does, and use
the vectors cached in it (no text model). Then what dominates: each heavy import and the model load,
each timed alone in a fresh interpreter. Targets: first sample <= 2 s, model ready <= 4 s, RSS <= 450 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DESCRIPTIONS = [("shake", "shake the device quickly from side to side"), ("circle", "draw a circle clockwise"),
                ("flick up", "flick the device upwards"), ("wave", "wave left and right"),
                ("push", "push the device away from you")]
PARTS = {  # what dominates: each timed alone in a fresh interpreter
    "python + numpy": "import numpy",
    "Qt + pyqtgraph": "import PySide6.QtWidgets, pyqtgraph",
    "studio GUI modules": "import studio.ui.app",
    "torch": "import torch",
    "transformers": "import transformers",
    "motion model (torch + weights)": "from studio.model import load_model; load_model()",
    "recogniser ready (model + idle calibration)":
        "from studio.recognition.startup import default_load_model, load_live_recogniser;"
        "load_live_recogniser(default_load_model, 0.5, [])",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=3, help="GUI launches reopening the project (after the first)")
    parser.add_argument("--gestures", type=int, default=3, help="gestures in the project (0-5), described in words")
    parser.add_argument("--no-parts", action="store_true", help="skip timing the heavy imports one by one")
    parser.add_argument("--short", action="store_true", help="one reopening run, no parts (CI smoke run)")
    parser.add_argument("--json", default=None, metavar="OUT", help="also write the numbers to this file")


def _make_project(path: Path, n: int) -> None:
    from studio.project import Project

    with Project.create(path) as project:
        for name, description in DESCRIPTIONS[:n]:
            project.add_gesture(name, description)


def _launch(project: Path, config: Path, out: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_CONFIG_DIR=str(config),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    cmd = [sys.executable, "-m", "studio", "--device", "simulator?seed=1", "--project", str(project),
           "--quit-when-ready", "--trace-startup", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=str(config))
    if done.returncode != 0 or not out.is_file():
        raise RuntimeError(f"the studio did not start cleanly (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(out.read_text())


def _time_part(code: str) -> float:
    """Seconds that ``code`` takes in a fresh interpreter (its start-up excluded)."""
    probe = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    return float(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else float("nan")


def _row(label: str, trace: dict) -> str:
    return (f"{label:<34} first sample {trace['first_sample_plotted_s']:5.2f} s · model ready "
            f"{trace['model_ready_s']:5.2f} s · RSS {trace['rss_mb']:6.1f} MB · loaded: "
            f"{', '.join(trace['heavy_modules_loaded']) or 'nothing heavy'}")


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.gestures <= len(DESCRIPTIONS) or args.runs < 1:
        print(f"--gestures must be 0-{len(DESCRIPTIONS)} and --runs 1 or more", file=sys.stderr)
        return 2
    runs = 1 if args.short else args.runs
    results: dict = {"runs": []}
    with tempfile.TemporaryDirectory(prefix="studio-bench-startup-") as folder:
        folder = Path(folder)
        project = folder / "bench.gesture"
        _make_project(project, args.gestures)
        first = _launch(project, folder, folder / "trace0.json")
        results["first_open"] = first
        print(_row("first open (descriptions new)", first), flush=True)
        for i in range(runs):
            trace = _launch(project, folder, folder / f"trace{i + 1}.json")
            results["runs"].append(trace)
            print(_row(f"reopen {i + 1} (cached descriptions)", trace), flush=True)
    keys = ("first_sample_plotted_s", "model_ready_s", "rss_mb")
    median = {k: statistics.median(r[k] for r in results["runs"]) for k in keys}
    results["median_reopen"] = median
    print(f"median of {runs} reopening run(s): first plotted sample {median['first_sample_plotted_s']:.2f} s "
          f"(target <= 2), model ready {median['model_ready_s']:.2f} s (target <= 4), "
          f"RSS {median['rss_mb']:.0f} MB (target <= 450)")
    if not (args.no_parts or args.short):
        print("what dominates (each alone, in a fresh interpreter):")
        results["parts_s"] = {}
        for label, code in PARTS.items():
            seconds = _time_part(code)
            results["parts_s"][label] = round(seconds, 3)
            print(f"  {label:<45} {seconds:6.2f} s", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0
