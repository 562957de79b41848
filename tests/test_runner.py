"""StreamRunner: a driver that raises something other than DeviceError ends in FAILED with a message,
instead of killing the runner thread and leaving the GUI at "connecting" for good."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from studio.devices.base import Source
from studio.devices.runner import State, StreamRunner
from studio.signals.stream import CANONICAL_CHANNELS, Chunk, StreamInfo


class BrokenSource(Source):
    def __init__(self, fail_in: str) -> None:
        super().__init__()
        self.fail_in = fail_in
        self.closed = threading.Event()
        self.uri = "broken"

    @property
    def info(self) -> StreamInfo:
        return StreamInfo(CANONICAL_CHANNELS, ("g",) * 3 + ("deg/s",) * 3, 100.0, "broken")

    def open(self) -> None:
        if self.fail_in == "open":
            raise TypeError("'int' object is not iterable")

    def read(self, timeout: float = 0.1) -> Chunk | None:
        if self.fail_in == "read":
            raise RuntimeError("driver bug")
        return Chunk(np.zeros(1), np.zeros((1, 6), np.float32), np.zeros(1, np.int64))

    def close(self) -> None:
        self.closed.set()


@pytest.mark.parametrize("fail_in", ["open", "read"])
def test_unexpected_driver_error_fails_with_a_message(fail_in):
    source = BrokenSource(fail_in)
    states = []
    done = threading.Event()

    def on_status(state, message):
        states.append((state, message))
        if state in (State.FAILED, State.DISCONNECTED):
            done.set()

    runner = StreamRunner(source, on_chunk=lambda _c: None, on_status=on_status)
    runner.start()
    assert done.wait(10)
    runner.stop()
    state, message = states[-1]
    assert state == State.FAILED and "failed unexpectedly" in message
    assert ("TypeError" if fail_in == "open" else "RuntimeError") in message
    assert source.closed.is_set()
