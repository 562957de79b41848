"""Start-up milestones of the GUI, for ``studio bench startup`` and the wheel test.

``--trace-startup PATH`` writes one JSON object when the window has plotted the device and the model is
ready (or failed): seconds from the process start to the window shown, to the first plotted sample and
to the model ready, the resident memory then, and where the shipped files were found.
``--quit-when-ready`` quits at that moment (after the screenshot, if one was asked for).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from PySide6.QtCore import QObject, QTimer

from studio.shipped import shipped_files

POLL_MS = 10
GIVE_UP_S = 180.0  # an unattended run that never becomes ready ends (with the missing milestone said)


def process_age_s() -> float:
    """Seconds since this process was started (by the OS clock, so the interpreter's own start counts)."""
    return time.time() - psutil.Process().create_time()


class StartupTrace(QObject):
    """Watches ``window`` from the moment it is shown until it has plotted a sample and its model is ready
    or has failed; then writes ``path`` (if given) and calls ``on_ready``."""

    def __init__(self, window, path: str | None = None, on_ready: Callable[[], None] | None = None) -> None:  # noqa: ANN001
        super().__init__(window)
        self.window, self.path, self.on_ready = window, path, on_ready
        self.marks: dict[str, float] = {"window_shown_s": process_age_s()}
        self.result: dict | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        self._timer.start(POLL_MS)

    def _check(self) -> None:
        age = process_age_s()
        window, marks = self.window, self.marks
        if "first_sample_plotted_s" not in marks and window.plot.frames > 0:
            marks["first_sample_plotted_s"] = age
        recognition = window.recognition
        if "model_ready_s" not in marks and (recognition.ready or recognition.load_failed):
            marks["model_ready_s"] = age
        done = "first_sample_plotted_s" in marks and "model_ready_s" in marks
        if done or age > GIVE_UP_S:
            self._timer.stop()
            self._finish(complete=done)

    def _finish(self, complete: bool) -> None:
        memory = psutil.Process().memory_info()
        self.result = {
            **{k: round(v, 3) for k, v in self.marks.items()},
            "complete": complete,
            "rss_mb": round(memory.rss / 2**20, 1),
            "model": "ready" if self.window.recognition.ready else (self.window.recognition.load_failed or "missing"),
            "heavy_modules_loaded": sorted(m for m in ("torch", "transformers", "onnxruntime", "aeon", "bleak")
                                           if m in sys.modules),
            "files": {name: str(path) for name, path in shipped_files().items()},
            "files_found": {name: path.exists() for name, path in shipped_files().items()},
        }
        if self.path:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            Path(self.path).write_text(json.dumps(self.result, indent=1), encoding="utf-8")
        if not complete:
            print(f"start-up did not complete: {self.result}", file=sys.stderr)
        if self.on_ready is not None:
            self.on_ready()
