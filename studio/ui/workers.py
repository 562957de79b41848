"""Run slow work (model loading, refining, calibration, quality) off the GUI thread; report with signals.

The function gets ``progress(fraction)`` and ``should_stop()`` callables (the shape the Qt-free trainers
take), so cancelling is cooperative: :meth:`Job.cancel` sets a flag the work checks between steps.

The work runs on a daemon Python thread rather than a QThread: a model still loading when the user quits
must not hold the process open or abort it (Qt aborts when a running QThread is destroyed). Signals
emitted from that thread reach the Job's slots through Qt's queued connections, on the GUI thread.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class Job(QObject):
    """One background call of ``fn(progress, should_stop)``.

    Signals (delivered on the GUI thread): ``finished(result)``, ``failed(message)``,
    ``progress(fraction)``, ``done()`` after either of the first two.
    """

    finished = Signal(object)
    failed = Signal(str)
    progress = Signal(float)
    done = Signal()
    _result = Signal(object, str)  # (result, error) from the worker thread

    def __init__(self, fn: Callable[..., Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._result.connect(self._on_result)
        self.running = False

    def start(self) -> "Job":
        self.running = True
        self._thread = threading.Thread(target=self._work, name="studio-job", daemon=True)
        self._thread.start()
        return self

    def _work(self) -> None:
        try:
            result, error = self.fn(self._report_progress, self._stop.is_set), ""
        except Exception as err:  # reported to the GUI; a failed job must not take the app down
            if sys.is_finalizing():
                return  # the app is quitting under a job that was still loading: nothing to report
            traceback.print_exc()
            result, error = None, f"{type(err).__name__}: {err}"
        try:
            self._result.emit(result, error)
        except RuntimeError:
            pass  # the window (and this Job) was closed while the work ran

    def _report_progress(self, fraction: float) -> None:
        try:
            self.progress.emit(float(fraction))
        except RuntimeError:
            pass

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def wait(self, seconds: float = 30.0) -> bool:
        """Block until the work is done (tests); True if it finished in time."""
        if self._thread is not None:
            self._thread.join(seconds)
            return not self._thread.is_alive()
        return True

    def _on_result(self, result: object, error: str) -> None:
        self.running = False
        if error:
            self.failed.emit(error)
        else:
            self.finished.emit(result)
        self.done.emit()
