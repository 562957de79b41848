"""Incremental parsers for IMU byte streams: CSV lines, WitMotion 0x55 frames and our framed protocol.

Every parser has the same shape: ``feed(data: bytes) -> list[Sample]``. It keeps any incomplete tail
for the next call, never raises on bad input, and counts what it had to skip in ``errors``. Samples
are already in canonical units (acc in g, gyro in deg/s); a channel the device does not measure is NaN
(masked, never faked).
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

from studio.signals.stream import CANONICAL_CHANNELS

NAN = math.nan
N_CHANNELS = len(CANONICAL_CHANNELS)
ACC_ONLY = CANONICAL_CHANNELS[:3]


class Sample(NamedTuple):
    """One canonical sample: six values (NaN where absent), device time in seconds (None if the device
    sends none) and the device's sample counter (-1 if it has none)."""

    values: tuple[float, ...]
    t: float | None = None
    seq: int = -1


class Parser:
    """Base class: ``feed`` bytes, get samples; ``errors`` counts skipped garbage/corrupt records."""

    name = "base"

    def __init__(self) -> None:
        self.errors = 0
        self.samples = 0
        # Canonical channels this stream actually measures; parsers narrow it once they know.
        self.channels: tuple[str, ...] = CANONICAL_CHANNELS

    def feed(self, data: bytes) -> list[Sample]:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a record."""
        return 0


class BinaryParser(Parser):
    """Base of the binary frame parsers: a byte buffer that holds an incomplete frame, and ``_skip``,
    which drops bytes while hunting for the next frame and counts one error per run of garbage."""

    def __init__(self) -> None:
        super().__init__()
        self._buf = bytearray()
        self._in_garbage = False

    @property
    def pending(self) -> int:
        return len(self._buf)

    def _skip(self, n: int) -> None:
        if n <= 0:
            return
        del self._buf[:n]
        if not self._in_garbage:
            self.errors += 1  # one error per run of skipped bytes, not per byte
            self._in_garbage = True


class RateEstimator:
    """Sample rate over the last ``window`` stamps.

    ``median=True`` (device timestamps, regular by construction): one over the median interval, which
    ignores the odd glitch. ``median=False`` (arrival times): samples per second over the window's
    span, because USB and BLE deliver in bursts whose intervals say nothing about the sample rate.
    """

    def __init__(self, window: int = 200, median: bool = True) -> None:
        self.median = median
        self._times: deque[float] = deque(maxlen=window)
        self._count: deque[int] = deque(maxlen=window)

    def add(self, t: float, n: int = 1) -> None:
        """Record that ``n`` samples were complete at time ``t``."""
        self._times.append(t)
        self._count.append(n)

    @property
    def rate_hz(self) -> float:
        """Estimated rate, 0.0 until at least two stamps cover some time."""
        if len(self._times) < 2:
            return 0.0
        times = list(self._times)
        if self.median:
            gaps = sorted(b - a for a, b in zip(times, times[1:]) if b > a)
            return 1.0 / gaps[len(gaps) // 2] if gaps else 0.0
        span = times[-1] - times[0]
        return (sum(self._count) - self._count[0]) / span if span > 0 else 0.0


class Timestamper:
    """Turns parsed samples into strictly increasing host-clock times (seconds, ``time.monotonic``).

    With device timestamps, device time is anchored to the arrival of the first sample (device
    timing survives USB/BLE batching); a device clock that jumps back (reset) re-anchors. Without
    them, a batch that arrived at ``now`` is spread back from ``now`` at the estimated arrival rate.
    """

    def __init__(self, nominal_rate: float = 0.0) -> None:
        self.nominal_rate = nominal_rate
        self.device_rate = RateEstimator(median=True)
        self.arrival_rate = RateEstimator(median=False)
        self._offset: float | None = None
        self._last = -math.inf

    @property
    def rate_hz(self) -> float:
        """Nominal rate if known, else from device timestamps, else from arrivals (0 = not yet)."""
        return self.nominal_rate or round(self.device_rate.rate_hz or self.arrival_rate.rate_hz, 1)

    def reset(self) -> None:
        self._offset, self._last = None, -math.inf

    def stamp(self, samples: list[Sample], now: float) -> list[float]:
        """Times for ``samples`` (all of which arrived by ``now``)."""
        n = len(samples)
        if samples and all(s.t is not None for s in samples):
            dev = [float(s.t) for s in samples]  # type: ignore[arg-type]
            if self._offset is None or dev[0] + self._offset <= self._last - 1.0:
                self._offset = now - dev[-1]
            times = [d + self._offset for d in dev]
            for d in dev:
                self.device_rate.add(d)
        else:
            self.arrival_rate.add(now, n)
            rate = self.nominal_rate or self.arrival_rate.rate_hz
            times = [now - (n - 1 - i) / rate for i in range(n)] if rate > 0 else [now] * n
        floor = self._last if math.isfinite(self._last) else times[0] - 1e-6
        out = []
        for t in times:
            floor = max(t, floor + 1e-6)
            out.append(floor)
        if out:
            self._last = out[-1]
        return out


def make_parser(fmt: str, **options: object) -> Parser:
    """Build the parser for a serial ``format=`` name: ``csv``, ``witmotion`` or ``frame``."""
    from studio.devices.formats.csv_lines import CsvLineParser
    from studio.devices.formats.frame import FrameParser
    from studio.devices.formats.witmotion import WitMotionParser

    kinds: dict[str, type[Parser]] = {"csv": CsvLineParser, "witmotion": WitMotionParser, "frame": FrameParser}
    try:
        return kinds[fmt](**options)  # type: ignore[arg-type]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(sorted(kinds))}") from None


FORMATS = ("csv", "witmotion", "frame")


def detect_format(data: bytes) -> str | None:
    """Guess the serial format from a probe of raw bytes: the parser that recovers most samples wins.

    Returns ``None`` when no parser recognises anything (e.g. the device sent nothing yet).
    """
    best, best_n = None, 0
    for fmt in ("frame", "witmotion", "csv"):
        parser = make_parser(fmt)
        n = len(parser.feed(data))
        if n > best_n:
            best, best_n = fmt, n
    return best
