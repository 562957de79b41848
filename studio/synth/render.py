"""Public generators: gestures, idle movement, motion–text pairs and unlabeled data as (T, 6) arrays.

Output channels are :data:`studio.signals.stream.CANONICAL_CHANNELS` (acc in g with gravity, gyro in
deg/s), float32, uniformly sampled at the requested rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.signals.units import resample_uniform
from studio.synth import idle, shapes
from studio.synth import rotations as rot
from studio.synth.domain import Device, Domain, apply_sensor, draw_device
from studio.synth.gestures import CATALOGUE, Attributes, Entry
from studio.synth.kinematics import imu_from_trajectory
from studio.synth.text import canonical, describe


@dataclass(frozen=True)
class GestureSpec:
    """A named gesture: its canonical description, paraphrases, and which attributes may vary."""

    name: str
    description: str
    paraphrases: tuple[str, ...]
    varies: tuple[str, ...] = ()


GESTURES: dict[str, GestureSpec] = {
    name: GestureSpec(name, *canonical(name), entry.varies) for name, entry in CATALOGUE.items()
}


def _entry(name: str) -> Entry:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ValueError(f"unknown gesture {name!r}; known: {', '.join(GESTURES)}") from None


def _span(rng: np.random.Generator, bounds: tuple[float, float], log: bool = False) -> float:
    low, high = bounds
    if high <= low:
        return float(low)
    return float(np.exp(rng.uniform(np.log(low), np.log(high)))) if log else float(rng.uniform(low, high))


def draw_attributes(name: str, rng: np.random.Generator, domain: Domain, vary_all: bool = False) -> Attributes:
    """Random attributes for one performance: size and speed from ``domain``; with ``vary_all`` also
    repetitions, plane and sense of rotation where the gesture allows them."""
    entry = _entry(name)
    reps, plane, clockwise = entry.reps[0], "vertical", True
    if "direction" in entry.varies:
        clockwise = bool(rng.random() < 0.5)
    if vary_all and "reps" in entry.varies and rng.random() < 0.5:
        reps = int(entry.reps[int(rng.integers(len(entry.reps)))])
    if vary_all and "plane" in entry.varies and rng.random() < 0.3:
        plane = "horizontal"
    return Attributes(_span(rng, domain.size, log=True), _span(rng, domain.speed, log=True), reps, plane, clockwise)


def _render(traj: shapes.Trajectory, seconds: float, rate_hz: float, domain: Domain, device: Device,
            rng: np.random.Generator) -> np.ndarray:
    """Sample ``traj`` for ``seconds`` as ``device`` would, then bring it to ``rate_hz``."""
    if rate_hz <= 0:
        raise ValueError(f"rate_hz must be positive, got {rate_hz}")
    rate = _span(rng, domain.rate_hz, log=True) if domain.rate_hz else float(rate_hz)
    n = max(2, int(round(seconds * rate)))
    t = np.arange(n) / rate
    if domain.jitter:
        t = t + rng.standard_normal(n) * (domain.jitter / rate)
    acc, gyro = imu_from_trajectory(traj, t, 0.5 / rate, device.mount, device.lever_m, device.gravity_g)
    x = apply_sensor(acc, gyro, device, rng)
    if rate != rate_hz:
        x = resample_uniform(x, rate, rate_hz)
        target = max(2, int(round(seconds * rate_hz)))
        x = x[:target] if x.shape[0] >= target else np.concatenate([x, np.repeat(x[-1:], target - x.shape[0], 0)])
    return np.ascontiguousarray(x, np.float32)


def gesture_motion(name: str, attrs: Attributes, rng: np.random.Generator, domain: Domain,
                   coupling: float = 0.0) -> shapes.Motion:
    """The hand motion of one performance of ``name`` (used by the simulator as well)."""
    motion = _entry(name).build(attrs, rng, domain.shape_jitter)
    if coupling:
        motion = shapes.with_pivot(motion, coupling)
    if domain.arm_pose_deg > 0:
        motion = shapes.rotated(motion, rot.to_matrix(rot.random_rotation(rng, domain.arm_pose_deg)))
    return motion


def render_performance(name: str, attrs: Attributes, rng: np.random.Generator, rate_hz: float = 100.0,
                       domain: Domain | None = None, lead_s: float = 0.3, tail_s: float = 0.3,
                       total_s: float | None = None) -> np.ndarray:
    """Render one performance of ``name`` with the given attributes, held still before and after.

    With ``total_s`` the lead and tail are chosen at random to make the recording that long (a
    gesture longer than that keeps ``lead_s``/``tail_s`` and is cut by the caller).
    """
    domain = Domain.default() if domain is None else domain
    device = draw_device(domain, rng)
    gesture = gesture_motion(name, attrs, rng, domain, device.coupling)
    return _render_held(gesture, device, rng, rate_hz, domain, lead_s, tail_s, total_s)


def render_motion(motion: shapes.Motion, rng: np.random.Generator, rate_hz: float = 100.0,
                  domain: Domain | None = None, lead_s: float = 0.3, tail_s: float = 0.3) -> np.ndarray:
    """Render any hand ``motion`` (e.g. a :mod:`studio.synth.programs` performance) as one device would
    record it: a device drawn from ``domain``, the forearm's pivot and arm pose, tremor, sensor errors."""
    domain = Domain.default() if domain is None else domain
    device = draw_device(domain, rng)
    if device.coupling:
        motion = shapes.with_pivot(motion, device.coupling)
    if domain.arm_pose_deg > 0:
        motion = shapes.rotated(motion, rot.to_matrix(rot.random_rotation(rng, domain.arm_pose_deg)))
    return _render_held(motion, device, rng, rate_hz, domain, lead_s, tail_s, None)


