"""The pre-training universe: movement classes drawn from three sources, each rendered many times.

- ``program``: a random :class:`studio.synth.programs.Program` with descriptions generated from its steps;
- ``catalogue``: a named gesture of :data:`studio.synth.GESTURES` with fixed discrete attributes
  (repetitions, plane, sense of rotation, size and pace category) and its paraphrased descriptions;
- ``activity``: an ongoing activity of :mod:`studio.synth.activities` (walking, running, badminton...).
A class is what two performances have in common; :func:`render_class` draws one performance (another
person's size, pace and shape, another device's grip, rate and sensor errors).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from studio.synth import activities, programs
from studio.synth.domain import Domain
from studio.synth.gestures import CATALOGUE, Attributes
from studio.synth.render import GESTURES, draw_attributes, render_motion, render_performance, render_trajectory
from studio.synth.text import describe

SOURCES = ("program", "catalogue", "activity")


def universe_domain() -> Domain:
    """Wide randomisation of person and sensor, devices at 10-200 Hz, held in a usual grip (within 30 deg
    of pointing forward, face up): single-axis and gravity-free views need a grip to mean anything."""
    return Domain.heavy().with_(orientation_deg=30.0, rate_hz=(10.0, 200.0))


@dataclass(frozen=True)
class ClassSpec:
    """One class of the universe: where it comes from, what defines it, and its descriptions."""

    source: str
    key: object  # Program, (gesture name, Attributes) or activity name
    texts: tuple[str, ...]


def sample_class(rng: np.random.Generator, weights=(0.6, 0.3, 0.1), n_texts: int = 3) -> ClassSpec:
    """A random class from the sources in proportion to ``weights`` (program, catalogue, activity)."""
    w = np.asarray(weights, float)
    source = SOURCES[int(rng.choice(3, p=w / w.sum()))]
    if source == "program":
        prog = programs.random_program(rng)
        return ClassSpec(source, prog, tuple(programs.describe_program(prog, rng) for _ in range(n_texts)))
    if source == "catalogue":
        names = list(GESTURES)
        name = names[int(rng.integers(len(names)))]
        attrs = draw_attributes(name, rng, Domain.default(), vary_all=True)
        attrs = replace(attrs, size=_category(attrs.size, (0.6, 1.0, 1.6)), speed=_category(attrs.speed, (0.7, 1.0, 1.4)))
        entry = CATALOGUE[name]
        return ClassSpec(source, (name, attrs),
                         tuple(describe(name, attrs, entry.varies, entry.reps[0], rng) for _ in range(n_texts)))
    kind = list(activities.DESCRIPTIONS)[int(rng.integers(len(activities.DESCRIPTIONS)))]
    texts = activities.DESCRIPTIONS[kind]
    return ClassSpec(source, kind, tuple(texts[int(rng.integers(len(texts)))] for _ in range(n_texts)))


def _category(value: float, levels: tuple[float, ...]) -> float:
    return float(levels[int(np.argmin([abs(np.log(value / v)) for v in levels]))])


def render_class(spec: ClassSpec, rng: np.random.Generator, rate_hz: float = 50.0,
                 domain: Domain | None = None) -> np.ndarray:
    """One performance of ``spec`` as (T, 6) float32 canonical samples at ``rate_hz``, with 0.1-1 s of
    holding still before and after (activities: 4-10 s of the activity itself)."""
    domain = universe_domain() if domain is None else domain
    lead, tail = rng.uniform(0.1, 1.0, 2)
    if spec.source == "program":
        motion = programs.program_motion(spec.key, rng)
        return render_motion(motion, rng, rate_hz, domain, lead, tail)
    if spec.source == "catalogue":
        name, attrs = spec.key
        jit = lambda v: float(v * np.exp(0.15 * rng.standard_normal()))  # noqa: E731
        attrs = Attributes(jit(attrs.size), jit(attrs.speed), attrs.reps, attrs.plane, attrs.clockwise)
        return render_performance(name, attrs, rng, rate_hz, domain, lead, tail)
    seconds = float(rng.uniform(4.0, 10.0))
    return render_trajectory(activities.activity_trajectory(spec.key, rng, seconds), seconds, rng, rate_hz, domain)
