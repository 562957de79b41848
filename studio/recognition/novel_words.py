"""Words alone: gestures described in sentences that no template, catalogue or program generator uses.

Each class is a movement program (:mod:`studio.synth.programs`) and a sentence written by a person the
way a user would type it ("lift the phone to your ear, then lower it"). Performances are rendered by the
generator with a fixed seed; the recogniser gets only the sentences (zero-shot). This measures whether the
text side generalises beyond the generator's own phrasing; the movements themselves are synthetic.
"""

from __future__ import annotations

import numpy as np

from studio.recognition.datasets import EvalSet, pad_series
from studio.synth.programs import Program, Step, program_motion
from studio.synth.render import render_motion
from studio.signals.stream import CANONICAL_CHANNELS
from studio.synth.universe import universe_domain

NOVEL: dict[str, tuple[str, Program]] = {
    "phone_to_ear": ("lift the phone to your ear, then lower it",
                     Program((Step("raise_arm"), Step("rotate", "roll", 1, "stay"), Step("hold"), Step("lower_arm")))),
    "stir_pot": ("stir a pot in slow circles", Program((Step("stir", sense=1, count=4),), 1.0, 1.4)),
    "knock_door": ("knock on a door three times", Program((Step("tap", "forward", count=3),))),
    "pour_jug": ("pour water out of a jug and set it upright again",
                 Program((Step("rotate", "roll", 1, "stay"), Step("hold"), Step("rotate", "roll", -1, "stay")))),
    "hammer_nail": ("hammer a nail with two hard blows", Program((Step("stroke", "down", count=2),), 1.3, 0.8)),
    "throw_ball": ("throw a ball forward", Program((Step("punch", "forward"),), 1.6, 1.0)),
    "wipe_table": ("wipe a table with big sweeps from side to side",
                   Program((Step("shake", "side to side", count=3),), 2.0, 1.6)),
    "reach_shelf": ("reach up to a high shelf", Program((Step("stroke", "up"),), 1.6, 1.2)),
}


def novel_words_set(per_class: int = 20, seed: int = 2026, rate_hz: float = 100.0) -> EvalSet:
    """An :class:`EvalSet` of the :data:`NOVEL` gestures, ``per_class`` performances each (no split:
    zero-shot uses every series as a query)."""
    rng = np.random.default_rng(seed)
    domain = universe_domain().with_(rate_hz=None)
    series, labels = [], []
    for name, (_, program) in NOVEL.items():
        for _ in range(per_class):
            x = render_motion(program_motion(program, rng), rng, rate_hz, domain, *rng.uniform(0.2, 0.8, 2))
            series.append(x)
            labels.append(name)
    return EvalSet(pad_series(series, 6), np.array(labels), CANONICAL_CHANNELS,
                   rate_hz, descriptions={n: text for n, (text, _) in NOVEL.items()},
                   notes="synthetic performances of new programs, described in new words (zero-shot only)")
