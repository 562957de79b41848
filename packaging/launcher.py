"""Entry point of the packaged app: the same ``studio`` command, frozen."""

import multiprocessing
import sys

from studio.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch/data loaders may spawn workers in a frozen build
    sys.exit(main())
