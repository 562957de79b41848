"""Feedback sounds synthesised with numpy: countdown, start/stop, rejection, connection, gesture earcons.

Every cue is mono float32 in [-1, 1] at :data:`RATE`, at most 250 ms long, with raised-cosine fades so it
starts and ends at zero (no clicks). The cue families differ in *shape*, not only in loudness, so they can
be told apart on a laptop speaker:

- countdown: one short A5 beep per step; ``go`` is a longer, higher E6 beep (the start of a race);
- recording start / stop: a continuous glide up / down (no discrete notes);
- rejection: two low, buzzy notes falling (a "nope"), below every other cue's register;
- connected / disconnected: two bell-like notes rising / falling a fourth;
- gesture earcons: three short notes on a pentatonic scale; their melodic contour names the gesture.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from itertools import product

import numpy as np

RATE = 22050  # espeak-ng speaks at 22.05 kHz; one rate for every sound means no resampling anywhere
MAX_CUE_S = 0.25
FADE_S = 0.005

# Pentatonic degrees in semitones above C5 (523.25 Hz): consonant steps, each clearly apart from the next.
_PENTATONIC = (0, 2, 4, 7, 9, 12)
_C5 = 523.25
_NOTE_S = 0.06
_GAP_S = 0.015


def semitones(base_hz: float, steps: float) -> float:
    """The frequency ``steps`` equal-tempered semitones above ``base_hz``."""
    return base_hz * 2.0 ** (steps / 12.0)


def _envelope(n: int, rate: int, decay: float) -> np.ndarray:
    fade = max(1, min(int(FADE_S * rate), n // 2))
    env = np.ones(n, dtype=np.float64)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade))
    env[:fade] = ramp
    env[n - fade:] = ramp[::-1]
    if decay > 0:
        env *= np.exp(-decay * np.arange(n) / rate)
    return env


def tone(freq_hz: float, seconds: float, *, end_hz: float | None = None, harmonics: tuple[float, ...] = (1.0, 0.3),
         decay: float = 0.0, amplitude: float = 0.6, rate: int = RATE) -> np.ndarray:
    """A faded tone; ``end_hz`` glides the pitch exponentially, ``harmonics`` give relative overtone levels."""
    n = max(1, int(round(seconds * rate)))
    start = float(freq_hz)
    end = float(end_hz) if end_hz is not None else start
    freq = start * (end / start) ** np.linspace(0.0, 1.0, n)
    phase = 2.0 * np.pi * np.cumsum(freq) / rate
    wave = np.zeros(n, dtype=np.float64)
    for k, level in enumerate(harmonics, start=1):
        if level and k * max(start, end) < rate / 2:  # overtones above Nyquist would alias into noise
            wave += level * np.sin(k * phase)
    peak = np.max(np.abs(wave)) or 1.0
    return (amplitude * wave / peak * _envelope(n, rate, decay)).astype(np.float32)


def silence(seconds: float, rate: int = RATE) -> np.ndarray:
    """``seconds`` of zeros."""
    return np.zeros(max(0, int(round(seconds * rate))), dtype=np.float32)


def notes(freqs: tuple[float, ...], note_s: float = _NOTE_S, gap_s: float = _GAP_S, **tone_args) -> np.ndarray:
    """Notes played one after another with short gaps."""
    parts: list[np.ndarray] = []
    for i, f in enumerate(freqs):
        if i:
            parts.append(silence(gap_s))
        parts.append(tone(f, note_s, **tone_args))
    return np.concatenate(parts)


def countdown_beep() -> np.ndarray:
    """One countdown step: a short A5 beep."""
    return tone(880.0, 0.08, harmonics=(1.0, 0.2))


def go_beep() -> np.ndarray:
    """The countdown's last step: longer and a fifth higher than a countdown beep."""
    return tone(1318.5, 0.18, harmonics=(1.0, 0.35, 0.1), decay=4.0)


def recording_started() -> np.ndarray:
    """A glide up an octave: the recorder is listening."""
    return tone(440.0, 0.15, end_hz=880.0, harmonics=(1.0, 0.25))


def recording_stopped() -> np.ndarray:
    """A glide down an octave: the take is over."""
    return tone(880.0, 0.15, end_hz=440.0, harmonics=(1.0, 0.25))


def rejected() -> np.ndarray:
    """Two low buzzy notes falling a minor third: "none of these"."""
    buzzy = (1.0, 0.0, 0.33, 0.0, 0.2, 0.0, 0.14)  # odd harmonics: a soft square wave
    return notes((220.0, semitones(220.0, -3)), note_s=0.1, gap_s=0.02, harmonics=buzzy, amplitude=0.5)


def connected() -> np.ndarray:
    """Two bell-like notes rising a fourth."""
    return notes((659.3, semitones(659.3, 5)), note_s=0.09, gap_s=0.02, harmonics=(1.0, 0.5, 0.2), decay=12.0)


def disconnected() -> np.ndarray:
    """Two bell-like notes falling a fourth."""
    return notes((semitones(659.3, 5), 659.3), note_s=0.09, gap_s=0.02, harmonics=(1.0, 0.5, 0.2), decay=12.0)


def _contour(m: tuple[int, int, int]) -> tuple[bool, bool]:
    return m[1] > m[0], m[2] > m[1]


def _distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    # Listeners remember a melody's shape (its steps) better than its absolute pitch.
    steps = abs((a[1] - a[0]) - (b[1] - b[0])) + abs((a[2] - a[1]) - (b[2] - b[1]))
    return steps + 0.5 * abs(a[0] - b[0]) + 3.0 * (_contour(a) != _contour(b))


@lru_cache(maxsize=1)
def earcon_patterns() -> tuple[tuple[int, int, int], ...]:
    """Every three-note melody used for gestures, as scale degrees, in the order gestures get them.

    The order is greedy farthest-first: each next melody is the one least like all melodies before it,
    so the first gestures of a set (the ones people learn) differ most, first of all in contour
    (up-up, down-down, up-down, down-up).
    """
    # No repeated neighbours: through a small speaker a repeated note blurs into one long note.
    pool = [m for m in product(range(len(_PENTATONIC)), repeat=3) if m[0] != m[1] and m[1] != m[2]]
    order = [(0, 2, 4)]  # a rising arpeggio for the first gesture
    pool.remove(order[0])
    nearest = {m: _distance(m, order[0]) for m in pool}
    while pool:
        best = max(pool, key=lambda m: (nearest[m], [-d for d in m]))
        order.append(best)
        pool.remove(best)
        for m in pool:
            nearest[m] = min(nearest[m], _distance(m, best))
    return tuple(order)


def earcon_index(name: str) -> int:
    """A stable pattern index for a gesture name alone (the same on every run and machine)."""
    digest = hashlib.sha256(" ".join(name.split()).casefold().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % len(earcon_patterns())


def earcon_frequencies(index: int) -> tuple[float, float, float]:
    """The three note frequencies (Hz) of earcon ``index``."""
    pattern = earcon_patterns()[index % len(earcon_patterns())]
    return tuple(semitones(_C5, _PENTATONIC[d]) for d in pattern)  # type: ignore[return-value]


def earcon(index: int) -> np.ndarray:
    """Gesture earcon ``index``: three 60 ms notes, 210 ms in all."""
    return notes(earcon_frequencies(index), harmonics=(1.0, 0.4, 0.15), decay=6.0)
