"""``studio export PROJECT --out DIR`` / ``studio export --model PATH --out DIR``.

Writes the encoder as ONNX (checked against torch; the max abs difference is printed) and, for a project,
its gesture set's recogniser (ONNX + JSON thresholds), with a README for embedding elsewhere.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", help="project file whose enabled gestures are exported")
    parser.add_argument("--model", default=None, help="model checkpoint folder (default: shipped weights)")
    parser.add_argument("--out", required=True, help="folder to write (created)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (>= 17)")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="fail if ONNX and torch differ by more than this (default 1e-4)")


def run(args: argparse.Namespace) -> int:
    import torch

    from studio.model import load_model
    from studio.model.checkpoint import CheckpointError
    from studio.model.export import export_encoder, write_readme

    if args.opset < 17:
        print("studio export: opset must be 17 or newer", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    try:
        model = load_model(args.model)
    except CheckpointError as err:
        print(f"studio export: {err}", file=sys.stderr)
        return 2
    worst = 0.0
    enc = export_encoder(model, args.out, args.opset)
    worst = max(worst, enc["max_abs_diff"])
    print(f"encoder: {enc['path']} (opset {enc['opset']}), max abs diff vs torch {enc['max_abs_diff']:.2e}")
    if args.project:
        from studio.live_cmd import build_recogniser
        from studio.project import Project, ProjectError
        from studio.recognition.onnx_recogniser import export_recogniser

        try:
            project = Project.open(args.project)
        except ProjectError as err:
            print(f"studio export: {err}", file=sys.stderr)
            return 2
        try:
            rec, gestures = build_recogniser(project, model)
        finally:
            project.close()
        if not gestures:
            print("studio export: the project has no enabled gestures", file=sys.stderr)
            return 2
        info = export_recogniser(model, rec, args.out, args.opset)
        worst = max(worst, info["max_abs_diff"])
        print(f"recogniser: {info['path']} ({len(info['classes'])} classes: {', '.join(info['classes'])}), "
              f"max abs diff vs torch {info['max_abs_diff']:.2e}")
    readme = write_readme(model, args.out, bool(args.project), args.opset)
    print(f"documentation: {readme}")
    if worst > args.tolerance:
        print(f"studio export: ONNX differs from torch by {worst:.2e} > {args.tolerance:g}", file=sys.stderr)
        return 1
    return 0
