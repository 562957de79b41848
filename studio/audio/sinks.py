"""Where feedback sounds go: the :class:`AudioSink` boundary, a real output, a silent one and a test fake.

A sink plays one sound at a time: ``play`` returns at once and a newer sound replaces the one playing,
because stale feedback ("wave" said after you already did "swipe") is worse than a cut-off one.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from studio.audio.cues import RATE

log = logging.getLogger(__name__)

_alsa_handler = None  # kept alive: libasound holds a raw pointer to it


def _silence_alsa_errors() -> None:
    """Stop libasound printing a screenful of "cannot find card" lines on machines without sound.

    Opening ALSA without a card writes straight to the process's stderr; the outcome is reported to the
    user as one plain reason instead.
    """
    global _alsa_handler
    if _alsa_handler is not None or not sys.platform.startswith("linux"):
        return
    try:
        alsa = ctypes.cdll.LoadLibrary("libasound.so.2")
    except OSError:
        return
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                    ctypes.c_char_p)
    _alsa_handler = handler_type(lambda *_: None)
    alsa.snd_lib_error_set_handler(_alsa_handler)


@runtime_checkable
class AudioSink(Protocol):
    """An audio output. Implementations never raise from ``play``/``stop``/``close``."""

    @property
    def available(self) -> bool:
        """Whether sounds can be heard through it (False: ``reason`` says why)."""

    @property
    def reason(self) -> str:
        """Why the sink is unavailable, in words for the user ("" when available)."""

    def open(self) -> bool:
        """Prepare the output (may take a moment; call off the GUI thread); returns ``available``."""

    def play(self, samples: np.ndarray, rate: int, label: str) -> None:
        """Start playing mono float samples in [-1, 1], replacing whatever plays now."""

    def stop(self) -> None:
        """Silence the sound playing now."""

    def close(self) -> None:
        """Release the output; later calls do nothing."""


def resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """Linear-interpolation resampling (cues are band-limited well below Nyquist, so it is enough)."""
    if rate == to_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    n = max(1, int(round(samples.size * to_rate / rate)))
    t = np.arange(n) * (rate / to_rate)
    return np.interp(t, np.arange(samples.size), samples).astype(np.float32)


class NullSink:
    """Discards every sound (audio feedback switched off, or no output exists)."""

    def __init__(self, reason: str = "audio output is switched off") -> None:
        self._reason = reason

    @property
    def available(self) -> bool:
        return False

    @property
    def reason(self) -> str:
        return self._reason

    def open(self) -> bool:
        return False

    def play(self, samples: np.ndarray, rate: int, label: str) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class PlayedSound:
    """One sound a :class:`RecordingSink` was asked to play."""

    label: str
    samples: np.ndarray
    rate: int


class RecordingSink:
    """A sink for tests: keeps every sound it is given; ``wait_for`` blocks until enough arrived."""

    def __init__(self) -> None:
        self.played: list[PlayedSound] = []
        self.stops = 0
        self.closed = False
        self._cond = threading.Condition()

    @property
    def available(self) -> bool:
        return True

    @property
    def reason(self) -> str:
        return ""

    def open(self) -> bool:
        return True

    def play(self, samples: np.ndarray, rate: int, label: str) -> None:
        with self._cond:
            self.played.append(PlayedSound(label, np.array(samples, dtype=np.float32), rate))
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stops += 1

    def close(self) -> None:
        self.closed = True

    @property
    def labels(self) -> list[str]:
        """Labels of the sounds played so far, oldest first."""
        with self._cond:
            return [p.label for p in self.played]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[PlayedSound]:
        """The played sounds once at least ``count`` arrived; raises TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.played) >= count, timeout):
                raise TimeoutError(f"{len(self.played)} of {count} sounds played: {[p.label for p in self.played]}")
            return list(self.played)


