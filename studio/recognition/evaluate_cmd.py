"""``studio evaluate DATA.npz``: UniMotion against DTW-1NN and MiniRocket on the same labelled takes."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from studio.recognition.evaluate import ALL_METHODS, DEFAULT_METHODS


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("shots must be integers >= 0")
    return values


def _fraction(text: str) -> float | None:
    if text.lower() in ("none", "off", ""):
        return None
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError("label fraction must be in (0, 1], or 'none'")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", help="DATA.npz: X (n,T,C) NaN-padded, y, channels, rate_hz, optional split, "
                        "subject, descriptions (JSON label -> text); see tools/make_eval_sets.py")
    parser.add_argument("--shots", type=_int_list, default=[0, 1, 3, 5],
                        help="takes per class to enrol, comma-separated; 0 = zero-shot from text (default 0,1,3,5)")
    parser.add_argument("--label-fraction", type=_fraction, default=0.1,
                        help="fraction of the train part labelled, rest unlabeled; 'none' to skip (default 0.1)")
    parser.add_argument("--seeds", type=int, default=3, help="draws to average over (default 3)")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help=f"comma-separated, from {','.join(ALL_METHODS)} (default {','.join(DEFAULT_METHODS)})")
    parser.add_argument("--model", default=None, help="model checkpoint folder (default: shipped weights)")
    parser.add_argument("--rate-hz", type=float, default=None,
                        help="treat the set as sampled at this rate (overrides its rate_hz; 0 = unknown)")
    parser.add_argument("--part", choices=("test", "tuning"), default="test",
                        help="test: enrol from the train part, report on the test part (default); tuning: the "
                        "train part alone, split again, for tuning defaults without looking at the test part")
    parser.add_argument("--json", default=None, metavar="OUT", help="write the rows as JSON here")
    parser.add_argument("--quiet", action="store_true", help="no per-run progress lines")


def run(args: argparse.Namespace) -> int:
    from studio.recognition.datasets import load_npz, tuning_part
    from studio.recognition.evaluate import evaluate, format_table, settings_for

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown or not methods:
        print(f"studio evaluate: unknown method(s) {unknown}; choose from {','.join(ALL_METHODS)}", file=sys.stderr)
        return 2
    if not Path(args.data).is_file():
        print(f"studio evaluate: {args.data}: no such file (build the real sets with "
              "`python tools/make_eval_sets.py`)", file=sys.stderr)
        return 2
    checkpoint_errors: tuple[type[BaseException], ...] = ()
    if any(m.startswith(("unimotion", "fused")) for m in methods):
        from studio.model.checkpoint import CheckpointError  # torch: only imported when the model is wanted

        checkpoint_errors = (CheckpointError,)
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    start = time.perf_counter()
    try:
        data = load_npz(args.data)
        if args.part == "tuning":
            data = tuning_part(data)
        rows = evaluate(data, shots=args.shots, label_fraction=args.label_fraction, seeds=args.seeds,
                        methods=methods, model_path=args.model, on_progress=progress,
                        rate_hz=args.rate_hz)
    except checkpoint_errors as exc:
        print(f"studio evaluate: cannot load the UniMotion model: {exc}. Run `make pretrain`, pass "
              "--model FOLDER, or evaluate the peers only with --methods dtw_1nn,minirocket", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as exc:
        print(f"studio evaluate: {exc}", file=sys.stderr)
        return 2
    settings = [name for name, _ in settings_for(args.shots, args.label_fraction)]
    print(f"{args.data}{' (tuning part)' if args.part == 'tuning' else ''}  (accuracy % (macro-F1 %), mean over {args.seeds} seed(s); "
          f"{time.perf_counter() - start:.0f} s)")
    print(format_table(rows, methods, settings))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0
