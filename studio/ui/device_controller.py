"""The GUI's handle on one device: a StreamRunner thread feeding a ring buffer, polled from Qt timers.

The runner's callbacks run on its thread and only push into the ring buffer or a queue; they never
touch Qt objects. :meth:`DeviceController.poll` (called from a GUI timer) turns queued status changes
into Qt signals and keeps the counters the device panel shows.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from studio.devices.base import DeviceError, Source
from studio.devices.registry import open_source
from studio.devices.runner import State, StreamRunner
from studio.signals.ringbuffer import RingBuffer
from studio.signals.stream import Chunk, StreamInfo

BUFFER_SECONDS = 120.0  # the recorder and the plot both read from here; two minutes covers both


@dataclass
class DeviceCounters:
    """Numbers for the device panel."""

    samples: int = 0
    rate_hz: float = 0.0
    dropped: int = 0
    parse_errors: int = 0
    reconnects: int = 0


class _StreamSink:
    """The runner thread's side: plain Python (the runner must never hold, and so never be the last to
    release, a Qt object). One sink per connection, so a runner still winding down after a disconnect
    writes into its own old buffer, not the next device's."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.buffer: RingBuffer | None = None
        self.info: StreamInfo | None = None
        self.generation = 0  # bumped whenever a new buffer is made
        self.status: queue.SimpleQueue[tuple[State, str]] = queue.SimpleQueue()

    def on_chunk(self, chunk: Chunk) -> None:
        buffer = self.buffer
        if buffer is None or buffer.n_channels != chunk.data.shape[1]:
            # Reconnects with the same channels keep the buffer, so the plot stays continuous.
            info = self._source_info(chunk)
            buffer = RingBuffer(max(4096, int((info.rate_hz or 100.0) * BUFFER_SECONDS)), chunk.data.shape[1])
            self.info, self.buffer = info, buffer
            self.generation += 1
        buffer.push(chunk.t, chunk.data)

    def _source_info(self, chunk: Chunk) -> StreamInfo:
        try:
            info = self.source.info
        except Exception:  # a source may not know its info until later; plot what arrives
            info = None
        if info is None or len(info.channels) != chunk.data.shape[1]:
            names = tuple(f"ch{i}" for i in range(chunk.data.shape[1]))
            info = StreamInfo(names, tuple("" for _ in names), 0.0, "unknown")
        return info

    def on_status(self, state: State, message: str) -> None:
        self.status.put((state, message))


class DeviceController(QObject):
    """Owns the current source, its runner and the live ring buffer.

    Signals (GUI thread only): ``state_changed(state: str, message: str)``, ``buffer_changed()`` when a
    new stream starts (new buffer, possibly new channels).
    """

    state_changed = Signal(str, str)
    buffer_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner: StreamRunner | None = None
        self.buffer: RingBuffer | None = None
        self.info: StreamInfo | None = None
        self.state = State.DISCONNECTED
        self.message = "Not connected."
        self.counters = DeviceCounters()
        self._sink: _StreamSink | None = None
        self._seen_generation = 0
        self._rate_mark: tuple[float, int] | None = None

    @property
    def source(self) -> Source | None:
        return self.runner.source if self.runner else None

    @property
    def uri(self) -> str:
        return self.runner.source.uri if self.runner else ""

    def connect_device(self, uri: str) -> None:
        """Start streaming from ``uri``; a bad URI raises :class:`DeviceError` (nothing else changes)."""
        self.connect_source(open_source(uri))

    def connect_source(self, source: Source) -> None:
        """Stream from an already built source (benchmarks and tests)."""
        self.disconnect_device()
        self.counters = DeviceCounters()
        self._rate_mark = None
        self.buffer, self.info = None, None
        self._seen_generation = 0
        self._sink = _StreamSink(source)
        self.runner = StreamRunner(source, on_chunk=self._sink.on_chunk, on_status=self._sink.on_status)
        self.runner.start()

    def disconnect_device(self) -> None:
        if self.runner is None:
            return
        runner, self.runner = self.runner, None
        runner.stop()
        self._sink = None
        self._apply_status(State.DISCONNECTED, "Disconnected.")

    # -- GUI thread ----------------------------------------------------------------------------
    def poll(self) -> None:
        """Deliver queued status changes and refresh counters; call from a GUI timer."""
        sink = self._sink
        while sink is not None:
            try:
                state, message = sink.status.get_nowait()
            except queue.Empty:
                break
            self._apply_status(state, message)
        if sink is not None and sink.generation != self._seen_generation and sink.buffer is not None:
            self._seen_generation = sink.generation
            self.buffer, self.info = sink.buffer, sink.info
            self.buffer_changed.emit()
        self._update_counters()

    def _apply_status(self, state: State, message: str) -> None:
        self.state, self.message = state, message
        self.state_changed.emit(state.value, message)

    def _update_counters(self) -> None:
        runner, buffer = self.runner, self.buffer
        if runner is None:
            return
        stats = runner.source.stats
        self.counters.dropped = runner.drops.dropped + stats.dropped
        self.counters.parse_errors = stats.parse_errors
        self.counters.reconnects = runner.reconnects
        written = buffer.written if buffer is not None else 0
        self.counters.samples = written
        now = time.monotonic()
        if self._rate_mark is None or written < self._rate_mark[1]:
            self._rate_mark = (now, written)
        elif now - self._rate_mark[0] >= 1.0:
            then, count = self._rate_mark
            self.counters.rate_hz = (written - count) / (now - then)
            self._rate_mark = (now, written)


def describe_error(err: BaseException) -> str:
    """A user-facing sentence for any exception raised while connecting."""
    if isinstance(err, DeviceError):
        return str(err)
    if isinstance(err, ImportError):
        return f"This device type is not available in this installation ({err}). Reinstall with `make run`."
    return f"Could not connect: {err}"
