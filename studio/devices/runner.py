"""A thread that drives a source: reads chunks, counts drops, reconnects with backoff after faults."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from enum import Enum

from studio.devices.base import DeviceError, Source
from studio.signals.stream import Chunk, DropCounter


class State(str, Enum):
    """Connection state a StreamRunner reports through ``on_status``."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    FAILED = "failed"


ChunkListener = Callable[[Chunk], None]
StatusListener = Callable[[State, str], None]


class StreamRunner:
    """Runs ``source`` on a daemon thread.

    Listeners are called *on the runner thread*: they must be quick and must not touch widgets
    (the GUI pushes into a ring buffer and drains it from a timer).
    """

    def __init__(
        self,
        source: Source,
        on_chunk: ChunkListener | None = None,
        on_status: StatusListener | None = None,
        backoff: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0),
        max_retries: int | None = None,
        drop_modulus: int = 2**32,
    ) -> None:
        self.source = source
        self._chunk_listeners: list[ChunkListener] = [on_chunk] if on_chunk else []
        self._status_listeners: list[StatusListener] = [on_status] if on_status else []
        self.backoff = backoff
        self.max_retries = max_retries
        self.drops = DropCounter(drop_modulus)
        self.state = State.DISCONNECTED
        self.message = ""
        self.reconnects = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add_chunk_listener(self, fn: ChunkListener) -> None:
        self._chunk_listeners.append(fn)

    def remove_chunk_listener(self, fn: ChunkListener) -> None:
        if fn in self._chunk_listeners:
            self._chunk_listeners.remove(fn)

    def add_status_listener(self, fn: StatusListener) -> None:
        self._status_listeners.append(fn)

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"stream:{self.source.uri}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def _set_state(self, state: State, message: str = "") -> None:
        self.state, self.message = state, message
        for fn in list(self._status_listeners):
            fn(state, message)

    def _connect(self, reconnecting: bool) -> bool:
        attempt = 0
        while not self._stop.is_set():
            try:
                self.source.open()
                self._set_state(State.STREAMING, f"streaming from {self.source.uri}")
                return True
            except DeviceError as err:
                if not err.transient or (self.max_retries is not None and attempt >= self.max_retries):
                    self._set_state(State.FAILED, str(err))
                    return False
                delay = self.backoff[min(attempt, len(self.backoff) - 1)]
                state = State.RECONNECTING if reconnecting else State.CONNECTING
                self._set_state(state, f"{err} Retrying in {delay:.1f} s…")
                attempt += 1
                self._stop.wait(delay)
            except Exception as err:  # a driver bug must not kill the runner silently: say it, stop
                self._fail_unexpected(err)
                return False
        return False

    def _fail_unexpected(self, err: Exception) -> None:
        traceback.print_exc()
        self._set_state(State.FAILED, f"The device driver failed unexpectedly ({type(err).__name__}: {err}). "
                                      "Reconnect to try again; if it keeps happening, please report it.")

    def _run(self) -> None:
        self._set_state(State.CONNECTING, f"connecting to {self.source.uri}")
        reconnecting = False
        while not self._stop.is_set():
            if not self._connect(reconnecting):
                break
            try:
                while not self._stop.is_set():
                    chunk = self.source.read(0.05)
                    if chunk is None or len(chunk) == 0:
                        continue
                    self.drops.update(chunk.seq)
                    for fn in list(self._chunk_listeners):
                        fn(chunk)
            except DeviceError as err:
                self.source.close()
                if not err.transient:
                    self._set_state(State.FAILED, str(err))
                    break
                self.reconnects += 1
                self.drops.reset()
                reconnecting = True
                self._set_state(State.RECONNECTING, f"{err} Reconnecting…")
                continue
            except Exception as err:
                self.source.close()
                self._fail_unexpected(err)
                break
        self.source.close()
        if self.state != State.FAILED:
            self._set_state(State.DISCONNECTED, "disconnected")
