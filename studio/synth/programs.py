"""A procedural universe of movement programs, each with descriptions generated from the program itself.

A :class:`Program` is a short sequence of steps (strokes, arcs and loops in any plane, wrist rotations,
shakes, taps, holds, repetitions, arm-level moves such as raising or sweeping the arm, letters) with a
size and a pace. It is one *class*: :func:`program_motion` turns it into a hand motion with the
person-to-person variation of one performance (timing warp, size, shape and direction jitter), and
:func:`describe_program` into a sentence built from the same steps ("raise the arm, then shake it twice",
"slowly draw a small loop clockwise in front of you"). Pre-training samples thousands of programs, so the
model learns what makes two performances the same movement rather than the names of a fixed catalogue.

World frame as in :mod:`studio.synth`: x right, y forward (away from the person), z up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.synth import shapes as sh
from studio.synth.shapes import Motion

X, Y, Z = np.eye(3)
ARM_M = 0.55  # shoulder-to-hand distance for arm-level moves

DIRECTIONS: dict[str, np.ndarray] = {
    "left": -X, "right": X, "up": Z, "down": -Z, "forward": Y, "back": -Y,
    "up and to the left": (Z - X) / np.sqrt(2), "up and to the right": (Z + X) / np.sqrt(2),
    "down and to the left": (-Z - X) / np.sqrt(2), "down and to the right": (-Z + X) / np.sqrt(2),
}
PLANES = {"front": (X, Z), "flat": (X, Y), "side": (Y, Z)}  # (u, v) axes a shape is drawn along
LETTERS: dict[str, tuple[tuple[float, float], ...]] = {
    "L": ((0, 1), (0, 0), (0.6, 0)), "V": ((0, 1), (0.4, 0), (0.8, 1)), "Z": ((0, 1), (0.8, 1), (0, 0), (0.8, 0)),
    "N": ((0, 0), (0, 1), (0.7, 0), (0.7, 1)), "M": ((0, 0), (0, 1), (0.4, 0.4), (0.8, 1), (0.8, 0)),
    "W": ((0, 1), (0.2, 0), (0.4, 0.6), (0.6, 0), (0.8, 1)), "U": ((0, 1), (0, 0.2), (0.3, 0), (0.6, 0.2), (0.6, 1)),
    "7": ((0, 1), (0.7, 1), (0.2, 0)), "triangle": ((0.5, 1), (0, 0), (1, 0), (0.5, 1)),
    "square": ((0, 1), (1, 1), (1, 0), (0, 0), (0, 1)), "check mark": ((0, 0.4), (0.25, 0), (0.8, 1)),
}
ROTATIONS = {  # (axis in the hand frame, words for positive / negative sense)
    "roll": (Y, ("twist the wrist to the right", "twist the wrist to the left")),
    "pitch": (X, ("tilt the front up", "tilt the front down")),
    "yaw": (Z, ("turn the device to the left", "turn the device to the right")),
}
SHAKE_AXES = {"side to side": X, "up and down": Z, "back and forth": Y}
KINDS = ("stroke", "there_and_back", "arc", "loop", "rotate", "shake", "wobble", "tap", "hold", "raise_arm",
         "lower_arm", "sweep_arm", "side_raise", "letter", "figure_eight", "punch", "stir")
KIND_P = np.array([10, 5, 5, 8, 8, 6, 3, 5, 3, 4, 3, 4, 2, 6, 2, 3, 2], float)


@dataclass(frozen=True)
class Step:
    """One part of a program. ``arg``: direction / axis / letter name; ``sense``: +1 or -1 (clockwise,
    rotation sense); ``plane``: where a shape is drawn; ``count``: repetitions, loops, taps or cycles."""

    kind: str
    arg: str = ""
    sense: int = 1
    plane: str = "front"
    count: int = 1


@dataclass(frozen=True)
class Program:
    """A movement class: its steps, size (0.5-2, 1 = ordinary) and pace (duration multiplier)."""

    steps: tuple[Step, ...]
    size: float = 1.0
    pace: float = 1.0


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def random_step(rng: np.random.Generator, kind: str | None = None) -> Step:
    """A random step (of ``kind`` if given)."""
    kind = kind or str(rng.choice(KINDS, p=KIND_P / KIND_P.sum()))
    sense = 1 if rng.random() < 0.5 else -1
    plane = _pick(rng, ("front", "front", "flat", "side"))
    if kind in ("stroke", "there_and_back"):
        return Step(kind, _pick(rng, list(DIRECTIONS)), count=1 if rng.random() < 0.7 else int(rng.integers(2, 4)))
    if kind == "arc":
        return Step(kind, sense=sense, plane=plane)
    if kind == "loop":
        return Step(kind, sense=sense, plane=plane, count=int(rng.choice([1, 1, 2, 3])))
    if kind == "rotate":
        return Step(kind, _pick(rng, list(ROTATIONS)), sense, count=int(rng.choice([1, 1, 2])),
                    plane=_pick(rng, ("back", "stay")))
    if kind in ("shake", "wobble"):
        return Step(kind, _pick(rng, list(SHAKE_AXES)), count=int(rng.choice([3, 5, 8])))
    if kind == "tap":
        return Step(kind, _pick(rng, ("down", "forward")), count=int(rng.choice([1, 2, 3])))
    if kind in ("raise_arm", "lower_arm", "side_raise"):
        return Step(kind, count=1 if rng.random() < 0.8 else 2)
    if kind == "sweep_arm":
        return Step(kind, sense=sense)
    if kind == "letter":
        return Step(kind, _pick(rng, list(LETTERS)), plane=_pick(rng, ("front", "front", "flat")))
    if kind == "figure_eight":
        return Step(kind, plane=_pick(rng, ("front", "flat")))
    if kind == "punch":
        return Step(kind, _pick(rng, ("forward", "up", "right", "left")), count=int(rng.choice([1, 1, 2])))
    if kind == "stir":
        return Step(kind, sense=sense, count=int(rng.choice([2, 3, 4])))
    return Step("hold")


def random_program(rng: np.random.Generator, max_steps: int = 3) -> Program:
    """1-``max_steps`` steps (a hold never first or last), a size and a pace."""
    n = int(rng.choice(np.arange(1, max_steps + 1), p=_step_count_p(max_steps)))
    steps: list[Step] = []
    while len(steps) < n:
        step = random_step(rng)
        if step.kind == "hold" and (not steps or len(steps) == n - 1):
            continue
        steps.append(step)
    size = float(rng.choice([0.6, 1.0, 1.0, 1.6]))
    pace = float(rng.choice([0.7, 1.0, 1.0, 1.4]))
    return Program(tuple(steps), size, pace)


def _step_count_p(max_steps: int) -> np.ndarray:
    p = np.array([0.45, 0.35, 0.15, 0.05][:max_steps])
    return p / p.sum()


# -- motion ----------------------------------------------------------------------------------------------
def _jit(rng: np.random.Generator, amount: float) -> float:
    return float(np.clip(1.0 + amount * rng.standard_normal(), 0.5, 1.6))


def _turn(v: np.ndarray, rng: np.random.Generator, deg: float) -> np.ndarray:
    """``v`` turned by a random small angle (a person's idea of 'left' is not exact)."""
    axis = rng.standard_normal(3)
    axis /= np.linalg.norm(axis) + 1e-12
    a = np.deg2rad(deg) * rng.standard_normal()
    return v * np.cos(a) + np.cross(axis, v) * np.sin(a) + axis * (axis @ v) * (1 - np.cos(a))


def _arm(kind: str, sense: int, size: float, dur: float) -> Motion:
    """The hand on a circle about the shoulder; the device turns with the arm."""
    sweep = np.deg2rad(70.0) * min(1.3, size ** 0.5)

    def fn(t: np.ndarray):
        s = sh.min_jerk(t / dur)
        if kind in ("raise_arm", "lower_arm"):
            a0 = -np.deg2rad(60.0) if kind == "raise_arm" else np.deg2rad(10.0)
            a = a0 + (1 if kind == "raise_arm" else -1) * sweep * s
            pos = ARM_M * np.stack([0 * a, np.cos(a) - np.cos(a0), np.sin(a) - np.sin(a0)], 1)
            return pos, (a - a0)[:, None] * X
        if kind == "side_raise":
            a0 = -np.deg2rad(75.0)
            a = a0 + sweep * s
            pos = ARM_M * np.stack([np.cos(a) - np.cos(a0), 0 * a, np.sin(a) - np.sin(a0)], 1)
            return pos, -(a - a0)[:, None] * Y
        p0 = -sense * sweep / 2  # sweep_arm: sense +1 = left to right
        p = p0 + sense * sweep * s
        pos = ARM_M * np.stack([np.sin(p) - np.sin(p0), np.cos(p) - np.cos(p0), 0 * p], 1)
        return pos, -(p - p0)[:, None] * Z

    return Motion(dur, fn)


def _letter(points, plane: str, height: float, pace: float, rng, jitter: float) -> Motion:
    u, v = PLANES[plane]
    p2 = (np.asarray(points, float) + jitter * 0.6 * rng.standard_normal((len(points), 2))) * height
    p3 = p2[:, :1] * u + p2[:, 1:] * v
    lengths = np.linalg.norm(np.diff(p3, axis=0), axis=1)
    durations = pace * 0.42 * np.sqrt(np.maximum(lengths, 0.02) / 0.25) * np.array([_jit(rng, jitter) for _ in lengths])
    return sh.strokes(p3, durations, overlap=0.2)


def _loop_in(plane: str, radius: float, turns: float, dur: float, sense: int, start: float) -> Motion:
    u, v = PLANES[plane]
    c0, s0 = np.cos(start), np.sin(start)

    def fn(t: np.ndarray):
        a = start - sense * 2.0 * np.pi * turns * sh.min_jerk(t / dur)
        du, dv = radius * (np.cos(a) - c0), radius * (np.sin(a) - s0)
        return du[:, None] * u + dv[:, None] * v, np.zeros((t.shape[0], 3))

    return Motion(dur, fn)


def step_motion(step: Step, size: float, pace: float, rng: np.random.Generator, jitter: float = 0.12) -> Motion:
    """The hand motion of one step at the given size and pace, with a performance's jitter."""
    k, j = step.kind, jitter
    size, pace = size * _jit(rng, j), pace * _jit(rng, j)
    if k in ("stroke", "there_and_back", "punch"):
        d = _turn(DIRECTIONS[step.arg], rng, 12.0 * j / 0.12)
        if k == "punch":
            out = sh.line(d * 0.3 * size, 0.18 * pace)
            one = sh.sequence([out, sh.line(-d * 0.3 * size, 0.35 * pace)])
        elif k == "stroke":
            bow = np.cross(d, _turn(Y if abs(d[1]) < 0.5 else Z, rng, 30)) * 0.06 * size * rng.standard_normal() * j / 0.12
            one = sh.line(d * 0.3 * size, 0.5 * pace, bow)
        else:
            one = sh.strokes(np.stack([0 * d, d * 0.25 * size, 0 * d]), np.array([0.4, 0.4]) * pace, 0.15)
        gap = 0.12 * pace
        return sh.sequence([one] * step.count, gap) if k != "stroke" or step.count == 1 else \
            sh.sequence([one, sh.line(-d * 0.3 * size, 0.5 * pace)] * step.count, gap)
    if k == "arc":
        return _loop_in(step.plane, 0.15 * size, 0.5, 0.8 * pace, step.sense, np.pi * rng.uniform(0.9, 1.1))
    if k == "loop":
        turns = step.count
        return _loop_in(step.plane, 0.12 * size, turns, 1.1 * pace * turns ** 0.85, step.sense,
                        -np.pi / 2 + 0.3 * rng.standard_normal())
    if k == "rotate":
        axis, _ = ROTATIONS[step.arg]
        axis = _turn(axis, rng, 10.0) * step.sense
        angle = np.deg2rad(np.clip(75.0 * size, 25.0, 150.0))
        if step.plane == "stay":
            return Motion(0.45 * pace, _held(axis, angle, 0.45 * pace))
        return sh.rotation_pulse(axis, angle, 0.35 * pace, 0.1 * pace, 0.35 * pace, step.count, 0.12 * pace)
    if k in ("shake", "wobble"):
        axis = _turn(SHAKE_AXES[step.arg], rng, 10.0)
        freq = 4.5 / pace * _jit(rng, j)
        if k == "shake":
            return sh.oscillation(axis, 0.04 * size, freq, step.count, Z * 0.1 * size)
        return sh.oscillation(axis, 0.005 * size, freq * 0.8, step.count, axis * 0.5 * size)
    if k == "tap":
        d = -Z if step.arg == "down" else Y
        return sh.taps(0.003 * size, 0.012 * pace, step.count, 0.22 * pace, d)
    if k == "hold":
        return Motion(0.8 * pace, lambda t: (np.zeros((t.shape[0], 3)), np.zeros((t.shape[0], 3))))
    if k in ("raise_arm", "lower_arm", "side_raise", "sweep_arm"):
        one = _arm(k, step.sense, size, 0.9 * pace)
        if step.count > 1:
            back = _arm(k, -step.sense, size, 0.9 * pace) if k == "sweep_arm" else None
            return sh.sequence([one, back] if back else [one, _reverse(one)], 0.1 * pace)
        return one
    if k == "letter":
        return _letter(LETTERS[step.arg], step.plane, 0.25 * size, pace, rng, j)
    if k == "figure_eight":
        return sh.lemniscate(0.3 * size, 1.6 * pace, "vertical" if step.plane == "front" else "horizontal")
    if k == "stir":
        return _loop_in("flat", 0.1 * size, step.count, 1.3 * pace * step.count, step.sense, 0.0)
    raise ValueError(f"unknown step kind {k!r}")


def _held(axis: np.ndarray, angle: float, dur: float):
    def fn(t: np.ndarray):
        a = angle * sh.min_jerk(t / dur)
        return np.zeros((t.shape[0], 3)), a[:, None] * axis

    return fn


def _reverse(m: Motion) -> Motion:
    """Undo ``m`` over the same duration (e.g. lowering the arm that was raised)."""
    end = m(np.array([m.duration]))

    def fn(t: np.ndarray):
        pos, rot = m(m.duration - np.clip(t, 0.0, m.duration))
        return pos - end[0], rot - end[1]

    return Motion(m.duration, fn)


def _chain(parts: list[Motion], gaps: list[float]) -> Motion:
    """Play steps one after another, each starting from where the previous one left the hand."""
    starts, t0 = [], 0.0
    for p, g in zip(parts, gaps):
        starts.append(t0)
        t0 += p.duration + g
    duration = starts[-1] + parts[-1].duration

    def fn(t: np.ndarray):
        pos, rot = np.zeros((t.shape[0], 3)), np.zeros((t.shape[0], 3))
        for start, part in zip(starts, parts):
            p, r = part(t - start)
            pos += p
            rot += r
        return pos, rot

    return Motion(duration, fn)


def time_warped(m: Motion, amount: float, rng: np.random.Generator) -> Motion:
    """``m`` with a smooth monotone time warp (parts of the movement a little faster, others slower)."""
    if amount <= 0:
        return m
    d = m.duration
    a, b = amount * rng.uniform(-1, 1), 0.5 * amount * rng.uniform(-1, 1)

    def warp(t: np.ndarray) -> np.ndarray:
        s = np.clip(t / d, 0.0, 1.0)
        w = s + a * np.sin(np.pi * s) / np.pi * 0.9 + b * np.sin(2 * np.pi * s) / (2 * np.pi) * 0.9
        return np.where((t >= 0) & (t <= d), w * d, t)

    return Motion(d, lambda t: m(warp(t)))


def program_motion(program: Program, rng: np.random.Generator, jitter: float = 0.12, warp: float = 0.25) -> Motion:
    """One performance of ``program``: steps in order with short natural pauses, jittered and time-warped."""
    parts = [step_motion(s, program.size, program.pace, rng, jitter) for s in program.steps]
    gaps = [float(rng.uniform(0.05, 0.3)) * program.pace for _ in parts]
    return time_warped(_chain(parts, gaps), warp, rng)


# -- words -----------------------------------------------------------------------------------------------
_WHERE = {"front": ("in front of you", "in the air", "on an imaginary wall"),
          "flat": ("flat, as if on a table", "parallel to the floor", "in a horizontal plane"),
          "side": ("beside you", "at your side, front to back", "in a plane along your side")}
_COUNT = {2: ("twice", "two times"), 3: ("three times", "three times over"), 4: ("four times",), 5: ("five times",)}
_CYCLES = {3: ("briefly", "a couple of times"), 5: ("", "a few times"), 8: ("vigorously", "for a while", "many times")}
_SENSE = {1: ("clockwise",), -1: ("counter-clockwise", "anticlockwise")}


def _times(rng, n: int) -> str:
    return f" {_pick(rng, _COUNT[n])}" if n > 1 else ""


def describe_step(step: Step, rng: np.random.Generator, first: bool = True) -> str:
    """A phrase for one step; ``first`` = it opens the sentence (later steps may say 'it')."""
    k = step.kind
    obj = "the device" if first or rng.random() < 0.5 else "it"
    if k == "stroke":
        verb = _pick(rng, ("move", "slide", "swipe", "push")) if step.arg != "back" else _pick(rng, ("pull", "draw", "move"))
        if step.count > 1:
            return f"{verb} {obj} {step.arg} and back{_times(rng, step.count)}"
        return f"{verb} {obj} {step.arg}"
    if k == "there_and_back":
        return f"move {obj} {step.arg} and back again{_times(rng, step.count)}"
    if k == "punch":
        word = {"forward": "punch forward", "up": "punch upwards", "right": "jab to the right", "left": "jab to the left"}
        return word[step.arg] + _times(rng, step.count)
    if k == "arc":
        return f"draw a half circle {_pick(rng, _SENSE[step.sense])} {_pick(rng, _WHERE[step.plane])}"
    if k == "loop":
        shape = _pick(rng, ("circle", "loop"))
        many = {1: f"a {shape}", 2: f"two {shape}s", 3: f"three {shape}s"}[step.count]
        return f"draw {many} {_pick(rng, _SENSE[step.sense])} {_pick(rng, _WHERE[step.plane])}"
    if k == "rotate":
        _, words = ROTATIONS[step.arg]
        phrase = words[0 if step.sense > 0 else 1]
        tail = " and hold it there" if step.plane == "stay" else _pick(rng, (" and back", " and return"))
        return phrase + tail + (_times(rng, step.count) if step.plane != "stay" else "")
    if k == "shake":
        how = _pick(rng, _CYCLES[step.count])
        return f"shake {obj} {step.arg}" + (f" {how}" if how else "")
    if k == "wobble":
        return f"wobble {obj} {step.arg} with small quick turns"
    if k == "tap":
        where = "on the table" if step.arg == "down" else "like knocking on a door"
        if step.count == 1:
            return f"tap {obj} once {where}"
        return f"tap {obj}{_times(rng, step.count)} {where}"
    if k == "hold":
        return _pick(rng, ("hold still for a moment", "pause briefly", "keep it still for a moment"))
    if k == "raise_arm":
        return _pick(rng, ("raise your arm in front of you", "lift your arm up in front", "raise the arm")) + \
            (" and lower it again" if step.count > 1 else "")
    if k == "lower_arm":
        return _pick(rng, ("lower your arm", "bring your arm down", "drop the arm down")) + \
            (" and raise it again" if step.count > 1 else "")
    if k == "side_raise":
        return _pick(rng, ("raise your arm out to the side", "lift the arm sideways")) + \
            (" and lower it again" if step.count > 1 else "")
    if k == "sweep_arm":
        a, b = ("left", "right") if step.sense > 0 else ("right", "left")
        return f"sweep your arm from {a} to {b}" + (" and back" if step.count > 1 else "")
    if k == "letter":
        what = step.arg if step.arg in ("triangle", "square", "check mark") else f"the letter {step.arg}"
        if step.arg in ("triangle", "square", "check mark"):
            what = f"a {step.arg}"
        return f"{_pick(rng, ('draw', 'write', 'trace'))} {what} {_pick(rng, _WHERE[step.plane])}"
    if k == "figure_eight":
        return f"draw a figure eight {_pick(rng, _WHERE[step.plane])}"
    if k == "stir":
        return f"stir in slow circles {_pick(rng, _SENSE[step.sense])}" + _times(rng, step.count) \
            if step.count < 4 else f"stir round and round {_pick(rng, _SENSE[step.sense])}"
    raise ValueError(f"unknown step kind {k!r}")


def describe_program(program: Program, rng: np.random.Generator) -> str:
    """A sentence that says what the program does, step by step, with its size and pace."""
    phrases = [describe_step(s, rng, i == 0) for i, s in enumerate(program.steps)]
    glue = _pick(rng, (", then ", ", and then ", "; then ", ", after that "))
    text = phrases[0]
    for p in phrases[1:]:
        text += glue + p
    if program.size < 0.8:
        text = _pick(rng, ("with a small movement, ", "just a little: ", "in a small motion, ")) + text
    elif program.size > 1.3:
        text = _pick(rng, ("with a big movement, ", "in a large, sweeping motion, ", "broadly, ")) + text
    if program.pace < 0.85:
        text = _pick(rng, ("quickly ", "fast: ", "briskly, ")) + text
    elif program.pace > 1.2:
        text = _pick(rng, ("slowly ", "at a slow pace, ", "gently and slowly, ")) + text
    return text[0].upper() + text[1:] if rng.random() < 0.5 else text
