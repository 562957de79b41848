"""Ordinary movement that is not a gesture: tremor, drift, fidgeting, walking, random smooth motion.

Every kind is a sum of sinusoids, so it is defined (and smooth) for all times: the simulator can run
it on an endless clock without seams, and the kinematics can differentiate it anywhere.
"""

from __future__ import annotations

import numpy as np

from studio.synth.shapes import Trajectory

IDLE_KINDS = ("still", "fidget", "walk")


def sinusoids(freqs: np.ndarray, phases: np.ndarray, pos_amp: np.ndarray, rot_amp: np.ndarray) -> Trajectory:
    """``sum_k sin(2π f_k t + φ_k)`` with position (K, 3) m and rotation (K, 3) rad amplitudes."""
    w = 2.0 * np.pi * np.asarray(freqs, np.float64)
    phases = np.asarray(phases, np.float64)
    amps = np.concatenate([pos_amp, rot_amp], axis=1)  # (K, 6)

    def fn(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = np.sin(t[:, None] * w[None, :] + phases[None, :]) @ amps
        return out[:, :3], out[:, 3:]

    return fn


def _random_sinusoids(rng: np.random.Generator, k: int, f_low: float, f_high: float,
                      pos_m: float, rot_rad: float, falloff: float = 1.0) -> tuple[np.ndarray, ...]:
    """``k`` random sinusoids whose amplitude falls as ``f**-falloff`` (smoother at high frequency)."""
    freqs = np.exp(rng.uniform(np.log(f_low), np.log(f_high), k))
    weight = (freqs / f_low) ** -falloff
    weight /= np.sqrt((weight ** 2).sum())
    pos = rng.standard_normal((k, 3)) * (pos_m * weight)[:, None]
    rotation = rng.standard_normal((k, 3)) * (rot_rad * weight)[:, None]
    return freqs, rng.uniform(0, 2 * np.pi, k), pos, rotation


def _stack(parts: list[tuple[np.ndarray, ...]]) -> Trajectory:
    return sinusoids(*(np.concatenate(p) for p in zip(*parts)))


def tremor_and_drift(rng: np.random.Generator, scale: float = 1.0) -> Trajectory:
    """A hand holding still: 8-12 Hz physiological tremor plus slow drift of pose."""
    f0 = rng.uniform(8.0, 12.0)
    tremor = (f0 + rng.uniform(-1.0, 1.0, 4), rng.uniform(0, 2 * np.pi, 4),
              rng.standard_normal((4, 3)) * 1.2e-5 * scale, rng.standard_normal((4, 3)) * 1.5e-4 * scale)
    drift = _random_sinusoids(rng, 6, 0.03, 0.5, 0.01 * scale, np.deg2rad(2.0) * scale)
    return _stack([tremor, drift])


def fidget(rng: np.random.Generator) -> Trajectory:
    """Small restless movements: shifting the grip, turning the wrist, adjusting the arm."""
    return _stack([
        _random_sinusoids(rng, 10, 0.15, 2.5, rng.uniform(0.01, 0.05), np.deg2rad(rng.uniform(4, 20))),
        _random_sinusoids(rng, 4, 8.0, 12.0, 1.5e-5, 2e-4),
    ])


def walk(rng: np.random.Generator) -> Trajectory:
    """Walking with the device in hand: vertical bounce at the step rate, sway and arm swing at half."""
    step = rng.uniform(1.5, 2.3)
    freqs = np.array([step, 2 * step, step / 2, step / 2, 3 * step])
    pos = np.zeros((5, 3))
    pos[0, 2] = rng.uniform(0.015, 0.04)
    pos[1, 2] = rng.uniform(0.002, 0.01)
    pos[2, 0] = rng.uniform(0.01, 0.03)
    pos[3, 1] = rng.uniform(0.0, 0.15)          # arm swing forward/back
    pos[4] = rng.standard_normal(3) * 0.001
    rotation = np.zeros((5, 3))
    rotation[3, 0] = pos[3, 1] / 0.6            # swinging arm pitches the hand
    rotation[2, 1] = np.deg2rad(rng.uniform(1, 6))
    rotation[0] = rng.standard_normal(3) * np.deg2rad(2.0)
    parts = [(freqs, rng.uniform(0, 2 * np.pi, 5), pos, rotation),
             _random_sinusoids(rng, 5, 0.05, 0.5, 0.02, np.deg2rad(5.0))]
    return _stack(parts)


def random_smooth(rng: np.random.Generator) -> Trajectory:
    """Arbitrary smooth movement over a wide range of scales (for masked pre-training data)."""
    return _stack([
        _random_sinusoids(rng, 16, 0.1, rng.uniform(1.5, 6.0), rng.uniform(0.02, 0.3),
                          np.deg2rad(rng.uniform(5, 90)), falloff=rng.uniform(0.8, 2.0)),
        _random_sinusoids(rng, 4, 8.0, 12.0, 1.5e-5, 2e-4),
    ])


def idle_trajectory(kind: str, rng: np.random.Generator, scale: float = 1.0) -> Trajectory:
    """The background trajectory for one of :data:`IDLE_KINDS`."""
    if kind == "still":
        return tremor_and_drift(rng, scale)
    if kind == "fidget":
        return fidget(rng)
    if kind == "walk":
        return walk(rng)
    raise ValueError(f"unknown idle kind {kind!r}; known: {', '.join(IDLE_KINDS)}")
