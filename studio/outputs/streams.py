"""Continuous streams: orientation, motion energy and gesture similarity sent at a steady rate.

Three threads keep a show's timing apart:

* the device runner only appends each chunk to this engine's inbox (:meth:`StreamEngine.feed`, a
  deque append: it never waits);
* the engine's own thread wakes at the stream rate on an absolute schedule (a late tick is skipped, never
  queued: newest wins), folds the new samples into each device's AHRS filter and energy window, maps
  every stream's value and sends it;
* similarity (the motion encoder, milliseconds per window) runs on a third thread at
  ``similarity_hz``; the engine sends its newest result.

Gesture events never pass through here: they have their own lanes in the :class:`OutputHub`, so no
stream can delay them. Sends share the running OSC/MIDI/WebSocket outputs (their sockets and ports are
safe to use from two threads).
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable, Mapping

import numpy as np

from studio.outputs.events import Output, OutputError
from studio.outputs.stream_config import WEKINATOR_ADDRESS, StreamConfig, StreamsConfig
from studio.signals.motion_features import MotionFeatures
from studio.signals.ringbuffer import RingBuffer
from studio.signals.stream import CANONICAL_CHANNELS

SimilarityFn = Callable[[np.ndarray, float, tuple], dict]
WINDOW_S = 2.56          # the encoder's window: similarity looks at the last 2.56 s
INBOX_CHUNKS = 4096      # the engine drains every tick; this only bounds memory if it stopped


class _Device:
    """One device's features and recent window (fed on the engine thread, read by the similarity one)."""

    def __init__(self, name: str, rate_hz: float, channels: tuple[str, ...]) -> None:
        self.name = name
        self.rate_hz = rate_hz or 100.0
        self.channels = channels
        self.features = MotionFeatures(self.rate_hz)
        self.window = RingBuffer(max(16, int(round(self.rate_hz * WINDOW_S))), len(channels))
        self.index = [channels.index(c) if c in channels else -1 for c in CANONICAL_CHANNELS]

    def add(self, t: np.ndarray, data: np.ndarray) -> None:
        canon = np.full((len(data), len(CANONICAL_CHANNELS)), np.nan, np.float64)
        for j, i in enumerate(self.index):
            if i >= 0:
                canon[:, j] = data[:, i]
        self.features.update(t, canon)
        self.window.push(t, data)

    def raw(self, signal: str) -> tuple[float, ...]:
        if signal == "energy":
            return (self.features.energy(),)
        roll, pitch, yaw = self.features.orientation()
        return {"roll": (roll,), "pitch": (pitch,), "yaw": (yaw,), "orientation": (roll, pitch, yaw)}[signal]


class _Lane:
    """One stream's mapping state: smoothing, deadband, last value sent."""

    def __init__(self, config: StreamConfig) -> None:
        self.config = config
        self.smoothed: list[float] | None = None
        self.sent: list[float] | None = None
        self.raw: tuple[float, ...] = ()
        self.count = 0

    def map(self, raw: tuple[float, ...], dt: float) -> list[float]:
        c = self.config
        span = c.in_max - c.in_min
        values = [min(1.0, max(0.0, (r - c.in_min) / span)) if math.isfinite(r) else 0.0 for r in raw]
        if self.smoothed is None or len(self.smoothed) != len(values) or c.smoothing_ms <= 0:
            self.smoothed = values
        else:
            alpha = 1.0 - math.exp(-dt * 1000.0 / c.smoothing_ms)
            self.smoothed = [s + alpha * (v - s) for s, v in zip(self.smoothed, values)]
        self.raw = raw
        return self.smoothed

    def due(self, values: list[float]) -> bool:
        c = self.config
        if self.sent is None or len(self.sent) != len(values):
            return True
        if c.target == "midi":
            steps = 16383 if c.fine else 127
            if all(round(v * steps) == round(s * steps) for v, s in zip(values, self.sent)):
                return False   # the same controller value again says nothing new
        return c.deadband <= 0 or any(abs(v - s) >= c.deadband for v, s in zip(values, self.sent))


