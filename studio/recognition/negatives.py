"""Ordinary movement for calibrating rejection, as live recognition meets it.

Rejection compares a movement's scores with how ordinary movement scores (``Recogniser.calibrate``). What
matters is how the windows that live segmentation actually offers the recogniser score: the pieces of
walking, fidgeting or a game of badminton that stand out from their surroundings, cut the way
:class:`studio.recognition.live.LiveRecogniser` cuts a movement. :func:`proposed_windows` runs the live
segmenter over a stream and keeps exactly those windows; :func:`default_negatives` gathers them from
generated ordinary movement (holding still, fidgeting, walking) and from the *train* part of the packaged
BasicMotions recordings (standing, walking, running, badminton: real people, real sensors), for projects
whose user has not recorded their own. The test part and aeon's Daphnet recording are left for measuring
(``studio bench live``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from studio.signals.stream import CANONICAL_CHANNELS, Chunk

RATE = 100.0
MAX_WINDOWS = 160  # embedding them costs ~1 ms each on the encoder, more on kernel refits
RAW_WINDOWS = 40  # plain 3 s stretches of generated ordinary movement, as before segmentation was used


class _Grab:
    """A stand-in recogniser that keeps every window it is offered and rejects it (so no refractory
    period follows and every movement is offered)."""

    def __init__(self) -> None:
        self.windows: list[np.ndarray] = []

    def predict(self, window, rate_hz, channels):
        self.windows.append(np.array(window, np.float32))
        return SimpleNamespace(label=None, confidence=0.0, scores={}, rejected=True)


def proposed_windows(x: np.ndarray, rate_hz: float = RATE, channels=CANONICAL_CHANNELS) -> list[np.ndarray]:
    """The windows live segmentation hands the recogniser for stream ``x`` (T, C), fed in 50 ms chunks."""
    from studio.recognition.live import LiveRecogniser

    grab = _Grab()
    live = LiveRecogniser(grab, rate_hz, channels=tuple(channels))
    t = np.arange(len(x)) / rate_hz
    step = max(1, int(0.05 * rate_hz))
    for i in range(0, len(x), step):
        live.feed(Chunk(t[i:i + step], x[i:i + step]))
    live.flush()
    return grab.windows


def basic_motions_train() -> list[np.ndarray]:
    """The train part of the packaged BasicMotions set at :data:`RATE` (empty if it is not there)."""
    from studio.recognition.datasets import load_npz
    from studio.shipped import resource_path
    from studio.signals.units import resample_uniform

    path = Path(resource_path("sample_sets")) / "basic_motions.npz"
    if not path.is_file():
        return []
    data = load_npz(path)
    if data.channels != CANONICAL_CHANNELS or data.split is None:
        return []
    return [resample_uniform(x, data.rate_hz, RATE) for x, part in zip(data.X, data.split) if part == "train"]


@lru_cache(maxsize=4)
def _default_negatives(seed: int) -> tuple[tuple[np.ndarray, ...], float]:
    from studio import synth
    from studio.synth.idle import IDLE_KINDS

    rng = np.random.default_rng(seed)
    raw = [synth.render_idle(rng, 3.0, RATE) for _ in range(RAW_WINDOWS)]
    proposed: list[np.ndarray] = []
    seconds = 0.0
    streams = [synth.render_idle(rng, 60.0, RATE, kind=kind) for kind in IDLE_KINDS for _ in range(2)]
    for x in streams + basic_motions_train():
        proposed += proposed_windows(x)
        seconds += len(x) / RATE
    offered_per_hour = len(proposed) * 3600.0 / seconds
    room = MAX_WINDOWS - len(raw)
    if len(proposed) > room:
        proposed = [proposed[i] for i in sorted(rng.choice(len(proposed), room, replace=False))]
    return tuple(raw + proposed), offered_per_hour


def default_negatives(seed: int = 0) -> list[np.ndarray]:
    """Windows of ordinary movement at :data:`RATE`, canonical channels (computed once per process)."""
    return list(_default_negatives(int(seed))[0])


def default_offered_per_hour(seed: int = 0) -> float:
    """How many movements live segmentation offers the recogniser per hour of that ordinary movement."""
    return _default_negatives(int(seed))[1]


def calibration_windows(x: np.ndarray, rate_hz: float, channels, window_s: float) -> tuple[list[np.ndarray], float]:
    """A user's recording of ordinary movement as calibration negatives: overlapping ``window_s`` windows
    plus the movements live segmentation would offer; returns (windows, movements offered per hour)."""
    window = max(1, int(round(window_s * rate_hz)))
    step = max(1, window // 2)
    windows = [x[i:i + window] for i in range(0, max(1, len(x) - window + 1), step)]
    proposed = proposed_windows(x, rate_hz, channels)
    per_hour = len(proposed) * 3600.0 / max(len(x) / rate_hz, 1e-9)
    if not set(channels) <= set(CANONICAL_CHANNELS):
        proposed = []  # those come without the extra axes; the overlapping windows cover this recording
    return windows + proposed, per_hour
