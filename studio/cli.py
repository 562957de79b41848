"""The ``studio`` command: with no subcommand it opens the GUI; subcommands run headless.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and ``run(args) -> int``;
only the chosen one is imported, so ``studio stream`` never loads Qt or torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "stream": ("studio.devices.stream_cmd", "print samples from a device as JSON lines"),
    "devices": ("studio.devices.discover_cmd", "list serial ports and nearby BLE devices"),
    "pretrain": ("studio.commands.pretrain_cmd", "pre-train the motion encoder (reproducible)"),
    "evaluate": ("studio.recognition.evaluate_cmd", "evaluate UniMotion against DTW-1NN and MiniRocket"),
    "live": ("studio.live_cmd", "headless live recognition with outputs, for shows"),
    "export": ("studio.commands.export_cmd", "export the encoder and a gesture set to ONNX"),
    "bench": ("studio.bench", "benchmarks: startup, plot, latency, parsers, enrol, ..."),
    "info": ("studio.commands.info_cmd", "version and where the shipped files were found"),
}


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="UniMotion Gesture Studio. Without a subcommand, opens the studio window.",
        epilog="subcommands: " + "; ".join(f"{name}: {text}" for name, (_, text) in COMMANDS.items()),
    )
    parser.add_argument("--device", default=None, help="device URI to connect at start (default: last used, else simulator)")
    parser.add_argument("--project", default=None, help="project file (.gesture) to open")
    parser.add_argument("--screenshot", default=None, metavar="PATH", help="write a PNG of the main window before quitting")
    parser.add_argument("--quit-after", type=float, default=None, metavar="SECONDS", help="quit after this many seconds")
    parser.add_argument("--panel", default=None, help="panel to show first (e.g. live, library, quality)")
    parser.add_argument("--quit-when-ready", action="store_true",
                        help="quit once the device is plotted and the model is ready (after --screenshot)")
    parser.add_argument("--trace-startup", default=None, metavar="JSON",
                        help="write the start-up milestones (seconds from launch, memory) to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        module_name, text = COMMANDS[argv[0]]
        module = importlib.import_module(module_name)
        parser = argparse.ArgumentParser(prog=f"studio {argv[0]}", description=text)
        module.add_arguments(parser)
        args = parser.parse_args(argv[1:])
        return int(module.run(args) or 0)
    args = _gui_parser().parse_args(argv)
    from studio.ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