class StreamEngine:
    """Send ``config``'s streams to the running ``outputs`` (``{"osc": OscOutput, "midi": MidiOutput,
    "websocket": WebSocketOutput}``, any may be missing: streams to it are listed in :attr:`problems`).

    ``similarity(window, rate_hz, channels) -> {gesture: score}`` is usually
    ``Recogniser.similarities``; :meth:`set_similarity` swaps it while running.
    """

    def __init__(self, config: StreamsConfig, outputs: Mapping[str, Output], similarity: SimilarityFn | None = None,
                 wekinator_host: str = "127.0.0.1", on_error: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.config = config.check()
        self.outputs = dict(outputs)
        self.on_error = on_error
        self.clock = clock
        self.problems: list[str] = []
        self._lanes = []
        for s in config.streams:
            if not s.enabled:
                continue
            if s.target not in self.outputs:
                name = {"osc": "OSC", "midi": "MIDI", "websocket": "WebSocket"}[s.target]
                self.problems.append(f"Stream '{s.name}' goes to {name}, which is not running: turn {name} on, "
                                     f"or fix the problem its state shows.")
                continue
            self._lanes.append(_Lane(s))
        self._similarity = similarity
        self._wek_host = wekinator_host
        self._wek_client = None
        self._inbox: collections.deque = collections.deque(maxlen=INBOX_CHUNKS)
        self._devices: dict[str, _Device] = {}
        self._devices_lock = threading.Lock()
        self._scores: dict[str, dict[str, float]] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_error: str | None = None
        self.ticks = 0
        self.sends = 0
        self.skipped_ticks = 0
        self.cpu_s = 0.0
        self.tick_log: collections.deque | None = None   # benchmarks set a deque to record tick times

    # -- device side (runner threads) ------------------------------------------------------------
    def feed(self, chunk, device: str = "", rate_hz: float = 0.0, channels: tuple[str, ...] | None = None) -> None:
        """Queue a chunk from ``device``; returns at once (called on the device runner thread)."""
        if len(chunk):
            self._inbox.append((device, rate_hz, tuple(channels or CANONICAL_CHANNELS[:chunk.data.shape[1]]),
                                chunk.t, chunk.data))

    def set_similarity(self, fn: SimilarityFn | None) -> None:
        """Use ``fn`` for similarity streams from now on (None: they hold their last value)."""
        self._similarity = fn

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return bool(self._threads)

    def start(self) -> None:
        """Start the stream thread (and the similarity thread when a stream needs it)."""
        if self._threads:
            return
        if self.config.wekinator:
            from pythonosc.udp_client import SimpleUDPClient

            self._wek_client = SimpleUDPClient(self._wek_host, self.config.wekinator_port)
        self._stop.clear()
        self._threads = [threading.Thread(target=self._run, name="streams", daemon=True)]
        if any(lane.config.signal == "similarity" for lane in self._lanes):
            self._threads.append(threading.Thread(target=self._run_similarity, name="streams-similarity",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        """Stop the threads (idempotent); the outputs belong to the hub and stay open."""
        self._stop.set()
        for thread in self._threads:
            thread.join(2.0)
        self._threads = []
        if self._wek_client is not None:
            self._wek_client.close()
            self._wek_client = None

    # -- reading ---------------------------------------------------------------------------------
    def values(self) -> dict[str, tuple[tuple[float, ...], list[float]]]:
        """Per stream name: (raw values, mapped 0-1 values) as last computed (for the live preview)."""
        return {lane.config.name: (lane.raw, list(lane.smoothed or [])) for lane in list(self._lanes)}

    @property
    def devices(self) -> list[str]:
        with self._devices_lock:
            return list(self._devices)

    # -- engine thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        period = 1.0 / self.config.rate_hz
        start = self.clock()
        k = 0
        last = start
        while not self._stop.is_set():
            k += 1
            due = start + k * period
            wait = due - self.clock()
            if wait > 0 and self._stop.wait(wait):
                break
            now = self.clock()
            if now - due > period:   # far behind (machine stalled): skip to the present, never catch up
                missed = int((now - due) / period)
                self.skipped_ticks += missed
                k += missed
            cpu0 = time.thread_time()
            try:
                self._tick(now - last)
            except Exception as exc:  # a bad value or a failing output is reported, never kills the stream
                self._report(exc)
            last = now
            self.ticks += 1
            self.cpu_s += time.thread_time() - cpu0
            if self.tick_log is not None:
                self.tick_log.append(now)

    def _drain(self) -> None:
        while True:
            try:
                device, rate, channels, t, data = self._inbox.popleft()
            except IndexError:
                return
            dev = self._devices.get(device)
            if dev is None or dev.channels != channels or (rate and abs(rate - dev.rate_hz) > 1e-6):
                dev = _Device(device, rate or _estimate_rate(t), channels)
                with self._devices_lock:
                    self._devices[device] = dev
            dev.add(t, data)

    def _device(self, name: str) -> _Device | None:
        if name:
            return self._devices.get(name)
        return next(iter(self._devices.values()), None)

    def _tick(self, dt: float) -> None:
        self._drain()
        frame: dict[str, float] = {}
        wek: list[float] = []
        for lane in self._lanes:
            c = lane.config
            dev = self._device(c.device)
            if dev is None:
                continue
            if c.signal == "similarity":
                score = self._scores.get(dev.name, {}).get(c.gesture)
                if score is None:
                    continue
                raw: tuple[float, ...] = (score,)
            else:
                raw = dev.raw(c.signal)
            values = lane.map(raw, dt)
            wek.extend(values)
            if not lane.due(values):
                continue
            self._send(lane, dev.name, values, frame)
            lane.sent = list(values)
            lane.count += 1
        if frame and "websocket" in self.outputs:
            self.outputs["websocket"].send_json({"type": "streams", "t": time.time(), "values": frame})
            self.sends += 1
        if self._wek_client is not None and wek:
            self._wek_client.send_message(WEKINATOR_ADDRESS, wek)

    def _send(self, lane: _Lane, device: str, values: list[float], frame: dict) -> None:
        c = lane.config
        if c.target == "osc":
            self.outputs["osc"].send_values(c.osc_address(device, c.gesture), values)
        elif c.target == "midi":
            self.outputs["midi"].send_cc(c.channel, c.cc, values[0], fine=c.fine)
        else:
            frame[c.name] = values[0] if len(values) == 1 else values
            return
        self.sends += 1

    def _report(self, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, OutputError) else f"Streams failed: {type(exc).__name__}: {exc}"
        if message != self._last_error and self.on_error is not None:
            self._last_error = message
            self.on_error(message)

    # -- similarity thread -----------------------------------------------------------------------
    def _run_similarity(self) -> None:
        period = 1.0 / min(self.config.similarity_hz, self.config.rate_hz)
        while not self._stop.wait(period):
            fn = self._similarity
            if fn is None:
                continue
            with self._devices_lock:
                devices = list(self._devices.values())
            for dev in devices:
                n = int(round(dev.rate_hz * WINDOW_S))
                if len(dev.window) < n // 2:
                    continue
                _, window = dev.window.latest(min(n, len(dev.window)))
                try:
                    self._scores[dev.name] = dict(fn(window, dev.rate_hz, dev.channels))
                except Exception as exc:  # the recogniser being rebuilt mid-call: try again next time
                    self._report(exc)


def _estimate_rate(t: np.ndarray) -> float:
    if len(t) > 1:
        step = float(np.median(np.diff(t)))
        if step > 0:
            return 1.0 / step
    return 100.0
