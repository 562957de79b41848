"""Spoken text through espeak-ng, the maintained offline speech synthesiser, run as a subprocess.

Why a subprocess and not a binding: ``espeak-ng --stdout`` writes a WAV we can play through the same sink
as every other cue (one output path, one volume, interruptible), it needs no compiled Python extension,
and the same call works with the Windows and macOS builds. pyttsx3 drives espeak too, but speaks
straight to the sound card, blocks its own run loop, and cannot hand back samples.

The text goes in as one argument after ``--`` and never through a shell, so a gesture called
``-w out.wav`` or ``; rm`` is just read aloud.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
import wave
from collections import OrderedDict
from pathlib import Path

import numpy as np

from studio.audio.cues import FADE_S

INSTALL_HINT = ("install espeak-ng for spoken names (Debian/Ubuntu: apt install espeak-ng; macOS: brew install "
                "espeak-ng; Windows: the installer from github.com/espeak-ng/espeak-ng/releases)")
MAX_TEXT = 200


def find_espeak() -> str | None:
    """The espeak-ng (or classic espeak) executable, also where installers put it off the PATH."""
    found = shutil.which("espeak-ng") or shutil.which("espeak")
    if found:
        return found
    # A GUI started from Finder or the Start menu does not see the shell's PATH.
    if sys.platform == "win32":
        bases = [os.environ.get("ProgramFiles"), os.environ.get("ProgramFiles(x86)")]
        candidates = [Path(b) / "eSpeak NG" / "espeak-ng.exe" for b in bases if b]
    elif sys.platform == "darwin":
        candidates = [Path("/opt/homebrew/bin/espeak-ng"), Path("/usr/local/bin/espeak-ng")]
    else:
        candidates = []
    return next((str(c) for c in candidates if c.is_file()), None)


class SpeechError(RuntimeError):
    """espeak-ng ran but produced no usable speech."""


def _decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    # espeak-ng streams to a pipe, so its header claims ~2**30 frames; read what actually arrived.
    with wave.open(io.BytesIO(data)) as wav:
        channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    if width != 2:
        raise SpeechError(f"unexpected {8 * width}-bit WAV from espeak-ng")
    usable = len(raw) - len(raw) % (2 * channels)
    pcm = np.frombuffer(raw[:usable], dtype="<i2").reshape(-1, channels).mean(axis=1)
    return (pcm / 32768.0).astype(np.float32), rate


def _trim(samples: np.ndarray, rate: int, margin_s: float = 0.01) -> np.ndarray:
    """Cut espeak's leading and trailing silence (it delays the name) and fade the new edges."""
    loud = np.flatnonzero(np.abs(samples) > 0.02 * (np.max(np.abs(samples)) or 1.0))
    if loud.size == 0:
        return samples[:0]
    margin = int(margin_s * rate)
    out = samples[max(0, loud[0] - margin): loud[-1] + margin + 1].copy()
    fade = min(int(FADE_S * rate), out.size // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[out.size - fade:] *= ramp[::-1]
    return out


class Speech:
    """Text to samples with espeak-ng, cached per text.

    ``available`` and ``reason`` say whether it can speak and, if not, why in words a user can act on.
    ``synthesize`` may take tens of milliseconds on a cache miss: call it off the GUI thread.
    """

    def __init__(self, voice: str = "en", words_per_minute: int = 175, executable: str | None = None,
                 timeout_s: float = 5.0, cache_size: int = 256) -> None:
        self.voice = voice
        self.words_per_minute = int(min(450, max(80, words_per_minute)))
        self.timeout_s = timeout_s
        self._exe = executable or find_espeak()
        self._reason = "" if self._exe else f"espeak-ng was not found: {INSTALL_HINT}"
        self._cache: OrderedDict[str, tuple[np.ndarray, int]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._closed = False

    @property
    def available(self) -> bool:
        """Whether espeak-ng was found and has not failed to start."""
        return self._exe is not None and not self._reason

    @property
    def reason(self) -> str:
        """Why speech is unavailable ("" when it is available)."""
        return self._reason

    def close(self) -> None:
        """Kill a running espeak-ng at once and synthesise nothing more (at exit: quitting never waits)."""
        with self._lock:
            self._closed = True
            process = self._process
        if process is not None:
            process.kill()

    def cached(self, text: str) -> bool:
        """Whether ``text`` is already synthesised."""
        with self._lock:
            return self._key(text) in self._cache

    def _key(self, text: str) -> str:
        return f"{self.voice}|{self.words_per_minute}|{' '.join(text.split())[:MAX_TEXT]}"

    def synthesize(self, text: str) -> tuple[np.ndarray, int] | None:
        """``(samples, rate)`` speaking ``text``; None for blank text, when speech is unavailable or closed.

        Raises :class:`SpeechError` when espeak-ng ran but failed (bad voice, timeout, garbage output).
        """
        words = " ".join(text.split())[:MAX_TEXT]
        if not words or not self.available:
            return None
        key = self._key(words)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        result = self._run(words)
        if result is None:
            return None
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def _run(self, words: str) -> tuple[np.ndarray, int] | None:
        cmd = [str(self._exe), "--stdout", "-v", self.voice, "-s", str(self.words_per_minute), "--", words]
        with self._lock:  # registered under the lock, so close() either sees the process or stops it starting
            if self._closed:
                return None
            try:
                process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE,
                                           creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))  # no flash
            except OSError as err:  # missing or not executable: no point trying again
                self._reason = f"espeak-ng could not start ({err.strerror or err}): {INSTALL_HINT}"
                raise SpeechError(self._reason) from err
            self._process = process
        try:
            stdout, stderr = process.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired as err:
            process.kill()
            process.communicate()
            raise SpeechError(f"espeak-ng took longer than {self.timeout_s:g} s") from err
        finally:
            with self._lock:
                self._process = None
        with self._lock:
            if self._closed:  # killed by close(): not a failure worth reporting
                return None
        message = stderr.decode("utf-8", "replace").strip()
        if process.returncode != 0 or len(stdout) <= 44:
            raise SpeechError(f"espeak-ng produced no speech: {message or f'exit code {process.returncode}'}")
        try:
            samples, rate = _decode_wav(stdout)
        except (wave.Error, EOFError) as err:
            raise SpeechError(f"espeak-ng wrote an unreadable WAV: {err}") from err
        return _trim(samples, rate), rate
