"""Plain records the project hands out: gestures, takes, negatives, and the array <-> blob codec."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import numpy as np


class ProjectError(Exception):
    """A project operation was refused or a file could not be used; ``str(error)`` is a plain message."""


PALETTE: tuple[str, ...] = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass
class Gesture:
    """A gesture in the library: a name, the words that describe it, and where its events go."""

    id: int
    name: str
    description: str = ""
    colour: str = PALETTE[0]
    enabled: bool = True
    output: dict = field(default_factory=dict)
    position: int = 0


@dataclass
class Take:
    """One recording of a gesture. ``samples`` is (T, C) float32 in the listed channels and units."""

    id: int
    gesture_id: int
    samples: np.ndarray
    rate_hz: float
    channels: tuple[str, ...]
    units: tuple[str, ...]
    device: str = ""
    user: str = ""
    recorded_at: float = 0.0
    trim_start: int | None = None
    trim_end: int | None = None
    quality: float | None = None

    def trimmed(self) -> np.ndarray:
        """The samples between the trim marks (all of them when the take is untrimmed)."""
        start = 0 if self.trim_start is None else self.trim_start
        end = len(self.samples) if self.trim_end is None else self.trim_end
        return self.samples[start:end]


@dataclass
class Negative:
    """A recording of ordinary movement that is *not* a gesture (used to calibrate rejection)."""

    id: int
    samples: np.ndarray
    rate_hz: float
    channels: tuple[str, ...]
    units: tuple[str, ...]
    device: str = ""
    recorded_at: float = 0.0


def clean_name(name: object) -> str:
    """A gesture name with surrounding whitespace removed; refuses empty or non-text names."""
    if not isinstance(name, str):
        raise ProjectError(f"A gesture name must be text, not {type(name).__name__}.")
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ProjectError("A gesture needs a name: the name is empty.")
    if len(cleaned) > 80:
        raise ProjectError(f"The gesture name is too long ({len(cleaned)} characters, at most 80).")
    return cleaned


def name_key(name: str) -> str:
    """The key names are compared by: 'Wave', 'wave' and ' WAVE ' are the same gesture."""
    return clean_name(name).casefold()


def check_colour(colour: object) -> str:
    """A '#rrggbb' colour in lower case, or ProjectError."""
    if not isinstance(colour, str) or not _COLOUR.match(colour):
        raise ProjectError(f"A colour must look like '#1f77b4', not {colour!r}.")
    return colour.lower()


def to_json(value: object, what: str) -> str:
    """``value`` as strict JSON text (no NaN); ProjectError naming ``what`` if it is not plain data."""
    try:
        return json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"{what} cannot be stored: it is not plain JSON data ({exc}).") from None


def check_recording(samples: object, rate_hz: object, channels, units) -> tuple[np.ndarray, float, list, list]:
    """Validate a recording before it is stored; returns (samples float32 (T, C), rate, channels, units)."""
    array = np.asarray(samples)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ProjectError(f"A recording must be a (samples, channels) array, got shape {array.shape}.")
    if not np.issubdtype(array.dtype, np.number):
        raise ProjectError(f"A recording must hold numbers, got {array.dtype}.")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if np.isinf(array).any():
        raise ProjectError("The recording contains infinite values; it was not stored.")
    try:
        rate = float(rate_hz)
    except (TypeError, ValueError):
        raise ProjectError(f"The sample rate must be a number, got {rate_hz!r}.") from None
    if not math.isfinite(rate) or rate <= 0:
        raise ProjectError(f"The sample rate must be a positive number, got {rate_hz!r}.")
    channels, units = [str(c) for c in channels], [str(u) for u in units]
    if len(channels) != array.shape[1] or len(units) != array.shape[1]:
        raise ProjectError(
            f"The recording has {array.shape[1]} channels but {len(channels)} channel names "
            f"and {len(units)} units were given."
        )
    return array, rate, channels, units


def check_number(value: object, what: str) -> float:
    """``value`` as a finite float; ProjectError naming ``what`` otherwise."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ProjectError(f"{what} must be a number, got {value!r}.") from None
    if not math.isfinite(number):
        raise ProjectError(f"{what} must be a finite number, got {value!r}.")
    return number


def check_trim(start: object, end: object, n_samples: int) -> tuple[int | None, int | None]:
    """Validated trim marks; (None, None) means untrimmed, a missing side means the take's edge."""
    if start is None and end is None:
        return None, None
    try:
        start = 0 if start is None else int(start)  # type: ignore[arg-type]
        end = n_samples if end is None else int(end)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ProjectError(f"Trim marks must be whole sample numbers, got {start!r}..{end!r}.") from None
    if not 0 <= start < end <= n_samples:
        raise ProjectError(f"Trim marks must satisfy 0 <= start < end <= {n_samples}, got {start}..{end}.")
    return start, end


def to_blob(array: np.ndarray) -> bytes:
    """The array as row-major little-endian float32 bytes."""
    # Little-endian float32 regardless of the machine, so files move between computers.
    return np.ascontiguousarray(array, dtype="<f4").tobytes()


def from_blob(blob: bytes, n_samples: int, n_channels: int) -> np.ndarray:
    """Inverse of :func:`to_blob`; a blob of the wrong size raises ProjectError."""
    expected = n_samples * n_channels * 4
    if len(blob) != expected:
        raise ProjectError(f"A stored recording is damaged ({len(blob)} bytes, expected {expected}).")
    return np.frombuffer(blob, dtype="<f4").reshape(n_samples, n_channels).astype(np.float32)