def _render_held(gesture: shapes.Motion, device: Device, rng: np.random.Generator, rate_hz: float, domain: Domain,
                 lead_s: float, tail_s: float, total_s: float | None) -> np.ndarray:
    spare = -1.0 if total_s is None else total_s - gesture.duration
    if spare > 0:
        lead_s = float(rng.uniform(0.0, spare))
        tail_s = spare - lead_s
    motion = shapes.shifted(gesture, lead_s)
    traj = shapes.combine(motion.fn, idle.tremor_and_drift(rng, device.tremor)) if device.tremor else motion.fn
    return _render(traj, motion.duration + tail_s, rate_hz, domain, device, rng)


def render_gesture(name: str, rng: np.random.Generator, rate_hz: float = 100.0, domain: Domain | None = None,
                   lead_s: float = 0.3, tail_s: float = 0.3) -> np.ndarray:
    """One performance of gesture ``name`` as (T, 6) float32 with idle motion before and after.

    Size and speed are drawn from ``domain`` (default :meth:`Domain.default`); repetitions and plane
    stay as in the canonical description. Unknown names raise ``ValueError``.
    """
    domain = Domain.default() if domain is None else domain
    attrs = draw_attributes(name, rng, domain)
    return render_performance(name, attrs, rng, rate_hz, domain, lead_s, tail_s)


def render_trajectory(traj: shapes.Trajectory, seconds: float, rng: np.random.Generator, rate_hz: float = 100.0,
                      domain: Domain | None = None) -> np.ndarray:
    """``seconds`` of an endless trajectory (an activity, idle motion) as one device records it."""
    domain = Domain.default() if domain is None else domain
    device = draw_device(domain, rng)
    return _render(traj, seconds, rate_hz, domain, device, rng)


def render_idle(rng: np.random.Generator, seconds: float, rate_hz: float = 100.0, domain: Domain | None = None,
                kind: str | None = None) -> np.ndarray:
    """Ordinary movement that is not a gesture: holding still, fidgeting or walking (random ``kind``)."""
    domain = Domain.default() if domain is None else domain
    kind = kind or str(rng.choice(idle.IDLE_KINDS, p=[0.5, 0.3, 0.2]))
    device = draw_device(domain, rng)
    return _render(idle.idle_trajectory(kind, rng, max(device.tremor, 0.2)), seconds, rate_hz, domain, device, rng)


def sample_pair(rng: np.random.Generator, rate_hz: float = 100.0,
                domain: Domain | None = None) -> tuple[np.ndarray, str, str]:
    """A random gesture with random attributes and a matching paraphrased description.

    Returns ``(x (T, 6) float32, label, text)``; the text names the attributes that were drawn
    (small/large, slow/fast, repetitions, plane, sense of rotation).
    """
    domain = Domain.default() if domain is None else domain
    names = list(GESTURES)
    name = names[int(rng.integers(len(names)))]
    attrs = draw_attributes(name, rng, domain, vary_all=True)
    lead, tail = rng.uniform(0.1, 0.6, 2)
    x = render_performance(name, attrs, rng, rate_hz, domain, lead, tail)
    entry = CATALOGUE[name]
    return x, name, describe(name, attrs, entry.varies, entry.reps[0], rng)


def sample_unlabeled(rng: np.random.Generator, rate_hz: float = 100.0, domain: Domain | None = None,
                     seconds: float | None = None) -> np.ndarray:
    """Unlabeled motion for masked pre-training: gestures, random smooth movement, or idle.

    ``seconds=None`` gives a natural length (about 1-4 s); otherwise exactly ``seconds`` long.
    """
    domain = Domain.default() if domain is None else domain
    pick = rng.random()
    if pick < 0.5:
        names = list(GESTURES)
        name = names[int(rng.integers(len(names)))]
        lead, tail = rng.uniform(0.1, 0.8, 2)
        x = render_performance(name, draw_attributes(name, rng, domain, vary_all=True), rng, rate_hz, domain,
                               lead, tail, seconds)
    else:
        length = float(rng.uniform(1.5, 4.0)) if seconds is None else seconds
        if pick < 0.75:
            device = draw_device(domain, rng)
            x = _render(idle.random_smooth(rng), length, rate_hz, domain, device, rng)
        else:
            x = render_idle(rng, length, rate_hz, domain)
    if seconds is not None:
        target = max(2, int(round(seconds * rate_hz)))
        if x.shape[0] >= target:
            start = int(rng.integers(x.shape[0] - target + 1))
            x = x[start:start + target]
        else:  # rounding: at most a sample or two short
            x = np.concatenate([x, np.repeat(x[-1:], target - x.shape[0], axis=0)])
    return x
