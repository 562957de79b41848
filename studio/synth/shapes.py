"""Trajectory primitives: smooth hand motions as functions of time.

A :class:`Motion` maps times ``t`` (N,) in seconds to the hand's position (N, 3) in metres and its
orientation as a rotation vector (N, 3) in radians, both in the world frame (x right, y forward, z up)
relative to the pose at ``t = 0``. Motions are plain functions so the kinematics can evaluate them at
any instant (e.g. ``t ± h`` for derivatives) and the simulator can run them on an endless clock.
Human point-to-point movement follows the minimum-jerk profile (Flash & Hogan 1985); strokes of a
letter are overlapping minimum-jerk sub-movements, which rounds the corners like a smoothing spline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Trajectory = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

# Plane name -> (u, v) world axes the 2-D shape is drawn along, seen by the person drawing it.
PLANES: dict[str, tuple[np.ndarray, np.ndarray]] = {
    "vertical": (np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])),   # facing, like a whiteboard
    "horizontal": (np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])),  # flat, like on a table
}
FOREARM_M = 0.35  # elbow-to-hand distance for the pivot coupling


@dataclass(frozen=True)
class Motion:
    """A hand motion lasting ``duration`` seconds; ``fn(t) -> (position, rotation vector)``."""

    duration: float
    fn: Trajectory

    def __call__(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.fn(np.asarray(t, np.float64))


def min_jerk(tau: np.ndarray) -> np.ndarray:
    """Minimum-jerk position profile: 0 -> 1 over tau in [0, 1], zero velocity and acceleration at ends."""
    s = np.clip(tau, 0.0, 1.0)
    return s * s * s * (10.0 + s * (-15.0 + 6.0 * s))


def _zeros(t: np.ndarray) -> np.ndarray:
    return np.zeros((t.shape[0], 3))


def strokes(points: np.ndarray, durations: np.ndarray, overlap: float = 0.25) -> Motion:
    """A polyline through ``points`` (K+1, 3) as overlapping minimum-jerk strokes.

    Stroke ``i`` starts when stroke ``i-1`` is ``1 - overlap`` done, so corners are rounded.
    """
    points = np.asarray(points, np.float64)
    steps = np.diff(points, axis=0)  # (K, 3)
    durations = np.asarray(durations, np.float64)
    starts = np.concatenate([[0.0], np.cumsum(durations[:-1] * (1.0 - overlap))])
    total = float(starts[-1] + durations[-1])

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = min_jerk((t[:, None] - starts[None, :]) / durations[None, :])  # (N, K)
        return s @ steps, _zeros(t)

    return Motion(total, fn)


def line(vector: np.ndarray, duration: float, bow: np.ndarray | None = None) -> Motion:
    """A straight stroke by ``vector`` (m), optionally bowed sideways by ``bow`` (m) at its middle."""
    vector = np.asarray(vector, np.float64)
    bow = np.zeros(3) if bow is None else np.asarray(bow, np.float64)

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = min_jerk(t / duration)[:, None]
        return s * vector + np.sin(np.pi * s) * bow, _zeros(t)

    return Motion(duration, fn)


def loops(radius: float, turns: float, duration: float, clockwise: bool, plane: str,
          start_angle: float = -np.pi / 2) -> Motion:
    """``turns`` circles of ``radius`` drawn in ``plane``, starting and ending at rest."""
    u, v = PLANES[plane]
    sign = -1.0 if clockwise else 1.0
    c0, s0 = np.cos(start_angle), np.sin(start_angle)

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = start_angle + sign * 2.0 * np.pi * turns * min_jerk(t / duration)
        du, dv = radius * (np.cos(a) - c0), radius * (np.sin(a) - s0)
        return du[:, None] * u + dv[:, None] * v, _zeros(t)

    return Motion(duration, fn)


def lemniscate(width: float, duration: float, plane: str, reverse: bool = False) -> Motion:
    """A figure eight (lemniscate of Gerono) lying in ``plane``."""
    u, v = PLANES[plane]
    sign = -1.0 if reverse else 1.0

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = 2.0 * np.pi * min_jerk(t / duration)
        du = 0.5 * width * np.sin(a) * sign
        dv = 0.5 * width * np.sin(a) * np.cos(a)
        return du[:, None] * u + dv[:, None] * v, _zeros(t)

    return Motion(duration, fn)


def oscillation(axis: np.ndarray, amplitude: float, freq_hz: float, cycles: float,
                rotation: np.ndarray | None = None) -> Motion:
    """Back-and-forth along ``axis`` (and optionally about ``rotation``, radians) with a smooth envelope."""
    duration = cycles / freq_hz
    axis = np.asarray(axis, np.float64)
    rot = np.zeros(3) if rotation is None else np.asarray(rotation, np.float64)

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tau = np.clip(t / duration, 0.0, 1.0)
        wave = np.sin(np.pi * tau) ** 2 * np.sin(2.0 * np.pi * freq_hz * np.clip(t, 0.0, duration))
        return wave[:, None] * axis * amplitude, wave[:, None] * rot

    return Motion(duration, fn)


def rotation_pulse(axis: np.ndarray, angle: float, t_out: float, hold: float, t_back: float,
                   repeats: int = 1, gap: float = 0.1) -> Motion:
    """Rotate by ``angle`` rad about ``axis`` in ``t_out`` s, hold, and rotate back in ``t_back`` s."""
    axis = np.asarray(axis, np.float64)
    period = t_out + hold + t_back + gap
    duration = period * repeats - gap

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        local = np.clip(t, 0.0, duration) % period
        local = np.where(t >= duration, period, local)  # finished: back at rest
        a = angle * (min_jerk(local / t_out) - min_jerk((local - t_out - hold) / t_back))
        return _zeros(t), a[:, None] * axis

    return Motion(duration, fn)


def taps(depth: float, width_s: float, count: int, gap_s: float, axis: np.ndarray) -> Motion:
    """``count`` short impulses: the device jolts ``depth`` metres along ``axis`` and springs back."""
    axis = np.asarray(axis, np.float64)
    centres = 3.0 * width_s + gap_s * np.arange(count)
    duration = float(centres[-1] + 3.0 * width_s)

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bump = np.exp(-0.5 * ((t[:, None] - centres[None, :]) / width_s) ** 2).sum(axis=1)
        return depth * bump[:, None] * axis, _zeros(t)

    return Motion(duration, fn)


def sequence(parts: list[Motion], gap_s: float = 0.0) -> Motion:
    """Play motions one after another; each starts where the previous one ended."""
    starts = np.concatenate([[0.0], np.cumsum([p.duration + gap_s for p in parts])[:-1]])
    duration = float(starts[-1] + parts[-1].duration)

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos, rot = _zeros(t), _zeros(t)
        for start, part in zip(starts, parts):
            p, r = part(t - start)
            pos += p
            rot += r
        return pos, rot

    return Motion(duration, fn)


def with_pivot(motion: Motion, coupling: float) -> Motion:
    """Add the forearm's rotation that goes with a hand displacement (the arm pivots at the elbow).

    Moving the hand by ``p`` turns a forearm of length :data:`FOREARM_M` towards ``p``; the wrist
    compensates part of it, so only ``coupling`` (0..1) of that rotation reaches the device.
    """
    k = coupling / FOREARM_M

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos, rot = motion(t)
        turn = np.zeros_like(pos)  # forward (y) × pos = (pos_z, 0, -pos_x)
        turn[:, 0], turn[:, 2] = k * pos[:, 2], -k * pos[:, 0]
        return pos, rot + turn

    return Motion(motion.duration, fn)


def with_return(motion: Motion, hold_s: float = 0.3, back_s: float | None = None) -> Motion:
    """After ``motion`` ends, hold, then drift back to the starting pose (the simulator's hand rests).

    The return is unhurried (by default longer the further it goes) so that it does not look like
    a gesture of its own.
    """
    end = np.array([motion.duration])
    p_end, r_end = motion(end)
    if back_s is None:
        back_s = 0.8 + 4.0 * float(np.linalg.norm(p_end)) + 1.2 * float(np.linalg.norm(r_end))

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos, rot = motion(t)
        s = min_jerk((t - motion.duration - hold_s) / back_s)[:, None]
        return pos - s * p_end, rot - s * r_end

    return Motion(motion.duration + hold_s + back_s, fn)


def rotated(motion: Motion, matrix: np.ndarray) -> Motion:
    """``motion`` performed in a turned frame (e.g. the arm pointing a little down or to the side).

    Rotating a rotation vector's axis by ``matrix`` is the same rotation seen from the turned frame.
    """
    m = np.asarray(matrix, np.float64).T

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos, rot = motion(t)
        return pos @ m, rot @ m

    return Motion(motion.duration, fn)


def shifted(motion: Motion, start_s: float) -> Motion:
    """``motion`` starting at ``start_s`` instead of 0."""
    return Motion(motion.duration + start_s, lambda t: motion(t - start_s))


def combine(a: Trajectory, b: Trajectory) -> Trajectory:
    """Superpose two trajectories (positions add; small rotations compose approximately by adding)."""

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pa, ra = a(t)
        pb, rb = b(t)
        return pa + pb, ra + rb

    return fn
