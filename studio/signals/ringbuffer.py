"""A preallocated ring buffer for the live path: one producer thread pushes, the GUI timer reads.

The storage is mirrored (every row written twice, ``capacity`` apart), so the latest ``n`` samples are
always one contiguous slice: no copies or concatenation on the GUI's hot path.
"""

from __future__ import annotations

import threading

import numpy as np


class RingBuffer:
    """Fixed-capacity buffer of timestamped samples with a running write counter."""

    def __init__(self, capacity: int, n_channels: int) -> None:
        if capacity <= 0 or n_channels <= 0:
            raise ValueError("capacity and n_channels must be positive")
        self.capacity = int(capacity)
        self.n_channels = int(n_channels)
        self._t = np.zeros(2 * self.capacity, np.float64)
        self._x = np.zeros((2 * self.capacity, self.n_channels), np.float32)
        self._written = 0  # total samples ever pushed
        self._lock = threading.Lock()

    @property
    def written(self) -> int:
        return self._written

    def __len__(self) -> int:
        return min(self._written, self.capacity)

    def push(self, t: np.ndarray, x: np.ndarray) -> None:
        """Append samples; ``t`` (n,), ``x`` (n, C). Older samples beyond capacity are overwritten."""
        t = np.asarray(t, np.float64).reshape(-1)
        x = np.asarray(x, np.float32).reshape(t.shape[0], self.n_channels)
        skipped = max(0, t.shape[0] - self.capacity)  # overwritten before anyone could read them
        if skipped:
            t, x = t[-self.capacity:], x[-self.capacity:]
        n = t.shape[0]
        with self._lock:
            start = (self._written + skipped) % self.capacity
            first = min(n, self.capacity - start)
            for offset in (0, self.capacity):
                self._t[offset + start: offset + start + first] = t[:first]
                self._x[offset + start: offset + start + first] = x[:first]
                self._t[offset: offset + n - first] = t[first:]
                self._x[offset: offset + n - first] = x[first:]
            self._written += n + skipped

    def _latest_locked(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        n = max(0, min(int(n), len(self)))
        end = self._written % self.capacity + self.capacity
        return self._t[end - n: end], self._x[end - n: end]

    def latest(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The newest ``min(n, len(self))`` samples as copies ``(t, x)``, oldest first."""
        with self._lock:
            t, x = self._latest_locked(n)
            return t.copy(), x.copy()

    def latest_view(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`latest` but returns views (no copy); only for the thread that also reads them
        before the next push can wrap around, e.g. a plot redraw of a window smaller than capacity."""
        with self._lock:
            return self._latest_locked(n)

    def since(self, counter: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Samples written after ``counter`` (a previous ``written`` value) and the new counter.

        If the reader fell more than ``capacity`` behind, only the newest ``capacity`` are returned.
        """
        with self._lock:
            t, x = self._latest_locked(self._written - counter)
            return t.copy(), x.copy(), self._written

    def clear(self) -> None:
        with self._lock:
            self._written = 0
