"""Descriptions of gestures: a canonical sentence, paraphrases, and compositional attribute words.

Templates are imperative sentences with optional slots: ``{size}`` (an adjective before a noun),
``{where}`` (the plane a shape is drawn in) and ``{dir}`` (sense of rotation). Attributes a template
has no slot for are added as adverbs or trailing phrases, so every sampled sentence says what the
motion actually did (small/large, slow/fast, repeated, on a table…).
"""

from __future__ import annotations

import re

import numpy as np

from studio.synth.gestures import Attributes

TEMPLATES: dict[str, tuple[str, ...]] = {
    "circle_cw": ("draw a {size}circle clockwise {where}", "trace a {size}clockwise circle {where}",
                  "move the device around in a {size}clockwise loop", "make a {size}circular motion, clockwise",
                  "spin your hand round in a {size}clockwise circle"),
    "circle_ccw": ("draw a {size}circle counter-clockwise {where}", "trace a {size}anticlockwise circle {where}",
                   "move the device around in a {size}counter-clockwise loop",
                   "make a {size}circular motion, anticlockwise", "spin your hand round in a {size}circle to the left"),
    "swipe_left": ("swipe to the left", "move your hand sideways to the left", "make a {size}swipe from right to left",
                   "sweep the device leftwards", "slide your hand over to the left"),
    "swipe_right": ("swipe to the right", "move your hand sideways to the right",
                    "make a {size}swipe from left to right", "sweep the device rightwards",
                    "slide your hand over to the right"),
    "swipe_up": ("swipe upwards", "raise your hand straight up", "make a {size}upward swipe",
                 "move the device up", "lift your hand upwards in one stroke"),
    "swipe_down": ("swipe downwards", "lower your hand straight down", "make a {size}downward swipe",
                   "move the device down", "bring your hand down in one stroke"),
    "push": ("push the device forward, away from you", "make a {size}pushing motion forwards",
             "thrust your hand straight ahead", "move the device away from your body"),
    "pull": ("pull the device back towards you", "make a {size}pulling motion towards yourself",
             "draw your hand back towards your body", "bring the device in closer to you"),
    "shake": ("shake the device from side to side", "give the device a {size}shake",
              "rattle your hand back and forth", "jiggle the device left and right"),
    "wave": ("wave hello", "raise your hand and give a {size}wave",
             "wave your hand from side to side like greeting someone", "wave goodbye"),
    "flick_up": ("flick your wrist upwards", "make a {size}upward flick", "snap the device up with your wrist",
                 "tip the front of the device up sharply"),
    "flick_down": ("flick your wrist downwards", "make a {size}downward flick", "snap the device down with your wrist",
                   "tip the front of the device down sharply"),
    "flick_left": ("flick your wrist to the left", "make a {size}flick to the left",
                   "snap the device round to the left", "turn the device sharply leftwards with your wrist"),
    "flick_right": ("flick your wrist to the right", "make a {size}flick to the right",
                    "snap the device round to the right", "turn the device sharply rightwards with your wrist"),
    "tap": ("tap the device once", "give the device a single {size}tap", "knock once on the device",
            "tap on it one time"),
    "double_tap": ("tap the device twice", "give the device a {size}double tap", "knock twice on the device",
                   "tap on it two times in a row"),
    "twist": ("twist your wrist {dir} and back", "turn the device {dir} about your forearm, then return",
              "rotate your hand {dir} like turning a doorknob", "make a {size}twist {dir} with your wrist"),
    "pick_up": ("pick the device up from the table", "lift the device up towards your face",
                "raise the device from the desk to look at it", "pick it up"),
    "letter_z": ("draw the letter Z {where}", "write a {size}Z {where}", "trace a {size}Z shape",
                 "draw a zigzag: across, diagonally down, and across again"),
    "letter_v": ("draw the letter V {where}", "write a {size}V {where}", "trace a {size}V shape",
                 "draw a line down and back up, like a V"),
    "letter_m": ("draw the letter M {where}", "write a {size}capital M {where}", "trace a {size}M shape",
                 "draw up, down to the middle, up again and down, like an M"),
    "letter_l": ("draw the letter L {where}", "write a {size}capital L {where}", "trace a {size}L shape",
                 "draw a line down and then to the right, like an L"),
    "triangle": ("draw a triangle {where}", "trace a {size}triangle {where}", "draw a {size}three-sided shape",
                 "outline a {size}triangle with the device"),
    "square": ("draw a square {where}", "trace a {size}square {where}", "draw a {size}box shape",
               "outline a {size}square with the device"),
    "figure_eight": ("draw a figure eight {where}", "trace a {size}figure 8 {where}",
                     "draw a {size}sideways eight, like an infinity sign", "make a {size}figure-of-eight motion"),
}

