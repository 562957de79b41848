"""OutputHub: fan recognised gestures out to every output without ever holding up recognition.

Each output gets its own queue and worker thread, so a slow keystroke backend cannot delay OSC, and a
failing output is reported through ``on_error(output, message)`` while the others carry on.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable

from studio.outputs.events import GestureEvent, Output, OutputError

log = logging.getLogger(__name__)
ErrorCallback = Callable[[Output, str], None]
_STOP = object()


class _Lane:
    """One output's queue and worker thread."""

    def __init__(self, output: Output, hub: OutputHub, maxsize: int) -> None:
        self.output = output
        self.queue: queue.Queue = queue.Queue(maxsize)
        self.dropped = 0
        self.sent = 0
        self.failures = 0
        self.last_error: str | None = None
        self._hub = hub
        self.thread = threading.Thread(target=self._run, name=f"output-{output.name}", daemon=True)

    def _run(self) -> None:
        while True:
            event = self.queue.get()
            if event is _STOP:
                return
            if isinstance(event, threading.Event):
                event.set()  # a flush() marker: everything queued before it has been handled
                continue
            try:
                self.output.send(event)
            except Exception as exc:  # any output bug is reported, never allowed to kill the lane
                self.failures += 1
                self._hub._report(self, _message(self.output, exc))
            else:
                self.sent += 1
                self.last_error = None


def _message(output: Output, exc: BaseException) -> str:
    if isinstance(exc, OutputError):
        return str(exc)
    return f"{output.name} failed: {type(exc).__name__}: {exc}"


class OutputHub:
    """Deliver each :class:`GestureEvent` to every output on background threads.

    ``emit`` never raises and never blocks: when an output falls ``queue_size`` events behind, new
    events for it are dropped and counted (a show wants the latest gesture, not a backlog).
    """

    def __init__(self, outputs: Iterable[Output] = (), on_error: ErrorCallback | None = None,
                 queue_size: int = 64) -> None:
        self.on_error = on_error
        self._queue_size = queue_size
        self._lanes: list[_Lane] = []
        self._lock = threading.Lock()
        self._closed = False
        for output in outputs:
            self.add(output)

    @property
    def outputs(self) -> list[Output]:
        return [lane.output for lane in self._lanes]

    def add(self, output: Output) -> bool:
        """Start ``output`` and begin delivering to it; a start failure is reported and returns False."""
        try:
            output.start()
        except Exception as exc:
            self._report_output(output, _message(output, exc))
            return False
        lane = _Lane(output, self, self._queue_size)
        with self._lock:
            self._lanes.append(lane)
        lane.thread.start()
        return True

    def remove(self, output: Output) -> None:
        """Stop delivering to ``output`` and close it."""
        with self._lock:
            lanes = [lane for lane in self._lanes if lane.output is output]
            self._lanes = [lane for lane in self._lanes if lane.output is not output]
        for lane in lanes:
            self._stop_lane(lane)

    def emit(self, event: GestureEvent) -> None:
        """Queue ``event`` for every output; returns at once."""
        for lane in list(self._lanes):
            try:
                lane.queue.put_nowait(event)
            except queue.Full:
                lane.dropped += 1
                if lane.dropped == 1 or lane.dropped % 100 == 0:
                    self._report(lane, f"{lane.output.name} is falling behind; {lane.dropped} events dropped.")

    def stats(self) -> list[dict]:
        """Per output, in order: its description and the events sent, failed and dropped."""
        return [{"output": lane.output.describe(), "sent": lane.sent, "failed": lane.failures,
                 "dropped": lane.dropped} for lane in self._lanes]

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event has been handled (for tests and clean shutdown)."""
        for lane in list(self._lanes):
            marker = threading.Event()
            lane.queue.put(marker)
            if not marker.wait(timeout):
                return False
        return True

    def close(self) -> None:
        """Stop every lane and close every output (idempotent)."""
        with self._lock:
            lanes, self._lanes = self._lanes, []
        for lane in lanes:
            self._stop_lane(lane)

    def _stop_lane(self, lane: _Lane) -> None:
        lane.queue.put(_STOP)
        lane.thread.join(5.0)
        try:
            lane.output.close()
        except Exception as exc:
            self._report(lane, _message(lane.output, exc))

    def _report(self, lane: _Lane, message: str) -> None:
        # The same failure repeating (peer gone) is reported once until the output recovers.
        if message == lane.last_error:
            return
        lane.last_error = message
        self._report_output(lane.output, message)

    def _report_output(self, output: Output, message: str) -> None:
        log.warning("%s", message)
        if self.on_error is not None:
            try:
                self.on_error(output, message)
            except Exception:
                log.exception("on_error callback failed")

