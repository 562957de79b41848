"""Put a phone's separate, irregularly timed accelerometer and gyroscope streams on one uniform grid.

Phones deliver each sensor on its own schedule (Android batches, jitter of a few ms, rates the OS
picks). The merger keeps a short tail of each stream and emits grid points up to the time both
streams have reached, interpolating each linearly (:func:`numpy.interp`, as in
:func:`studio.signals.units.resample`). A gap in the accelerometer longer than ``max_gap_s`` is not
bridged: its grid points are skipped, so the sequence numbers show the loss. A gyroscope gap, a
gyroscope that stalls, or a phone without one gives NaN gyro channels (missing, never faked).
Readings that jump back in time by more than :data:`JUMP_BACK_S` (the phone cleared its data and
started over) raise :class:`ClockWentBack` instead of being dropped as repeats.
"""

from __future__ import annotations

import math

import numpy as np

from studio.signals.stream import Chunk

TOLERANCE_S = 1e-6   # timestamps closer than this are the same instant
GYRO_STALL_S = 1.0   # a gyroscope this far behind the accelerometer no longer holds the stream back
JUMP_BACK_S = 1.0    # new readings this far behind the newest one mean the device clock started over


class ClockWentBack(ValueError):
    """A sensor's readings jumped back in time: the phone restarted its measurement."""


class _Stream:
    """One sensor's recent samples: times (n,) and values (n, 3), in arrival order."""

    def __init__(self) -> None:
        self.t = np.zeros(0, np.float64)
        self.x = np.zeros((0, 3), np.float32)

    def add(self, t: np.ndarray, x: np.ndarray) -> None:
        t = np.asarray(t, np.float64).reshape(-1)
        x = np.asarray(x, np.float32).reshape(-1, 3)
        keep = np.isfinite(t)
        if self.t.size and keep.any() and t[keep].max() < self.t[-1] - JUMP_BACK_S:
            raise ClockWentBack(f"its clock went back from {self.t[-1]:.2f} s to {t[keep].max():.2f} s")
        if self.t.size:
            keep &= t > self.t[-1]  # a repeated or older reading (re-sent after a poll) adds nothing
        t, x = t[keep], x[keep]
        if t.size > 1 and np.any(np.diff(t) <= 0):
            order = np.argsort(t, kind="stable")
            t, x = t[order], x[order]
            fresh = np.concatenate([[True], np.diff(t) > 0])
            t, x = t[fresh], x[fresh]
        self.t = np.concatenate([self.t, t])
        self.x = np.concatenate([self.x, x])

    @property
    def last(self) -> float:
        return float(self.t[-1]) if self.t.size else -math.inf

    def sample(self, grid: np.ndarray, max_gap_s: float) -> np.ndarray:
        """Values at ``grid`` (m, 3); NaN outside the data or inside a gap longer than ``max_gap_s``."""
        out = np.full((grid.size, 3), np.nan, np.float32)
        n = self.t.size
        if n == 0:
            return out
        for c in range(3):
            out[:, c] = np.interp(grid, self.t, self.x[:, c])
        # Device times and grid times are both rounded floats: a grid point within TOLERANCE_S of a
        # reading is that reading, not a point outside the data.
        hi = np.searchsorted(self.t, grid - TOLERANCE_S, side="left")
        right = np.minimum(hi, n - 1)
        left = np.maximum(hi - 1, 0)
        exact = np.abs(self.t[right] - grid) <= TOLERANCE_S
        inside = (hi > 0) & (hi < n) & ((self.t[right] - self.t[left]) <= max_gap_s)
        out[~(exact | inside)] = np.nan
        return out

    def trim(self, before: float) -> None:
        """Forget samples not needed to interpolate at times >= ``before`` (keeps one before it)."""
        first = max(0, int(np.searchsorted(self.t, before, side="right")) - 1)
        if first:
            self.t, self.x = self.t[first:], self.x[first:]


class ImuMerger:
    """Accelerometer (g) + gyroscope (deg/s) readings in, uniform 6-channel chunks out.

    ``add("acc" | "gyro", t, xyz)`` takes device times in seconds; :meth:`pop` returns the grid
    points that are complete (``t`` on the device clock, ``seq`` = grid index from the first sample).
    """

    def __init__(self, rate_hz: float, max_gap_s: float = 0.25) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate must be positive, got {rate_hz}")
        self.rate_hz = float(rate_hz)
        self.max_gap_s = max(max_gap_s, 2.5 / self.rate_hz)
        self.acc = _Stream()
        self.gyro = _Stream()
        self.skipped = 0          # grid points lost to accelerometer gaps
        self._t0: float | None = None
        self._next = 0

    def add(self, kind: str, t: np.ndarray, xyz: np.ndarray) -> None:
        {"acc": self.acc, "gyro": self.gyro}[kind].add(t, xyz)

    def pop(self, wait_for_gyro: bool = True) -> Chunk | None:
        """Grid points ready now. With ``wait_for_gyro``, points wait until the gyroscope has
        reached them too (unless it stalled more than :data:`GYRO_STALL_S` behind)."""
        if not self.acc.t.size:
            return None
        end = self.acc.last
        if wait_for_gyro:
            if not self.gyro.t.size:
                return None
            if end - self.gyro.last < GYRO_STALL_S:
                end = min(end, self.gyro.last)
        if self._t0 is None:  # the grid starts where every stream expected has begun
            self._t0 = float(self.acc.t[0]) if not wait_for_gyro else max(float(self.acc.t[0]), float(self.gyro.t[0]))
        n_end = int(math.floor((end - self._t0) * self.rate_hz + 1e-6))
        if n_end < self._next:
            return None
        seq = np.arange(self._next, n_end + 1, dtype=np.int64)
        grid = self._t0 + seq / self.rate_hz
        acc = self.acc.sample(grid, self.max_gap_s)
        gyro = self.gyro.sample(grid, self.max_gap_s)
        self._next = n_end + 1
        self.acc.trim(float(grid[-1]))
        self.gyro.trim(float(grid[-1]))
        ok = np.isfinite(acc).all(axis=1)
        self.skipped += int((~ok).sum())
        if not ok.any():
            return None
        return Chunk(grid[ok], np.concatenate([acc[ok], gyro[ok]], axis=1), seq[ok])
