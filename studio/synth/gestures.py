"""The gesture catalogue: how each named gesture moves the hand, given its attributes.

Sizes and durations below are the nominal (size 1, speed 1) values; ``Attributes`` scales them and
``jitter`` adds person-to-person variation of the shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from studio.synth import shapes as sh
from studio.synth.shapes import Motion

X, Y, Z = np.eye(3)


@dataclass(frozen=True)
class Attributes:
    """How one performance of a gesture varies: scale, duration multiplier, repetitions, plane, sense."""

    size: float = 1.0
    speed: float = 1.0          # duration multiplier: 1.5 means 50 % slower
    reps: int = 1
    plane: str = "vertical"
    clockwise: bool = True      # only for gestures that vary "direction" (twist)


Builder = Callable[[Attributes, np.random.Generator, float], Motion]


@dataclass(frozen=True)
class Entry:
    """A gesture's builder, the attributes that may vary for it, and its repetition choices."""

    build: Builder
    varies: tuple[str, ...] = ("size", "speed")
    reps: tuple[int, ...] = (1,)   # first is the default


def _jit(rng: np.random.Generator, jitter: float) -> float:
    """A person-to-person factor around 1."""
    return float(np.clip(1.0 + jitter * rng.standard_normal(), 0.5, 1.6)) if jitter else 1.0


