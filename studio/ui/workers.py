"""Run slow work (model loading, refining, calibration, quality) off the GUI thread; report with signals.

The function gets ``progress(fraction)`` and ``should_stop()`` callables (the shape the Qt-free trainers
take), so cancelling is cooperative: :meth:`Job.cancel` sets a flag the work checks between steps.

The worker is a daemon Python thread that touches no Qt object at all: it puts progress and the result
in a plain queue, and a timer of the Job drains it on the GUI thread. Two reasons, both seen here:
a model still loading when the user quits must not abort the process (Qt aborts when a running QThread is
destroyed; :func:`wait_for_jobs` lets the Python thread finish before the interpreter shuts down), and a Qt object whose last Python reference is dropped on a worker thread
is destroyed there, which can deadlock against the GUI thread. So the work functions must not capture
widgets or other QObjects either: they get plain data.
"""

from __future__ import annotations

import gc
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

POLL_MS = 20
_threads: list[tuple[threading.Thread, threading.Event]] = []  # started jobs, for wait_for_jobs at exit


def wait_for_jobs(timeout_s: float = 15.0) -> bool:
    """Let running jobs end before the interpreter shuts down (the window is already closed): a daemon
    thread killed by finalization in the middle of native code (torch being imported by a model that is
    still loading) aborts the process. Cancels them first; True if all ended within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    for _thread, stop in _threads:
        stop.set()
    for thread, _stop in list(_threads):
        thread.join(max(0.0, deadline - time.monotonic()))
    _threads[:] = [(t, e) for t, e in _threads if t.is_alive()]
    return not _threads


def _run(fn: Callable[..., Any], out: queue.SimpleQueue, stop: threading.Event) -> None:
    try:
        result = fn(lambda fraction: out.put(("progress", float(fraction))), stop.is_set)
    except Exception as err:  # reported to the GUI; a failed job must not take the app down
        if sys.is_finalizing():
            return  # the app is quitting under a job that was still loading: nothing to report
        traceback.print_exc()
        out.put(("failed", f"{type(err).__name__}: {err}"))
    else:
        out.put(("finished", result))


class Job(QObject):
    """One background call of ``fn(progress, should_stop)``.

    Signals (delivered on the GUI thread): ``finished(result)``, ``failed(message)``,
    ``progress(fraction)``, ``done()`` after either of the first two.
    """

    finished = Signal(object)
    failed = Signal(str)
    progress = Signal(float)
    done = Signal()

    def __init__(self, fn: Callable[..., Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self._stop = threading.Event()
        self._out: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._drain)
        self.running = False

    def start(self) -> "Job":
        self.running = True
        self._thread = threading.Thread(target=_run, args=(self.fn, self._out, self._stop),
                                        name="studio-job", daemon=True)
        self._timer.start()
        self._thread.start()
        _threads[:] = [(t, e) for t, e in _threads if t.is_alive()] + [(self._thread, self._stop)]
        return self

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

    def _drain(self) -> None:
        while True:
            try:
                kind, value = self._out.get_nowait()
            except queue.Empty:
                return
            if kind == "progress":
                self.progress.emit(value)
                continue
            self._timer.stop()
            self.running = False
            if kind == "failed":
                self.failed.emit(value)
            else:
                self.finished.emit(value)
            self.done.emit()
            return


class MainThreadGC(QObject):
    """Collect cyclic garbage only on the GUI thread, from a timer.

    Python's collector runs on whichever thread happens to allocate when a threshold is crossed: a model
    loading on a worker thread, or a device runner, can then destroy widgets that sat in reference
    cycles, off the GUI thread, which deadlocks or crashes Qt (observed here). So automatic collection is
    switched off while this object runs, and the same generational thresholds are checked on the GUI
    thread instead (the approach of pyqtgraph's ``GarbageCollector``). :meth:`stop` restores it.
    """

    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if all(counts[g] > self._threshold[g] for g in range(generation + 1)):
                gc.collect(generation)
                return

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
