"""Ongoing activities (walking, running, exercise, sports, typing): long, mostly periodic hand movement.

They are classes for pre-training (activity recognition sets such as BasicMotions are made of them) and
ordinary movement that a gesture recogniser must not fire on. Each is a smooth trajectory defined for all
times, like :mod:`studio.synth.idle`.
"""

from __future__ import annotations

import numpy as np

from studio.synth import idle, shapes
from studio.synth.shapes import Trajectory

X, Y, Z = np.eye(3)

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "standing": ("standing still", "standing still, resting", "resting with the arm at the side", "not moving"),
    "walking": ("walking", "walking at a normal pace", "going for a walk", "strolling"),
    "running": ("running", "jogging", "running fast", "going for a run"),
    "jumping_jacks": ("doing jumping jacks", "star jumps", "jumping jacks exercise"),
    "arm_circles": ("circling the arm", "arm circles exercise", "swinging the arm round in big circles"),
    "badminton": ("playing badminton", "hitting shuttlecocks with a racket", "playing a racket sport"),
    "typing": ("typing on a keyboard", "typing", "writing on a computer keyboard"),
    "brushing": ("brushing teeth", "brushing your teeth back and forth"),
}


def _bounce_and_swing(rng, step_hz: float, bounce_m: float, swing_m: float, swing_deg: float) -> Trajectory:
    freqs = np.array([step_hz, 2 * step_hz, step_hz / 2, step_hz / 2, step_hz])
    pos = np.zeros((5, 3))
    rot = np.zeros((5, 3))
    pos[0, 2] = bounce_m
    pos[1, 2] = 0.2 * bounce_m
    pos[2, 0] = 0.3 * swing_m
    pos[3, 1] = swing_m
    rot[3, 0] = np.deg2rad(swing_deg)
    rot[4] = rng.standard_normal(3) * np.deg2rad(3.0)
    parts = [(freqs, rng.uniform(0, 2 * np.pi, 5), pos, rot),
             idle._random_sinusoids(rng, 5, 0.05, 0.5, 0.02, np.deg2rad(5.0))]
    return idle._stack(parts)


def _swings(rng, period_s: tuple[float, float], seconds: float, base: Trajectory) -> Trajectory:
    """Fast overhead arm swings at irregular intervals on top of ``base`` (a racket sport)."""
    starts = np.cumsum(rng.uniform(*period_s, size=int(seconds / period_s[0]) + 2))
    hits = []
    for t0 in starts:
        swing = shapes.rotation_pulse(X + 0.3 * rng.standard_normal(3), np.deg2rad(rng.uniform(60, 130)),
                                      0.15, 0.05, 0.5)
        arc = shapes.line(np.array([rng.uniform(-0.2, 0.2), 0.3, rng.uniform(0.1, 0.4)]), 0.2)
        hits.append(shapes.shifted(shapes.Motion(swing.duration, shapes.combine(swing.fn, shapes.with_return(
            arc, 0.0, 0.5).fn)), float(t0)))

    def fn(t: np.ndarray):
        pos, rot = base(t)
        for h in hits:
            p, r = h(t)
            pos, rot = pos + p, rot + r
        return pos, rot

    return fn


def activity_trajectory(kind: str, rng: np.random.Generator, seconds: float = 10.0) -> Trajectory:
    """The hand (or wrist) trajectory of ``kind`` (a key of :data:`DESCRIPTIONS`) for about ``seconds``."""
    if kind == "standing":
        return idle.tremor_and_drift(rng, rng.uniform(0.5, 2.0))
    if kind == "walking":
        return _bounce_and_swing(rng, rng.uniform(1.6, 2.2), rng.uniform(0.015, 0.04), rng.uniform(0.05, 0.25), 20)
    if kind == "running":
        return _bounce_and_swing(rng, rng.uniform(2.5, 3.2), rng.uniform(0.04, 0.09), rng.uniform(0.15, 0.35), 45)
    if kind == "jumping_jacks":
        f = rng.uniform(0.8, 1.3)
        pos = np.array([[0.3, 0, 0.4], [0, 0, 0.05]]) * rng.uniform(0.7, 1.2)
        rot = np.array([[0, np.deg2rad(70), 0], [0, 0, 0]])
        return idle.sinusoids(np.array([f, 2 * f]), rng.uniform(0, 2 * np.pi, 2), pos, rot)
    if kind == "arm_circles":
        f = rng.uniform(0.6, 1.2)
        r = rng.uniform(0.3, 0.5)
        pos = np.array([[0, r, 0], [0, 0, r]])
        rot = np.array([[np.deg2rad(60), 0, 0], [0, 0, 0]])
        return idle.sinusoids(np.array([f, f]), np.array([0.0, np.pi / 2]) + rng.uniform(0, 6.3), pos, rot)
    if kind == "badminton":
        return _swings(rng, (1.2, 3.0), seconds, idle.fidget(rng))
    if kind == "typing":
        taps = idle._random_sinusoids(rng, 12, 4.0, 12.0, 0.0008, np.deg2rad(1.5), falloff=0.3)
        return idle._stack([taps, idle._random_sinusoids(rng, 4, 0.1, 1.0, 0.01, np.deg2rad(4.0))])
    if kind == "brushing":
        f = rng.uniform(3.0, 5.0)
        return idle._stack([(np.array([f]), np.zeros(1), np.array([[0.02, 0, 0]]), np.array([[0, 0, 0.2]])),
                            idle._random_sinusoids(rng, 4, 0.1, 1.0, 0.02, np.deg2rad(8.0))])
    raise ValueError(f"unknown activity {kind!r}; known: {', '.join(DESCRIPTIONS)}")