def _circle(clockwise: bool) -> Builder:
    def build(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
        start = -np.pi / 2 + j * 3.0 * rng.standard_normal()
        duration = 1.2 * a.speed * a.reps ** 0.85 * _jit(rng, j)
        return sh.loops(0.12 * a.size * _jit(rng, j), a.reps, duration, clockwise, a.plane, start)
    return build


def _swipe(direction: np.ndarray, length: float = 0.35) -> Builder:
    def build(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
        side = np.cross(direction, Y) if abs(direction[1]) < 0.5 else Z
        vec = direction * length * a.size * _jit(rng, j)
        bow = (side * rng.standard_normal() + direction * 0.3 * rng.standard_normal()) * length * a.size * j * 0.5
        return sh.line(vec, 0.45 * a.speed * _jit(rng, j), bow)
    return build


def _flick(axis: np.ndarray) -> Builder:
    def build(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
        angle = np.deg2rad(np.clip(60.0 * a.size * _jit(rng, j), 15.0, 150.0))
        out = 0.14 * a.speed * _jit(rng, j)
        return sh.rotation_pulse(axis, angle, out, 0.05 * a.speed, 0.35 * a.speed, a.reps, 0.15 * a.speed)
    return build


def _taps(count: int) -> Builder:
    def build(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
        return sh.taps(0.003 * a.size * _jit(rng, j), 0.012 * a.speed, count, 0.22 * a.speed * _jit(rng, j), -Z)
    return build


def _twist(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
    angle = np.deg2rad(np.clip(90.0 * a.size * _jit(rng, j), 20.0, 170.0))
    axis = Y if a.clockwise else -Y   # forearm axis; clockwise as the person sees it, looking along the arm
    return sh.rotation_pulse(axis, angle, 0.4 * a.speed, 0.15 * a.speed, 0.4 * a.speed, a.reps, 0.1 * a.speed)


def _shake(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
    axis = X + 0.2 * j * rng.standard_normal(3)
    return sh.oscillation(axis / np.linalg.norm(axis), 0.04 * a.size * _jit(rng, j), 4.5 / a.speed, a.reps,
                          Z * 0.15 * a.size)


def _wave(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
    raise_s = 0.4 * a.speed
    swing = sh.oscillation(X, 0.05 * a.size, 2.2 / a.speed * _jit(rng, j), a.reps, Y * 0.5 * a.size)
    lift = sh.rotation_pulse(X, np.deg2rad(70.0), raise_s, swing.duration, raise_s)
    return Motion(lift.duration, sh.combine(lift.fn, sh.shifted(swing, raise_s).fn))


def _pick_up(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
    duration = 0.8 * a.speed * _jit(rng, j)
    lift = sh.line(np.array([0.0, -0.1, 0.25]) * a.size * _jit(rng, j), duration)
    tilt = np.deg2rad(60.0 * _jit(rng, j))
    turn = sh.rotation_pulse(X, tilt, duration, 10.0, 1.0)   # tilts towards the face and stays
    return Motion(duration, sh.combine(lift.fn, lambda t: turn(np.minimum(t, duration))))


def _polyline(points: list[tuple[float, float]], base_s: float = 0.42) -> Builder:
    """A letter or outline drawn through ``points`` (x right, y up; unit height) in the chosen plane."""
    pts = np.asarray(points, np.float64)

    def build(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
        u, v = sh.PLANES[a.plane]
        height = 0.25 * a.size * _jit(rng, j)
        p2 = (pts + 0.08 * j * rng.standard_normal(pts.shape)) * height
        p3 = p2[:, :1] * u + p2[:, 1:] * v
        lengths = np.linalg.norm(np.diff(p3, axis=0), axis=1)
        durations = a.speed * base_s * np.sqrt(np.maximum(lengths, 0.02) / 0.25) * _jit(rng, j)
        return sh.strokes(p3, durations, overlap=0.2)

    return build


def _figure_eight(a: Attributes, rng: np.random.Generator, j: float) -> Motion:
    return sh.lemniscate(0.3 * a.size * _jit(rng, j), 1.6 * a.speed * _jit(rng, j), a.plane)


_PLANAR = ("size", "speed", "plane")
CATALOGUE: dict[str, Entry] = {
    "circle_cw": Entry(_circle(True), _PLANAR + ("reps",), (1, 2, 3)),
    "circle_ccw": Entry(_circle(False), _PLANAR + ("reps",), (1, 2, 3)),
    "swipe_left": Entry(_swipe(-X)),
    "swipe_right": Entry(_swipe(X)),
    "swipe_up": Entry(_swipe(Z)),
    "swipe_down": Entry(_swipe(-Z)),
    "push": Entry(_swipe(Y, 0.25)),
    "pull": Entry(_swipe(-Y, 0.25)),
    "shake": Entry(_shake, ("size", "speed", "reps"), (4, 2, 3, 5, 6, 8)),
    "wave": Entry(_wave, ("size", "speed", "reps"), (3, 2, 4, 5)),
    "flick_up": Entry(_flick(X), ("size", "speed", "reps"), (1, 2)),
    "flick_down": Entry(_flick(-X), ("size", "speed", "reps"), (1, 2)),
    "flick_left": Entry(_flick(Z), ("size", "speed", "reps"), (1, 2)),
    "flick_right": Entry(_flick(-Z), ("size", "speed", "reps"), (1, 2)),
    "tap": Entry(_taps(1)),
    "double_tap": Entry(_taps(2)),
    "twist": Entry(_twist, ("size", "speed", "reps", "direction"), (1, 2)),
    "pick_up": Entry(_pick_up),
    "letter_z": Entry(_polyline([(0, 1), (0.8, 1), (0, 0), (0.8, 0)]), _PLANAR),
    "letter_v": Entry(_polyline([(0, 1), (0.4, 0), (0.8, 1)]), _PLANAR),
    "letter_m": Entry(_polyline([(0, 0), (0, 1), (0.4, 0.4), (0.8, 1), (0.8, 0)], 0.36), _PLANAR),
    "letter_l": Entry(_polyline([(0, 1), (0, 0), (0.6, 0)]), _PLANAR),
    "triangle": Entry(_polyline([(0.5, 1), (0, 0), (1, 0), (0.5, 1)]), _PLANAR),
    "square": Entry(_polyline([(0, 1), (1, 1), (1, 0), (0, 0), (0, 1)], 0.38), _PLANAR),
    "figure_eight": Entry(_figure_eight, _PLANAR),
}