_WHERE = {
    "vertical": ("in the air", "in front of you", "in the air in front of you", "on an imaginary wall"),
    "horizontal": ("flat, as if on a table", "on a tabletop", "in a horizontal plane", "parallel to the floor"),
}
_DIR = {True: ("clockwise",), False: ("counter-clockwise", "anticlockwise")}
_SIZE_ADJ = {"small": ("small ", "little ", "tiny "), "large": ("large ", "big ", "wide ")}
_SIZE_PHRASE = {
    "small": (" with a small movement", ", just a little", " in a small motion"),
    "large": (" with a big movement", " in a large, sweeping motion", " with a large movement"),
}
_SIZE_PHRASE_TAP = {"small": (" lightly", " gently"), "large": (" firmly", " hard")}
_SPEED = {"fast": ("quickly", "fast", "rapidly", "briskly"), "slow": ("slowly", "at a slow pace", "gently and slowly")}
_REPS = {2: ("twice", "two times", "repeated twice"), 3: ("three times", "thrice", "repeated three times")}
_CYCLES = {"few": ("briefly", "just a couple of times"), "many": ("for a while", "many times", "vigorously")}


def size_word(size: float) -> str | None:
    """'small', 'large' or None for a size factor."""
    return "small" if size < 0.75 else "large" if size > 1.4 else None


def speed_word(speed: float) -> str | None:
    """'fast', 'slow' or None for a duration multiplier."""
    return "fast" if speed < 0.8 else "slow" if speed > 1.3 else None


def _fill(template: str, size: str, where: str, direction: str) -> str:
    text = template.replace("{size}", size).replace("{where}", where).replace("{dir}", direction)
    text = re.sub(r"\b([Aa]) ([aeiou])", r"\1n \2", text)  # "a anticlockwise" -> "an anticlockwise"
    return re.sub(r"\s+", " ", text).strip().rstrip(",")


def canonical(name: str) -> tuple[str, tuple[str, ...]]:
    """The canonical description and the paraphrases of a gesture (no attribute words; a twist's
    sense of rotation is left open)."""
    filled = [_fill(t, "", _WHERE["vertical"][0], "") for t in TEMPLATES[name]]
    return filled[0], tuple(filled[1:])


def describe(name: str, attrs: Attributes, varies: tuple[str, ...], default_reps: int,
             rng: np.random.Generator) -> str:
    """A randomly phrased description of one performance whose words match ``attrs``."""
    choice = lambda options: options[int(rng.integers(len(options)))]  # noqa: E731
    template = choice(TEMPLATES[name])
    size = size_word(attrs.size) if "size" in varies else None
    where = choice(_WHERE[attrs.plane])
    text = _fill(template, choice(_SIZE_ADJ[size]) if size and "{size}" in template else "", where,
                 choice(_DIR[attrs.clockwise]))
    if size and "{size}" not in template:
        text += choice((_SIZE_PHRASE_TAP if "tap" in name else _SIZE_PHRASE)[size])
    if "plane" in varies and attrs.plane != "vertical" and "{where}" not in template:
        text += " " + where
    if "reps" in varies and attrs.reps != default_reps:
        if name in ("shake", "wave"):
            text += " " + choice(_CYCLES["few" if attrs.reps < default_reps else "many"])
        elif attrs.reps in _REPS:
            text += (", " if rng.random() < 0.5 else " ") + choice(_REPS[attrs.reps])
    speed = speed_word(attrs.speed) if "speed" in varies else None
    if speed:
        word = choice(_SPEED[speed])
        text = f"{word} {text}" if word.endswith("ly") and rng.random() < 0.5 else f"{text}, {word}"
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:] + ("." if rng.random() < 0.5 else "")
    return text
