"""``studio info``: the version, the Python running it and where the shipped files were found.

Plain text by default, ``--json`` for scripts (the wheel test reads it). Exits 1 when a shipped file is
missing, saying which, so a broken install is told in words before the GUI is opened.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata

from studio.shipped import shipped_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        version = metadata.version("unimotion-studio")
    except metadata.PackageNotFoundError:
        version = "not installed (source checkout)"
    files = shipped_files()
    missing = [name for name, path in files.items() if not path.exists()]
    if args.json:
        print(json.dumps({"version": version, "python": sys.executable,
                          "files": {name: str(path) for name, path in files.items()}, "missing": missing}))
    else:
        print(f"UniMotion Gesture Studio {version}\nPython: {sys.executable}")
        for name, path in files.items():
            print(f"{name}: {path}{'' if path.exists() else '  (MISSING)'}")
    if missing:
        print(f"missing shipped files: {', '.join(missing)}; reinstall the studio", file=sys.stderr)
        return 1
    return 0
