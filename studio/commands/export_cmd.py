"""``studio export PROJECT --out DIR`` / ``studio export --model PATH --out DIR``.

Writes the encoder as ONNX (checked against torch; the max abs difference is printed) and, for a project,
its gesture set's recogniser (ONNX + JSON thresholds), with a README for embedding elsewhere.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", help="project file whose enabled gestures are exported")
    parser.add_argument("--model", default=None, help="model checkpoint folder (default: shipped weights)")
    parser.add_argument("--out", required=True, help="folder to write (created)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (>= 17)")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="fail if ONNX and torch differ by more than this (default 1e-4)")


def _max_opset() -> int | None:
    """The newest opset torch's TorchScript exporter (the one used here) writes, if torch says."""
    try:
        from torch.onnx._constants import ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET
    except ImportError:
        return None
    return int(ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET)


def _bad_args(args: argparse.Namespace) -> str | None:
    """Why the switches cannot work, or None; checked before anything is loaded or written."""
    newest = _max_opset()
    if args.opset < 17 or (newest is not None and args.opset > newest):
        return f"opset must be 17 or newer{f' and at most {newest}' if newest else ''}, not {args.opset}"
    if not (math.isfinite(args.tolerance) and args.tolerance >= 0):
        return f"--tolerance must be a finite number >= 0, not {args.tolerance}"
    if Path(args.out).exists() and not Path(args.out).is_dir():
        return f"--out {args.out} is a file; give a folder (it is created if missing)"
    return None


def _fail(message: object) -> int:
    print(f"studio export: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    problem = _bad_args(args)
    if problem:
        return _fail(problem)
    import torch

    from studio.model import load_model
    from studio.model.checkpoint import CheckpointError
    from studio.model.export import export_encoder, write_readme

    torch.set_num_threads(1)
    try:
        model = load_model(args.model)
    except CheckpointError as err:
        return _fail(err)
    rec = None
    if args.project:
        # the project is read before anything is written, so a bad one leaves no half-filled folder
        from studio.live_cmd import build_recogniser
        from studio.project import Project, ProjectError

        try:
            project = Project.open(args.project)
        except ProjectError as err:
            return _fail(err)
        try:
            rec, gestures = build_recogniser(project, model)
        finally:
            project.close()
        if not gestures:
            return _fail("the project has no enabled gestures")
    enc = export_encoder(model, args.out, args.opset)
    worst = enc["max_abs_diff"]
    print(f"encoder: {enc['path']} (opset {enc['opset']}), max abs diff vs torch {enc['max_abs_diff']:.2e}")
    section = ""
    if rec is not None:
        from studio.recognition.onnx_recogniser import export_recogniser, readme_section

        info = export_recogniser(model, rec, args.out, args.opset)
        section = readme_section()
        worst = max(worst, info["max_abs_diff"])
        print(f"recogniser: {info['path']} ({len(info['classes'])} classes: {', '.join(info['classes'])}), "
              f"max abs diff vs torch {info['max_abs_diff']:.2e}")
    readme = write_readme(model, args.out, section, args.opset)
    print(f"documentation: {readme}")
    if worst > args.tolerance:
        print(f"studio export: ONNX differs from torch by {worst:.2e} > {args.tolerance:g}", file=sys.stderr)
        return 1
    return 0
