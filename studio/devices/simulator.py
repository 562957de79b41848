"""A simulated IMU: continuous idle hand motion, sensor noise and bias, and performable gestures.

The signal comes from :mod:`studio.synth`: an endless background trajectory (tremor and slow drift)
plus queued gesture trajectories, turned into accelerometer and gyroscope readings by kinematics, so
a performed gesture blends smoothly into the stream (the hand returns to rest afterwards).

In realtime mode samples are paced by ``time.monotonic`` (``speed`` times faster than real time: GUI tests
use 10, paced so that a busy machine cannot outrun the ring buffer); with ``realtime=False`` every read
returns the next fixed-size chunk at once (benchmarks, CLI tests). URI:
``simulator?rate=200&seed=3&realtime=0`` or ``simulator?speed=10``.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import deque

import numpy as np

from studio.devices import uri_params
from studio.devices.base import DeviceError, Source
from studio.signals.stream import Chunk, StreamInfo
from studio.synth import GESTURES, Domain, idle, shapes
from studio.synth.domain import apply_sensor, draw_device
from studio.synth.kinematics import imu_from_trajectory
from studio.synth.render import draw_attributes, gesture_motion

MAX_RATE_HZ = 2000.0
MAX_BACKLOG_S = 5.0     # a reader that stalls longer loses the older samples (seq gap), like a device FIFO
MIN_CHUNK_S = 0.01      # realtime reads wait for at least this much data (or the timeout)
MAX_SPEED = 100.0       # realtime pacing at most this many times faster than real time


def simulator_domain() -> Domain:
    """The simulator's default: a device held roughly flat in the hand, ordinary sensor errors."""
    return Domain.default().with_(orientation_deg=20.0, lever_arm_m=0.05, tremor=(0.8, 1.2))


