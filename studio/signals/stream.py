"""The canonical stream model: timestamped multi-channel chunks with names, units and sequence numbers.

Canonical units for the whole studio: accelerometer in g (gravity included), gyroscope in deg/s.
Every device converts into these units once, through :mod:`studio.signals.units`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CANONICAL_CHANNELS: tuple[str, ...] = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
CANONICAL_UNITS: dict[str, str] = {
    "acc_x": "g", "acc_y": "g", "acc_z": "g",
    "gyro_x": "deg/s", "gyro_y": "deg/s", "gyro_z": "deg/s",
}


@dataclass(frozen=True)
class StreamInfo:
    """What a source produces: channel names, their units and the nominal sample rate (0 = unknown)."""

    channels: tuple[str, ...] = CANONICAL_CHANNELS
    units: tuple[str, ...] = tuple(CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS)
    rate_hz: float = 100.0
    device: str = "unknown"

    def __post_init__(self) -> None:
        if len(self.channels) != len(self.units):
            raise ValueError(f"{len(self.channels)} channels but {len(self.units)} units")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"duplicate channel names in {self.channels}")
        if self.rate_hz < 0 or not np.isfinite(self.rate_hz):
            raise ValueError(f"sample rate must be a finite number >= 0, got {self.rate_hz}")

    def index(self, channel: str) -> int:
        return self.channels.index(channel)


@dataclass
class Chunk:
    """A block of consecutive samples.

    t:    (n,) float64 seconds on the source's clock (monotonic within a stream)
    data: (n, C) float32 in the units of the stream's :class:`StreamInfo`
    seq:  (n,) int64 sequence numbers; gaps mean samples were lost on the way
    """

    t: np.ndarray
    data: np.ndarray
    seq: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=np.float64).reshape(-1)
        self.data = np.asarray(self.data, dtype=np.float32)
        if self.data.ndim == 1:
            self.data = self.data.reshape(1, -1)
        if self.data.shape[0] != self.t.shape[0]:
            raise ValueError(f"{self.t.shape[0]} timestamps for {self.data.shape[0]} samples")
        self.seq = np.asarray(self.seq, dtype=np.int64).reshape(-1)
        if self.seq.size == 0 and self.t.size:
            self.seq = np.full(self.t.shape[0], -1, np.int64)
        if self.seq.shape[0] != self.t.shape[0]:
            raise ValueError(f"{self.seq.shape[0]} sequence numbers for {self.t.shape[0]} samples")

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @staticmethod
    def concat(chunks: list["Chunk"], n_channels: int) -> "Chunk":
        if not chunks:
            return Chunk(np.zeros(0), np.zeros((0, n_channels), np.float32))
        return Chunk(
            np.concatenate([c.t for c in chunks]),
            np.concatenate([c.data for c in chunks]),
            np.concatenate([c.seq for c in chunks]),
        )


class DropCounter:
    """Counts samples lost in transit from gaps in sequence numbers (-1 = the source has none).

    ``modulus`` is the wrap-around of the device's counter (e.g. 2**16 for a uint16 field).
    """

    def __init__(self, modulus: int = 2**32) -> None:
        self.modulus = modulus
        self.dropped = 0
        self.received = 0
        self._last: int | None = None

    def update(self, seq: np.ndarray) -> int:
        """Count one chunk's sequence numbers; returns samples lost just before/inside it."""
        lost = 0
        for s in np.asarray(seq, dtype=np.int64):
            self.received += 1
            if s < 0:
                continue
            if self._last is not None:
                gap = (int(s) - self._last - 1) % self.modulus
                # A huge gap means the device restarted its counter: not a loss we can measure.
                if gap < self.modulus // 2:
                    lost += gap
            self._last = int(s)
        self.dropped += lost
        return lost

    def reset(self) -> None:
        self.dropped = 0
        self.received = 0
        self._last = None