class MiniaudioSink:
    """Plays through the system's default output with miniaudio (bundled C library, no system packages).

    The device is opened on the first ``open``/``play`` and then kept running, feeding silence between
    sounds, so a cue starts within one buffer (``buffer_ms``) instead of waiting for a device start.
    After ``close`` it never opens again, even when ``close`` ran while another thread was opening it.
    ``allow_null=True`` accepts miniaudio's null backend (a device that discards samples in real time):
    tests use it to exercise the real playback path on machines without a sound card.
    """

    def __init__(self, rate: int = RATE, buffer_ms: int = 20, allow_null: bool = False) -> None:
        self.rate = rate
        self.buffer_ms = buffer_ms
        self.allow_null = allow_null
        self.backend = ""
        self._device = None
        self._tried = False
        self._closed = False
        self._reason = ""
        self._lock = threading.Lock()
        self._sound: np.ndarray | None = None
        self._pos = 0
        self._idle = threading.Event()
        self._idle.set()

    @property
    def available(self) -> bool:
        return self._device is not None

    @property
    def reason(self) -> str:
        if not self._tried:
            return "audio output not opened yet"
        return self._reason

    def open(self) -> bool:
        with self._lock:
            if self._tried:
                return self._device is not None
            self._tried = True
        try:
            import miniaudio
        except ImportError:
            self._reason = "no audio: the miniaudio package is missing (pip install 'unimotion-studio[audio]')"
            return False
        _silence_alsa_errors()
        # miniaudio settles on the first backend whose *context* starts, even if no device opens there
        # (ALSA without a sound card), so try them one by one in miniaudio's own order of preference.
        backends = sorted((b for b in miniaudio.get_enabled_backends() if b != miniaudio.Backend.CUSTOM),
                          key=lambda b: (b == miniaudio.Backend.NULL, b.value))
        if not self.allow_null:
            backends = [b for b in backends if b != miniaudio.Backend.NULL]
        device, errors = None, []
        for backend in backends:
            candidate = None
            try:
                candidate = miniaudio.PlaybackDevice(output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1,
                                                     sample_rate=self.rate, buffersize_msec=self.buffer_ms,
                                                     backends=[backend], app_name="UniMotion Studio")
                generator = self._feed()
                next(generator)
                candidate.start(generator)
                device = candidate
                break
            except Exception as err:  # miniaudio, cffi or OS errors: all mean "not this backend"
                errors.append(f"{backend.name.lower()}: {err}")
                if candidate is not None:
                    candidate.close()
        if device is None:
            tried = ", ".join(b.name.lower() for b in backends) or "no audio backend is built in"
            with self._lock:
                if not self._closed:
                    self._reason = f"no audio output device found (tried {tried})"
            log.info("audio output unavailable: %s", "; ".join(errors))
            return False
        with self._lock:
            if not self._closed:
                self._device = device
                self.backend = device.backend
                return True
        self._close_device(device)  # close() ran while the device was opening: do not leak it
        return False

    def _feed(self):
        # Runs on miniaudio's audio thread: only slicing under a short lock, never allocation-heavy work.
        frames = yield b""
        while True:
            with self._lock:
                sound, start = self._sound, self._pos
                chunk = b""
                if sound is not None:
                    piece = sound[start:start + frames]
                    self._pos = start + piece.size
                    if self._pos >= sound.size:
                        self._sound = None
                        self._idle.set()
                    chunk = piece.tobytes()
            frames = yield chunk

    def play(self, samples: np.ndarray, rate: int, label: str) -> None:
        if not self.open():
            return
        sound = np.ascontiguousarray(resample(np.asarray(samples, dtype=np.float32), rate, self.rate))
        with self._lock:
            self._sound, self._pos = sound, 0
            self._idle.clear()

    def stop(self) -> None:
        with self._lock:
            self._sound = None
            self._idle.set()

    def wait_idle(self, timeout: float) -> bool:
        """Block until the current sound has been handed to the device; False on timeout."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        with self._lock:
            self._closed, self._tried, self._reason = True, True, "audio output closed"
            self._sound = None
            self._idle.set()
            device, self._device = self._device, None
        if device is not None:
            self._close_device(device)  # outside the lock: closing joins the audio thread, which takes it

    @staticmethod
    def _close_device(device) -> None:  # noqa: ANN001 - a miniaudio.PlaybackDevice
        try:
            device.close()
        except Exception as err:  # closing must never take the app down
            log.info("closing audio device failed: %s", err)
