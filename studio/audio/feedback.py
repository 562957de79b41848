"""Audio feedback for the studio's events, played without ever blocking the caller.

Every public method only files a request and returns; one worker thread renders it (synthesises speech,
which can take tens of milliseconds) and hands it to the sink. Requests travel on channels: the recorder
(countdown, go, start, stop), recognition (a gesture or a rejection) and the device (connected or not).
Only the newest pending request of a channel is kept, and a recognition that waited longer
than ``max_delay_s`` is dropped, so a burst of results never queues names up behind stale ones. The sink
plays one sound at a time and a newer one cuts the older off, for the same reason.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from studio.audio import cues
from studio.audio.sinks import AudioSink, resample
from studio.audio.speech import Speech, SpeechError

log = logging.getLogger(__name__)

RECORDER, RECOGNITION, DEVICE = "recorder", "recognition", "device"
_SPOKEN_GAP_S = 0.04
_CLOSE_WAIT_S = 1.0  # close() runs on the GUI thread at quit: never longer than this


@dataclass(frozen=True)
class AudioStatus:
    """Whether sounds and spoken names can be heard, and if not, why (for a settings page or status bar)."""

    output_available: bool
    output_reason: str
    speech_available: bool
    speech_reason: str


@dataclass(frozen=True)
class _Request:
    channel: str
    label: str
    render: Callable[[], np.ndarray | None]
    t: float


class AudioFeedback:
    """Countdown beeps, start/stop tones, a distinct earcon and the spoken name of each recognised gesture.

    ``sink`` defaults to the system output (:class:`~studio.audio.sinks.MiniaudioSink`). ``speak`` says
    gesture names with espeak-ng after their earcon; without espeak-ng the earcon alone plays and
    ``on_notice`` hears why, once. ``on_notice`` is called from the worker thread: a GUI must forward it
    to its own thread. ``clock`` (seconds, monotonic) dates requests for ``max_delay_s``; tests pass a fake.
    Nothing here raises into the caller.
    """

    def __init__(self, sink: AudioSink | None = None, *, speak: bool = True, earcons: bool = True,
                 volume: float = 0.8, speech: Speech | None = None, words_per_minute: int = 175,
                 max_delay_s: float = 1.0, on_notice: Callable[[str], None] | None = None, enabled: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if sink is None:
            from studio.audio.sinks import MiniaudioSink
            sink = MiniaudioSink()
        self.sink = sink
        self.speech = speech if speech is not None else Speech(words_per_minute=words_per_minute)
        self.speak = speak
        self.earcons = earcons
        self.volume = volume
        self.max_delay_s = max_delay_s
        self.on_notice = on_notice
        self.clock = clock
        self.played = 0  # counters, for tests and the benchmark
        self.superseded = 0
        self.dropped_stale = 0
        self._enabled = enabled
        self._gestures: dict[str, int] = {}
        self._sounds: dict[str, np.ndarray] = {}
        self._notices: set[str] = set()
        self._pending: dict[str, _Request] = {}
        self._prewarm: deque[str] = deque()
        self._busy = False
        self._closing = False
        self._cond = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="audio-feedback", daemon=True)
        self._worker.start()

    # --- events -------------------------------------------------------------------------------------------

    def countdown(self, step_left: int) -> None:
        """A countdown beep with ``step_left`` steps to go; 0 plays :meth:`go`."""
        if step_left <= 0:
            self.go()
        else:
            self._cue(RECORDER, f"countdown:{int(step_left)}", cues.countdown_beep)

    def go(self) -> None:
        """The countdown's last, higher beep: perform the gesture now."""
        self._cue(RECORDER, "go", cues.go_beep)

    def recording_started(self) -> None:
        """A rising glide: a take started (without a countdown, or after :meth:`go`)."""
        self._cue(RECORDER, "recording_started", cues.recording_started)

    def recording_stopped(self) -> None:
        """A falling glide: the take ended."""
        self._cue(RECORDER, "recording_stopped", cues.recording_stopped)

    def recognised(self, name: str, score: float | None = None) -> None:
        """The gesture's earcon, then its spoken name.

        ``score`` is accepted so a caller can pass an event's fields as they are; it is not spoken, because a
        number after every name slows the feedback down.
        """
        self._request(RECOGNITION, f"recognised:{name}", lambda: self._render_gesture(name))

    def rejected(self) -> None:
        """Two low falling notes: a movement that matched none of the gestures."""
        self._cue(RECOGNITION, "rejected", cues.rejected)

    def connected(self) -> None:
        """Two notes rising: the device streams."""
        self._cue(DEVICE, "connected", cues.connected)

    def disconnected(self) -> None:
        """Two notes falling: the device stopped streaming."""
        self._cue(DEVICE, "disconnected", cues.disconnected)

    # --- configuration ------------------------------------------------------------------------------------

    def set_gestures(self, names: Sequence[str]) -> None:
        """Give the gestures of a set earcons 0, 1, 2, … in this order (all distinct) and pre-speak names.

        Pass them in a stable order (creation order), so adding a gesture keeps the others' sounds.
        A name outside the set gets an earcon derived from the name alone.
        """
        with self._cond:
            self._gestures = {name: i for i, name in enumerate(dict.fromkeys(names))}
            self._prewarm = deque(self._gestures)
            self._cond.notify_all()

    def earcon_index(self, name: str) -> int:
        """Which earcon pattern ``name`` plays (see :func:`studio.audio.cues.earcon_patterns`)."""
        with self._cond:
            index = self._gestures.get(name)
        return cues.earcon_index(name) if index is None else index

    @property
    def enabled(self) -> bool:
        """Whether events make sounds; switching off silences the sound playing and drops pending ones."""
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        with self._cond:
            self._enabled = bool(value)
            if not value:
                self._pending.clear()
        if not value:
            self.sink.stop()

    def status(self) -> AudioStatus:
        """What can be heard now (the output is known once the worker opened it; see :meth:`flush`)."""
        return AudioStatus(self.sink.available, self.sink.reason, self.speech.available, self.speech.reason)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every request so far was played or dropped (and names pre-spoken); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not (self._pending or self._prewarm or self._busy) or self._closing,
                                       timeout)

    def close(self) -> None:
        """Stop the worker and release the output within about a second; later events do nothing.

        A running espeak-ng is killed rather than waited for; the sink refuses to open after this, so a
        worker still opening it cannot leave a device behind.
        """
        with self._cond:
            self._closing = True
            self._pending.clear()
            self._prewarm.clear()
            self._cond.notify_all()
        self.speech.close()
        self._worker.join(timeout=_CLOSE_WAIT_S)
        self.sink.close()

    def __enter__(self) -> "AudioFeedback":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- worker -------------------------------------------------------------------------------------------

    def _request(self, channel: str, label: str, render: Callable[[], np.ndarray | None]) -> None:
        with self._cond:
            if not self._enabled or self._closing:
                return
            if self._pending.pop(channel, None) is not None:  # the newer request supersedes the waiting one
                self.superseded += 1
            self._pending[channel] = _Request(channel, label, render, self.clock())
            self._cond.notify_all()

    def _run(self) -> None:
        if not self.sink.open() and self.sink.reason and not self._closing:
            self._notice(f"No sound: {self.sink.reason}.")
        if self.speak and not self.speech.available:
            self._notice(f"Gesture names are not spoken ({self.speech.reason}); each gesture plays its sound.")
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._prewarm or self._closing)
                if self._closing:
                    return
                request = None
                if self._pending:
                    request = self._pending.pop(next(iter(self._pending)))
                    name = None
                else:
                    name = self._prewarm.popleft()
                self._busy = True
            try:
                if request is None:
                    self._prewarm_name(name)
                else:
                    self._play(request)
            except Exception:  # a bug in one cue must not end feedback for the session
                log.exception("audio feedback failed")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _play(self, request: _Request) -> None:
        if request.channel == RECOGNITION and self.clock() - request.t > self.max_delay_s:
            self.dropped_stale += 1
            return
        if not self.sink.available:
            return
        samples = request.render()
        if samples is None or samples.size == 0 or not self._enabled or self._closing:
            return
        self.sink.play(samples * np.float32(self.volume), cues.RATE, request.label)
        self.played += 1

    def _prewarm_name(self, name: str) -> None:
        if self.speak and self.sink.available:
            self._speak(name)

    def _cue(self, channel: str, label: str, make: Callable[[], np.ndarray]) -> None:
        self._request(channel, label, lambda: self._sound(make.__name__, make))

    def _sound(self, key: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self._sounds:
            self._sounds[key] = make()
        return self._sounds[key]

    def _render_gesture(self, name: str) -> np.ndarray:
        index = self.earcon_index(name)
        earcon = self._sound(f"earcon:{index}", lambda: cues.earcon(index))
        spoken = self._speak(name) if self.speak else None
        if spoken is None:
            return earcon
        if not self.earcons:
            return spoken
        return np.concatenate([earcon, cues.silence(_SPOKEN_GAP_S), spoken])

    def _speak(self, text: str) -> np.ndarray | None:
        if not self.speech.available:
            return None
        try:
            result = self.speech.synthesize(text)
        except SpeechError as err:
            if not self._closing:
                self._notice(f"Speech failed: {err}")
            return None
        if result is None:
            return None
        samples, rate = result
        return resample(samples, rate, cues.RATE)

    def _notice(self, text: str) -> None:
        if text in self._notices:
            return
        self._notices.add(text)
        log.warning("%s", text)
        if self.on_notice is not None:
            try:
                self.on_notice(text)
            except Exception:  # the listener's bug must not stop the sounds
                log.exception("audio notice listener failed")
