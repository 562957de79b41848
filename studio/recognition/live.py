"""Live recognition without Qt: canonical chunks in, one event per performed gesture out.

Segmentation is driven by motion energy (:mod:`studio.signals.nucleus`): a movement *starts* when the
energy rises above ``on_level`` and *ends* when it has stayed below ``off_level`` for ``gap_s`` (the same
gap the nucleus detector merges over, so a pause inside a letter does not split it). When it ends, the
window handed to the recogniser is centred on the movement's nucleus, so a gesture is classified once per
performance; a movement longer than ``max_active_s`` is cut there (fallback) and, by default, not
classified: continuous motion such as walking is ordinary activity (``classify_long`` turns it on). Per sample the cost is a short energy update; the model runs only at the end
of a movement.

All decisions run on the samples' own timestamps and indices (sample time), never on the clock, so a
recording replayed at any speed gives the same events as in real time. Everything runs on the caller's
thread (the StreamRunner's); each event carries the sample times of the movement's start and end and of
the sample that completed the decision, so the latency a person feels (movement end -> event) can be
measured: :attr:`LiveEvent.felt_latency_s`. A clear gesture is decided early, after ``early_gap_s`` of
quiet instead of the full gap (:class:`LiveConfig`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from studio.signals import nucleus
from studio.signals.ringbuffer import RingBuffer
from studio.signals.stream import CANONICAL_CHANNELS, Chunk


@dataclass(frozen=True)
class LiveConfig:
    """Segmentation settings (seconds are in the stream's sample time)."""

    # Thresholds follow the floor (a low percentile of the energy over the last ``floor_s``): holding
    # still has an energy that depends on the sensor's noise, and during a walk every step is movement.
    # on = max(min_on_level, floor * on_factor + on_margin). A percentile well below the median keeps
    # the floor down while gestures are performed back to back.
    on_factor: float = 1.8
    on_margin: float = 0.05
    peak_factor: float = 2.0  # a movement counts only if its peak reaches floor * peak_factor + on_margin
    off_factor: float = 1.4  # quiet = below floor * off_factor + off_margin
    off_margin: float = 0.03
    min_on_level: float = nucleus.IDLE_LEVEL
    floor_s: float = 8.0
    floor_percentile: float = 30.0
    gap_s: float = nucleus.GAP_S  # quiet this long ends the movement
    # Early decision: after only ``early_gap_s`` of quiet the movement so far is classified once; if it
    # is clearly a gesture (evidence at least ``early_margin`` above the acceptance line) the event goes
    # out then, without waiting for the full gap (the rest of the movement, if it goes on, is covered by
    # the refractory period). Otherwise the movement is decided as usual when the gap is complete.
    # early_gap_s = 0 turns it off.
    early_gap_s: float = 0.06
    early_margin: float = 0.15
    min_active_s: float = 0.12  # shorter bursts (knocks, sensor glitches) are ignored
    max_active_s: float = 3.0  # a movement going on this long is cut here (gestures last < 2.5 s)
    # Classify such a cut-off piece? Off by default: continuous movement (walking, fidgeting on and on) is
    # ordinary activity, and offering it to the recogniser every few seconds was the main source of false
    # triggers in simulated idle motion.
    classify_long: bool = False
    context_s: float = 0.3  # samples kept before the movement's start (and at most after its end)
    window_s: float = 2.56  # longest window handed to the recogniser (the model's window)
    refractory_s: float = 0.5  # ignore movements starting this soon after a recognised or too long one
    # Rhythmic movement (walking, running, pumping) is not a gesture: when the last ``rhythm_count``
    # movements recur at near-equal intervals with near-equal durations (coefficient of variation below
    # ``rhythm_cv``), they are not classified.
    rhythm_count: int = 3
    rhythm_cv: float = 0.12
    rhythm_max_interval_s: float = 2.0  # steps recur faster than this; performed gestures rarely do
    rhythm_hold_s: float = 3.0  # once rhythmic, movements starting within this of the last one are too
    energy_context_s: float = 0.2  # samples before each chunk re-used so energy smoothing has context


@dataclass
class LiveEvent:
    """A recognised gesture; the fields of :class:`studio.outputs.GestureEvent` plus timing details."""

    gesture: str
    confidence: float
    t: float  # wall clock (time.time()) when the event was emitted
    scores: dict[str, float] = field(default_factory=dict)
    t_start: float = 0.0  # sample time of the window's first and last samples
    t_end: float = 0.0
    arrival: float = 0.0  # clock() when the completing sample arrived
    emitted: float = 0.0  # clock() when the event was emitted
    fallback: bool = False  # classified because the movement went on too long
    move_start: float = 0.0  # sample time of the movement's first sample above the motion-on level
    move_end: float = 0.0  # ... and of its last sample above the motion-off level
    decided: float = 0.0  # sample time of the sample that completed the decision

    @property
    def latency_s(self) -> float:
        """Compute time: from the arrival of the samples that completed the movement to the event."""
        return self.emitted - self.arrival

    @property
    def felt_latency_s(self) -> float:
        """From the end of the movement to the event, in real time: the quiet the segmenter waited for
        (sample time) plus the compute time (a device's own transport delay comes on top)."""
        return (self.decided - self.move_end) + self.latency_s

    def record(self) -> dict:
        """One JSON-ready line for an events log."""
        return {"gesture": self.gesture, "confidence": round(self.confidence, 4),
                "movement_start": round(self.move_start, 4), "movement_end": round(self.move_end, 4),
                "decided": round(self.decided, 4), "emitted": round(self.t, 4),
                "latency_ms": round(self.latency_s * 1000, 2), "felt_latency_ms": round(self.felt_latency_s * 1000, 1)}


@dataclass
class Candidate:
    """A segmented movement that was classified (emitted or not): for live views and tuning."""

    label: str | None
    confidence: float
    scores: dict[str, float]
    rejected: bool
    reason: str  # "event", "rejected", "refractory", "no-nucleus", "too-long", "rhythmic"
    t_start: float  # sample times of the window's first and last samples
    t_end: float
    duration_s: float = 0.0  # of the movement itself (energy above the quiet level)


class LiveRecogniser:
    """Segment a live stream and classify each movement with ``recogniser.predict(window, rate_hz, channels)``.

    ``recogniser`` is a :class:`studio.recognition.recogniser.Recogniser` or anything with the same
    ``predict`` (e.g. the onnxruntime one from :mod:`studio.model.export`). ``channels`` name the
    columns of the chunks (any subset of the canonical ones, extra axes such as a magnetometer ignored). Use the instance as a
    StreamRunner chunk listener (``runner.add_chunk_listener(live)``) or call :meth:`feed` directly.
    ``on_event(LiveEvent)`` is called for recognised gestures, ``on_candidate(Candidate)`` for every
    classified movement; both run on the feeding thread and must be quick.
    """

    def __init__(
        self,
        recogniser,
        rate_hz: float = 100.0,
        on_event: Callable[[LiveEvent], None] | None = None,
        on_candidate: Callable[[Candidate], None] | None = None,
        config: LiveConfig | None = None,
        channels: tuple[str, ...] = CANONICAL_CHANNELS,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self.recogniser = recogniser
        self.rate_hz = float(rate_hz)
        self.config = config or LiveConfig()
        self.channels = tuple(channels)
        self.on_event = on_event
        self.on_candidate = on_candidate
        self.clock = clock
        self.events: list[LiveEvent] = []
        self.keep_events = 1000  # most recent events kept in ``events``
        cfg = self.config
        longest = max(cfg.window_s, cfg.max_active_s + 2 * cfg.context_s + cfg.gap_s)
        self._buf = RingBuffer(int(np.ceil(longest * self.rate_hz)) + 64, len(self.channels))
        self._piece = max(1, int(0.25 * self.rate_hz))  # longest piece of a chunk segmented at once
        self._level_step = max(1, int(0.25 * self.rate_hz))  # levels re-estimated four times a second
        self._lock = threading.RLock()  # feed() runs on a runner thread while the UI may reset
        smooth = max(1, int(round(nucleus.SMOOTH_S * self.rate_hz)))
        self._lag = smooth // 2 + 2
        self._ctx = max(int(cfg.energy_context_s * self.rate_hz), smooth + 2)
        self._fast_energy = self.channels == CANONICAL_CHANNELS
        # The recogniser sees the canonical channels the device has (a magnetometer is not a model input).
        self._model_cols = [i for i, c in enumerate(self.channels) if c in CANONICAL_CHANNELS]
        self._model_channels = tuple(self.channels[i] for i in self._model_cols)
        if not self._model_cols:
            raise ValueError(f"none of the channels {self.channels} is an accelerometer or gyroscope axis")
        self.reset()

    def reset(self) -> None:
        """Forget buffered samples and any movement in progress (e.g. after a device reconnect)."""
        with self._lock:
            self._buf.clear()
            self._active_start: int | None = None  # absolute sample index where the movement started
            self._last_loud = -1  # absolute index of the last sample above off_level
            self._last_event_end = -np.inf  # sample time of the last event's end
            self._recent: deque[tuple[float, float]] = deque(maxlen=8)  # (start, duration) of movements
            self._rhythm_until = -np.inf  # sample time until which movements count as part of a rhythm
            self._last_t = -np.inf
            self._energy_done = 0  # absolute index of the first sample whose energy is not yet final
            self._hist = np.zeros(max(1, int(self.config.floor_s * self.rate_hz)))  # recent energies
            self._hist_n = 0
            self._levels: tuple[float, float, float] | None = None  # (on, off, peak) once the floor is known
            self._peak = 0.0  # highest energy of the movement in progress
            self._early_fired = False  # the movement in progress was already reported by an early decision
            self._duration = 0.0  # of the movement being classified

    def __call__(self, chunk: Chunk) -> None:
        self.feed(chunk)

    def feed(self, chunk: Chunk, arrival: float | None = None) -> list[LiveEvent]:
        """Add a chunk of canonical samples; returns the events it completed (usually none).

        ``arrival`` is the clock() time the chunk reached us (default: now)."""
        arrival = self.clock() if arrival is None else arrival
        if len(chunk) == 0:
            return []
        with self._lock:
            step = self._piece
            if len(chunk) <= step:
                return self._feed_locked(chunk, arrival)
            # A big chunk (a replay as fast as possible, a device's FIFO burst) goes in pieces: the
            # buffer holds a few seconds, and segmentation must see every sample.
            events: list[LiveEvent] = []
            for i in range(0, len(chunk), step):
                events += self._feed_locked(Chunk(chunk.t[i:i + step], chunk.data[i:i + step]), arrival)
            return events

    def push(self, t: np.ndarray, x: np.ndarray, arrival: float | None = None) -> list[LiveEvent]:
        """Like :meth:`feed` with bare arrays ``t`` (n,) and ``x`` (n, C)."""
        return self.feed(Chunk(t, x), arrival)

    def _feed_locked(self, chunk: Chunk, arrival: float) -> list[LiveEvent]:
        t, x = chunk.t, chunk.data
        if t[0] < self._last_t:  # the source restarted its clock (reconnect): start over
            self.reset()
        self._last_t = float(t[-1])
        self._buf.push(t, x)
        # Energy near the newest sample is distorted (one-sided gradient, edge-padded smoothing), so it
        # is computed only up to ``lag`` samples back: the live energy then equals the offline one.
        written = self._buf.written
        first = max(self._energy_done, written - len(self._buf) + 1)
        last = written - self._lag  # energies for [first, last) become final now
        if last <= first:
            return []
        ctx = self._ctx
        _, recent = self._buf.latest_view(written - max(0, first - ctx))
        energy = None
        if first >= ctx and self._fast_energy:
            energy = _interior_energy(recent, self.rate_hz, ctx, len(recent) - self._lag)
        if energy is None:
            energy = nucleus.motion_energy(recent, self.rate_hz, self.channels)
            energy = energy[len(energy) - (written - first): len(energy) - self._lag]
        self._energy_done = last
        return self._segment(first, energy, arrival)

    def flush(self) -> list[LiveEvent]:
        """The stream has ended (e.g. the end of a replay): decide a movement still in progress as if the
        quiet that ends it had come. Returns the events it completed."""
        with self._lock:
            if self._active_start is None or self._levels is None:
                return []
            start, end = self._active_start, self._last_loud + 1
            self._active_start = None
            if self._peak < self._levels[2]:
                return []
            return self._candidate(start, end, self.clock(), fallback=False)

    def _update_levels(self) -> None:
        """Re-estimate the floor, and the levels derived from it, from the energies so far. Called at
        fixed sample indices (every ``_level_step`` samples), so the levels any sample is judged by do
        not depend on how the stream was chunked."""
        cfg, hist = self.config, self._hist
        if self._hist_n < min(hist.size, int(0.5 * self.rate_hz)):
            return  # the first half second only measures the floor
        floor = float(np.percentile(hist[hist.size - self._hist_n:], cfg.floor_percentile))
        on = max(cfg.min_on_level, floor * cfg.on_factor + cfg.on_margin)
        self._levels = (on, floor * cfg.off_factor + cfg.off_margin,
                        max(on, floor * cfg.peak_factor + cfg.on_margin))

    def _remember_energy(self, e: np.ndarray) -> None:
        hist = self._hist
        e = e[-hist.size:]
        hist[: hist.size - e.size] = hist[e.size:]
        hist[hist.size - e.size:] = e
        self._hist_n = min(hist.size, self._hist_n + e.size)

    def _segment(self, base: int, energy: np.ndarray, arrival: float) -> list[LiveEvent]:
        step, ready = self._level_step, min(self._hist.size, int(0.5 * self.rate_hz))
        events: list[LiveEvent] = []
        i = 0
        while i < len(energy):
            idx = base + i
            if idx % step == 0 or (self._levels is None and self._hist_n >= ready):
                self._update_levels()
            j = min(len(energy), i + step - idx % step)  # up to the next re-estimate
            if self._levels is None:
                j = min(j, i + max(1, ready - self._hist_n))  # ... or to the first one
            if self._levels is not None:
                events += self._segment_piece(idx, energy[i:j], arrival)
            self._remember_energy(energy[i:j])
            i = j
        return events

    def _segment_piece(self, base: int, energy: np.ndarray, arrival: float) -> list[LiveEvent]:
        cfg, rate = self.config, self.rate_hz
        gap_n = max(1, int(round(cfg.gap_s * rate)))
        early_n = int(round(cfg.early_gap_s * rate))
        max_n = int(round(cfg.max_active_s * rate))
        events: list[LiveEvent] = []
        on_level, off_level, peak_level = self._levels
        for i, e in enumerate(energy):
            idx = base + i
            if self._active_start is None:
                if e >= on_level:
                    self._active_start, self._last_loud, self._peak = idx, idx, e
                    self._early_fired = False
                continue
            if e >= off_level:
                self._last_loud = idx
                self._peak = max(self._peak, e)
            quiet = idx - self._last_loud
            if quiet >= gap_n:
                start, end = self._active_start, self._last_loud + 1
                self._active_start = None
                if self._early_fired:
                    self._early_done(start, end)
                elif self._peak >= peak_level:
                    events += self._candidate(start, end, arrival, fallback=False, upto=idx + self._lag + 1)
            elif (quiet == early_n and 0 < early_n < gap_n and not self._early_fired
                  and self._peak >= peak_level):
                events += self._candidate(self._active_start, self._last_loud + 1, arrival, fallback=False,
                                          upto=idx + self._lag + 1, early=True)
                self._early_fired = bool(events)
            elif idx - self._active_start >= max_n:
                start = self._active_start
                self._active_start = idx + 1
                if self._peak >= peak_level:
                    events += self._candidate(start, idx + 1, arrival, fallback=True, upto=idx + self._lag + 1)
        return events

    def _early_done(self, start: int, end: int) -> None:
        """A movement reported early has ended: it counts for rhythm, and the refractory period runs
        from its real end."""
        t = self._buf.latest(self._buf.written - max(start, self._buf.written - len(self._buf)))[0]
        t_start, t_end = float(t[0]), float(t[min(len(t), end - start) - 1])
        self._recent.append((t_start, (end - start) / self.rate_hz))
        self._last_event_end = max(self._last_event_end, t_end)

    def _candidate(self, start: int, end: int, arrival: float, fallback: bool,
                   upto: int | None = None, early: bool = False) -> list[LiveEvent]:
        """Decide the movement [start, end) (absolute sample indices); ``upto`` is the index after the
        sample that completed the decision (the quiet after the movement plus the energy lag), whose time
        is the event's ``decided``. Nothing depends on how the stream was chunked. ``early``: a first
        look before the full gap; it reports nothing unless the movement is clearly a gesture."""
        cfg, rate = self.config, self.rate_hz
        if end - start < cfg.min_active_s * rate:
            return []
        ctx = int(round(cfg.context_s * rate))
        written = self._buf.written
        upto = min(written, upto or written)
        lo = max(start - ctx, written - len(self._buf))
        t_all, x_all = self._buf.latest(written - lo)
        decided = float(t_all[upto - 1 - lo])
        keep = min(upto, end + ctx) - lo  # as much context after the movement as before it
        t_all, x_all = t_all[:keep], x_all[:keep]
        t_move_start = float(t_all[max(0, start - lo)])
        t_move_end = float(t_all[max(0, end - 1 - lo)])
        self._duration = (end - start) / rate
        if early:  # only a first look: anything doubtful waits for the full decision, which says why
            if (t_move_start - self._last_event_end < cfg.refractory_s or t_move_start < self._rhythm_until
                    or self._rhythmic(extra=(t_move_start, self._duration))):
                return []
        elif self._skip(t_move_start, t_move_end, fallback, t_all):
            return []
        # A window longer than the model's is cut to the part centred on the nucleus; a shorter one goes
        # whole (the model's preprocessing pads it symmetrically, which centres the movement too).
        win = int(round(cfg.window_s * rate))
        a, b = 0, len(x_all)
        if b > win:
            core = nucleus.find_nucleus(x_all, rate, self.channels)
            if core is None:
                self._report(None, 0.0, {}, False, "no-nucleus", t_all)
                return []
            a = int(np.clip((core[0] + core[1]) // 2 - win // 2, 0, b - win))
            b = a + win
        window = x_all[a:b]
        if len(self._model_cols) != len(self.channels):
            window = window[:, self._model_cols]
        pred = self.recogniser.predict(window, rate, self._model_channels)
        scores = {k: float(v) for k, v in getattr(pred, "scores", {}).items()}
        if early and (pred.label is None or pred.rejected or not self._clear(pred)):
            return []
        if pred.label is None or pred.rejected:
            self._report(pred.label, pred.confidence, scores, True, "rejected", t_all[a:b])
            return []
        self._last_event_end = t_move_end
        ev = LiveEvent(str(pred.label), float(pred.confidence), time.time(), scores,
                       float(t_all[a]), float(t_all[b - 1]), arrival, 0.0, fallback,
                       t_move_start, t_move_end, decided)
        ev.emitted = self.clock()
        if self.on_event is not None:
            self.on_event(ev)
        self.events.append(ev)
        del self.events[: -self.keep_events]
        self._report(ev.gesture, ev.confidence, scores, False, "event", t_all[a:b])
        return [ev]

    def _skip(self, t_move_start: float, t_move_end: float, fallback: bool, t_all: np.ndarray) -> bool:
        """Whether a movement is not classified (refractory, rhythmic, too long); reports why."""
        cfg = self.config
        if not fallback:
            self._recent.append((t_move_start, self._duration))
        if t_move_start - self._last_event_end < cfg.refractory_s:
            self._report(None, 0.0, {}, False, "refractory", t_all)
            return True
        if not fallback and (t_move_start < self._rhythm_until or self._rhythmic()):
            self._rhythm_until = t_move_start + cfg.rhythm_hold_s  # e.g. two steps merged into one
            self._report(None, 0.0, {}, False, "rhythmic", t_all)
            return True
        if fallback and not cfg.classify_long:
            # What follows closely is more of the same activity: the refractory period covers it too.
            self._last_event_end = max(self._last_event_end, t_move_end)
            self._report(None, 0.0, {}, False, "too-long", t_all)
            return True
        return False

    def _clear(self, pred) -> bool:
        """Evidence far enough above the acceptance line for an early decision (a recogniser that does
        not say how far: its acceptance is enough)."""
        similarity, threshold = getattr(pred, "similarity", None), getattr(pred, "threshold", None)
        if similarity is None or threshold is None:
            return True
        return float(similarity) >= float(threshold) + self.config.early_margin

    def _rhythmic(self, extra: tuple[float, float] | None = None) -> bool:
        k = self.config.rhythm_count
        recent = list(self._recent) + ([extra] if extra else [])
        if k < 3 or len(recent) < k:
            return False
        starts, durations = np.array(recent[-k:]).T
        intervals = np.diff(starts)
        if intervals.max() > self.config.rhythm_max_interval_s:
            return False

        def cv(v: np.ndarray) -> float:
            return float(v.std() / max(v.mean(), 1e-9))

        return cv(intervals) < self.config.rhythm_cv and cv(durations) < self.config.rhythm_cv

    def _report(self, label, confidence, scores, rejected, reason, t) -> None:
        if self.on_candidate is not None and len(t):
            self.on_candidate(Candidate(label, float(confidence), scores, rejected, reason,
                                        float(t[0]), float(t[-1]), self._duration))


def _interior_energy(x: np.ndarray, rate_hz: float, lo: int, hi: int) -> np.ndarray | None:
    """:func:`studio.signals.nucleus.motion_energy` of canonical ``x`` at indices [lo, hi), computed from
    those samples' neighbours only (all channels at once: a tenth of the cost on the live path).

    Equal to the offline energy for interior samples (central-difference jerk, centred moving average;
    tests compare the two). Returns None when a NaN is involved, so the caller uses the general function.
    """
    n = max(1, int(round(nucleus.SMOOTH_S * rate_hz)))
    a, b = lo - n // 2, hi + n - 1 - n // 2  # raw energies needed for the moving average
    if a < 1 or b > x.shape[0] - 1:
        return None
    seg = np.asarray(x[a - 1: b + 1], np.float64)
    if not np.isfinite(seg).all():
        return None
    jerk = (seg[2:, :3] - seg[:-2, :3]) * (0.5 * rate_hz / nucleus.JERK_SCALE)
    gyro = seg[1:-1, 3:6] * (1.0 / nucleus.GYRO_SCALE)
    raw = np.sqrt((jerk * jerk).sum(axis=1) + (gyro * gyro).sum(axis=1))  # indices a .. b-1
    csum = np.concatenate([[0.0], np.cumsum(raw)])
    return (csum[n:] - csum[:-n])[: hi - lo] / n
