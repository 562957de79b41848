"""How an evaluation draws its train/test parts and its labelled takes; one seeded ``rng`` per draw.

Every method in a run is given the indices drawn here, so all see exactly the same labelled takes.
"""

from __future__ import annotations

import numpy as np

from studio.recognition.datasets import EvalSet

TEST_FRACTION = 0.3  # of the subjects (or of each class) held out when the set has no split


def train_test(data: EvalSet, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the train and test parts.

    The set's own ``split`` wins. Otherwise, with ``subject``, whole subjects are held out (test on
    people never seen in training); otherwise a stratified random 70/30 split per class.
    """
    n = len(data.y)
    if data.split is not None:
        return np.nonzero(data.split == "train")[0], np.nonzero(data.split == "test")[0]
    if data.subject is not None:
        subjects = np.unique(data.subject)
        if len(subjects) < 2:
            raise ValueError("a subject-disjoint split needs at least two subjects")
        n_test = min(len(subjects) - 1, max(1, int(round(TEST_FRACTION * len(subjects)))))
        held_out = rng.choice(subjects, size=n_test, replace=False)
        is_test = np.isin(data.subject, held_out)
        return np.nonzero(~is_test)[0], np.nonzero(is_test)[0]
    test = []
    for label in np.unique(data.y):
        members = rng.permutation(np.nonzero(data.y == label)[0])
        if len(members) >= 2:
            test.extend(members[: max(1, int(round(TEST_FRACTION * len(members))))])
    is_test = np.zeros(n, bool)
    is_test[np.asarray(test, int)] = True
    return np.nonzero(~is_test)[0], np.nonzero(is_test)[0]


def k_shot(y: np.ndarray, train: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` train indices per class (all of a class's takes where it has fewer than ``k``)."""
    if k < 0:
        raise ValueError("k must be >= 0")
    chosen = []
    for label in np.unique(y[train]):
        members = train[y[train] == label]
        chosen.extend(rng.permutation(members)[:k])
    return np.sort(np.asarray(chosen, int))


def label_fraction(
    y: np.ndarray, train: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified: ``fraction`` of each class's train takes labelled (at least one); the rest unlabeled."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError("label fraction must be in (0, 1]")
    labelled = []
    for label in np.unique(y[train]):
        members = rng.permutation(train[y[train] == label])
        labelled.extend(members[: max(1, int(round(fraction * len(members))))])
    labelled = np.sort(np.asarray(labelled, int))
    return labelled, np.setdiff1d(train, labelled)


def tuning_set(data: EvalSet) -> EvalSet:
    """The set's train part alone, without its split: tuning draws enrolment and queries from it, so the
    test part is never looked at (``studio evaluate --tune``)."""
    if data.split is None:
        return data
    keep = data.split == "train"
    return EvalSet(data.X[keep], data.y[keep], data.channels, data.rate_hz, None,
                   None if data.subject is None else data.subject[keep], data.descriptions,
                   data.notes + " [tuning: train part only]")