class SimulatedIMU(Source):
    """A 6-axis IMU simulated in software (acc in g, gyro in deg/s)."""

    def __init__(self, rate_hz: float = 100.0, seed: int | None = None, realtime: bool = True,
                 domain: Domain | None = None, chunk: int | None = None, drop: float = 0.0,
                 speed: float = 1.0) -> None:
        super().__init__()
        if not (math.isfinite(rate_hz) and 0 < rate_hz <= MAX_RATE_HZ):
            raise ValueError(f"rate must be between 0 and {MAX_RATE_HZ:g} Hz, got {rate_hz}")
        if not 0.0 <= drop < 1.0:
            raise ValueError(f"drop must be a probability in [0, 1), got {drop}")
        self.rate_hz = float(rate_hz)
        self.realtime = realtime
        if not (math.isfinite(speed) and 0 < speed <= MAX_SPEED):
            raise ValueError(f"speed must be above 0 and at most {MAX_SPEED:g}, got {speed}")
        self.speed = float(speed)
        self.chunk = max(1, int(chunk if chunk else round(self.rate_hz * 0.05)))
        self.drop = drop
        self.domain = simulator_domain() if domain is None else domain
        self._rng = np.random.default_rng(seed)
        self._device = draw_device(self.domain, self._rng)
        self._background = idle.tremor_and_drift(self._rng, max(self._device.tremor, 0.3))
        self._requests: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._active: list[tuple[float, shapes.Motion]] = []  # (start on the stream clock, motion)
        self._busy_until = 0.0
        self._history: deque[tuple[str, int, int]] = deque(maxlen=200)
        self._lock = threading.Lock()
        self._next = 0          # sequence number of the next sample
        self._t0 = 0.0
        self._wall0 = 0.0
        self._open = False

    @property
    def info(self) -> StreamInfo:
        return StreamInfo(rate_hz=self.rate_hz, device="Simulated IMU")

    @property
    def t0(self) -> float:
        """Origin of the stream clock: sample ``seq`` has timestamp ``t0 + seq / rate_hz``."""
        return self._t0

    def open(self) -> None:
        self._t0 = time.monotonic() - self._next / self.rate_hz
        self._wall0 = time.monotonic() - self._next / (self.rate_hz * self.speed)  # pacing origin
        self._open = True

    def close(self) -> None:
        self._open = False

    @staticmethod
    def gesture_names() -> list[str]:
        """Names :meth:`perform` accepts."""
        return list(GESTURES)

    def perform(self, name: str) -> None:
        """Queue gesture ``name``; it starts at the next read, after any gesture still playing."""
        if name not in GESTURES:
            raise ValueError(f"unknown gesture {name!r}; known: {', '.join(GESTURES)}")
        self._requests.put(name)

    def performed(self) -> list[tuple[str, int, int]]:
        """Recent performances as ``(name, first seq, last seq)`` of the gesture itself (ground truth)."""
        with self._lock:
            return list(self._history)

    def read(self, timeout: float = 0.1) -> Chunk | None:
        if not self._open:
            raise DeviceError("The simulator is not open.", "Connect it first.")
        if not self.realtime:
            return self._generate(self.chunk)
        deadline = time.monotonic() + max(0.0, timeout)
        min_n = max(1, int(round(self.rate_hz * MIN_CHUNK_S)))
        paced = self.rate_hz * self.speed  # samples per wall-clock second
        while True:
            now = time.monotonic()
            due = int((now - self._wall0) * paced) + 1 - self._next
            if due >= min_n or now >= deadline:
                break
            ready_at = self._wall0 + (self._next + min_n - 1) / paced
            time.sleep(max(0.0, min(ready_at, deadline) - now))
        if due <= 0:
            return None
        backlog = int(MAX_BACKLOG_S * paced)
        if due > backlog:  # the reader stalled: the oldest samples are gone, as from a device FIFO
            self._next += due - backlog
            due = backlog
        return self._generate(due)

    def _schedule(self, now_s: float) -> None:
        while True:
            try:
                name = self._requests.get_nowait()
            except queue.Empty:
                break
            attrs = draw_attributes(name, self._rng, self.domain)
            motion = gesture_motion(name, attrs, self._rng, self.domain, self._device.coupling)
            start = max(now_s + 0.05, self._busy_until)
            rest = shapes.with_return(motion)
            self._active.append((start, rest))
            self._busy_until = start + rest.duration
            first = int(math.ceil(start * self.rate_hz))
            with self._lock:
                self._history.append((name, first, first + int(motion.duration * self.rate_hz)))

    def _trajectory(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos, rotv = self._background(t)
        for start, motion in self._active:
            p, r = motion(t - start)
            pos = pos + p
            rotv = rotv + r
        return pos, rotv

    def _generate(self, n: int) -> Chunk:
        seq = np.arange(self._next, self._next + n, dtype=np.int64)
        self._next += n
        t = seq / self.rate_hz
        self._schedule(float(t[0]))
        self._active = [(s, m) for s, m in self._active if s + m.duration > t[0] - 1.0]
        acc, gyro = imu_from_trajectory(self._trajectory, t, 0.5 / self.rate_hz, self._device.mount,
                                        self._device.lever_m, self._device.gravity_g)
        data = apply_sensor(acc, gyro, self._device, self._rng)
        if self.drop:
            keep = self._rng.random(n) >= self.drop
            seq, t, data = seq[keep], t[keep], data[keep]
        self.stats.samples += int(seq.shape[0])
        return Chunk(self._t0 + t, data, seq)


def _number(params: dict[str, str], name: str, default: float, kind: type = float) -> float:
    return uri_params.number(params, name, default, kind=kind, what="Simulator setting")


_PARAMS = ("rate", "seed", "realtime", "speed", "gesture", "domain", "chunk", "drop")


def from_uri(uri) -> SimulatedIMU:  # noqa: ANN001 - a registry.DeviceURI
    """Build the simulator from ``simulator?rate=200&seed=3&realtime=0&gesture=circle_cw``.

    Also ``domain=clean|default|heavy`` (device randomisation), ``chunk=N`` (samples per read when
    not realtime), ``drop=P`` (simulate losing each sample with probability P) and ``speed=X`` (realtime
    pacing X times faster than real time).
    """
    params = dict(uri.params)
    uri_params.check_params(params, _PARAMS, "simulator setting")
    rate = _number(params, "rate", 100.0)
    if not 1.0 <= rate <= MAX_RATE_HZ:
        raise DeviceError(f"Simulator rate {rate:g} Hz is out of range.",
                          f"Use a rate between 1 and {MAX_RATE_HZ:g} Hz.")
    seed = int(_number(params, "seed", -1, int)) if "seed" in params else None
    if seed is not None and seed < 0:
        raise DeviceError(f"Simulator seed {seed} must not be negative.")
    drop = _number(params, "drop", 0.0)
    if not 0.0 <= drop < 1.0:
        raise DeviceError(f"Simulator drop={drop:g} must be a probability from 0 to below 1.")
    chunk = int(_number(params, "chunk", 0, int))
    if chunk < 0:
        raise DeviceError(f"Simulator chunk={chunk} must be a positive number of samples.")
    presets = {"clean": Domain.clean, "default": simulator_domain, "heavy": Domain.heavy}
    domain_name = params.get("domain", "default")
    if domain_name not in presets:
        raise DeviceError(f"Unknown simulator domain {domain_name!r}.", f"Use one of: {', '.join(presets)}.")
    domain = presets[domain_name]()
    if domain.rate_hz is not None:  # the simulator streams at its own rate; rate randomisation is for data sets
        domain = domain.with_(rate_hz=None)
    realtime = uri_params.flag(params, "realtime", True, "Simulator setting")
    speed = uri_params.number(params, "speed", 1.0, 0.1, MAX_SPEED, what="Simulator setting")
    source = SimulatedIMU(rate, seed, realtime, domain, chunk or None, drop, speed)
    gesture = params.get("gesture")
    if gesture is not None:
        if gesture not in GESTURES:
            raise DeviceError(f"Unknown gesture {gesture!r} for the simulator.", f"Known: {', '.join(GESTURES)}.")
        source.perform(gesture)
    return source
