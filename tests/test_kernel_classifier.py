"""KernelClassifier: ridge equals scikit-learn's, add_take, similarities for rejection, few-shot accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from studio.recognition.kernel_classifier import DECISIONS, KernelClassifier, KernelClassifierConfig
from studio.recognition.kernels import KernelConfig

SMALL = KernelConfig(n_features=84 * 6)


def gesture(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A take of one of four movement shapes (acc in g, gyro in deg/s), with person-to-person variation."""
    n = int(rng.integers(40, 90))
    t = np.linspace(0, 1, n)[:, None]
    amp, phase = rng.uniform(0.8, 1.2), rng.uniform(-0.2, 0.2)
    shapes = {
        "circle": np.hstack([np.sin(2 * np.pi * t + phase), np.cos(2 * np.pi * t + phase), 0 * t]),
        "shake": np.hstack([np.sin(8 * np.pi * t), 0 * t, 0 * t]),
        "lift": np.hstack([0 * t, 0 * t, np.sin(np.pi * t)]),
        "flick": np.hstack([np.exp(-((t - 0.5) / 0.05) ** 2), 0 * t, -np.exp(-((t - 0.5) / 0.05) ** 2)]),
    }
    acc = amp * shapes[kind] + [0, 0, 1] + rng.normal(0, 0.05, (n, 3))
    gyro = 150 * np.gradient(acc, axis=0) * n / 10 + rng.normal(0, 2, (n, 3))
    return np.hstack([acc, gyro]).astype(np.float32)


def takes_of(kinds: list[str], per_class: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    rng = np.random.default_rng(seed)
    takes = [gesture(k, rng) for k in kinds for _ in range(per_class)]
    return takes, [k for k in kinds for _ in range(per_class)]


KINDS = ["circle", "shake", "lift", "flick"]


@pytest.mark.parametrize("decision", DECISIONS)
@pytest.mark.parametrize("shots", [1, 3])
def test_few_shot_accuracy_on_distinct_movements(decision, shots):
    takes, labels = takes_of(KINDS, shots, seed=shots)
    clf = KernelClassifier(KernelClassifierConfig(features=SMALL, decision=decision)).fit(takes, labels)
    queries, truth = takes_of(KINDS, 10, seed=100)
    accuracy = np.mean(np.asarray(clf.predict(queries)) == np.asarray(truth))
    assert accuracy >= 0.9, accuracy


def test_ridge_equals_scikit_learn():
    from sklearn.linear_model import RidgeClassifier, RidgeClassifierCV
    from sklearn.preprocessing import StandardScaler

    takes, labels = takes_of(KINDS, 5, seed=7)
    clf = KernelClassifier(KernelClassifierConfig(features=SMALL)).fit(takes, labels)
    z = clf.transform(takes)
    scaler = StandardScaler(with_mean=False).fit(z)
    ridge = RidgeClassifier(alpha=clf.alpha).fit(scaler.transform(z), labels)
    queries, _ = takes_of(KINDS, 3, seed=8)
    zq = scaler.transform(clf.transform(queries))
    order = [list(ridge.classes_).index(c) for c in clf.classes]
    assert np.allclose(clf.decision_scores(queries), ridge.decision_function(zq)[:, order], atol=1e-4)
    chosen = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)).fit(scaler.transform(z), labels).alpha_
    assert clf.alpha == pytest.approx(chosen)


def test_add_take_equals_solving_on_all_takes():
    from sklearn.linear_model import RidgeClassifier
    from sklearn.preprocessing import StandardScaler

    takes, labels = takes_of(KINDS[:3], 3, seed=9)
    extra, extra_labels = takes_of(["flick", "circle"], 1, seed=10)
    clf = KernelClassifier(KernelClassifierConfig(features=SMALL)).fit(takes, labels)
    biases = clf.features.biases.copy()
    for t, lab in zip(extra, extra_labels):
        clf.add_take(t, lab)
    assert clf.classes == ["circle", "shake", "lift", "flick"] and clf.n_takes == 11
    assert np.array_equal(clf.features.biases, biases)  # the kernels stay as fitted
    z = clf.transform(takes + extra)
    scaler = StandardScaler(with_mean=False).fit(z)
    ridge = RidgeClassifier(alpha=clf.alpha).fit(scaler.transform(z), labels + extra_labels)
    order = [list(ridge.classes_).index(c) for c in clf.classes]
    assert np.allclose(clf.decision_from_features(z), ridge.decision_function(scaler.transform(z))[:, order],
                       atol=1e-4)
    clf.remove_class("flick")
    assert clf.classes == ["circle", "shake", "lift"] and clf.n_takes == 10
    with pytest.raises(KeyError):
        clf.remove_class("flick")


def test_similarities_give_an_absolute_score_even_for_one_class():
    takes, labels = takes_of(["circle"], 1, seed=11)
    clf = KernelClassifier(KernelClassifierConfig(features=SMALL)).fit(takes, labels)
    own, _ = takes_of(["circle"], 6, seed=12)
    other, _ = takes_of(["shake", "lift", "flick"], 2, seed=13)
    centroid_own, nearest_own = clf.similarities(own)
    centroid_other, _ = clf.similarities(other)
    assert centroid_own.shape == (6, 1) and np.allclose(centroid_own, nearest_own)  # one take: mean = nearest
    assert centroid_own.min() > centroid_other.max()
    assert np.all(clf.decision_scores(own) == 1.0)  # ridge has nothing to compare with
    # the similarity space does not move when other classes arrive
    before = clf.similarities(own)[0][:, 0]
    for t, lab in zip(*takes_of(["shake", "lift"], 2, seed=14)):
        clf.add_take(t, lab)
    assert np.allclose(clf.similarities(own)[0][:, 0], before)


def test_bad_use_is_refused_in_words():
    clf = KernelClassifier(KernelClassifierConfig(features=SMALL))
    with pytest.raises(RuntimeError, match="before any take"):
        clf.decision_scores([np.zeros((20, 6))])
    with pytest.raises(ValueError, match="one label per take"):
        clf.fit([np.zeros((20, 6))], ["a", "b"])
    with pytest.raises(ValueError, match="decision must be one of"):
        KernelClassifierConfig(decision="vote")
    clf.add_take(np.random.default_rng(0).normal(size=(30, 6)), "wave")  # the first take fits the kernels
    assert clf.classes == ["wave"] and clf.predict([np.zeros((25, 6))]) == ["wave"]
    with pytest.raises(ValueError, match="has 3 channels"):
        clf.add_take(np.zeros((30, 3)), "wave")
    assert clf.n_takes == 1  # a refused take leaves nothing behind
