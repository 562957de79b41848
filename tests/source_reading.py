"""A helper the device tests share: read chunks from an opened Source until enough samples arrived."""

from __future__ import annotations

import time


def read_samples(source, n: int, timeout: float = 5.0) -> list:
    """Chunks read from ``source`` until they hold ``n`` samples or ``timeout`` seconds passed."""
    chunks, got = [], 0
    deadline = time.monotonic() + timeout
    while got < n and time.monotonic() < deadline:
        chunk = source.read(0.05)
        if chunk is not None:
            chunks.append(chunk)
            got += len(chunk)
    return chunks


def wait_until(done, timeout: float) -> bool:
    """Poll ``done()`` every 10 ms until it is true or ``timeout`` seconds passed; its last answer."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(done())
