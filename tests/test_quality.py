"""Quality feedback computations on hand-built embeddings (Qt-free)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.recognition import quality


def _cluster(rng, centre, n, spread):
    x = centre + spread * rng.normal(size=(n, centre.shape[0]))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_consistency_flags_the_odd_take(rng):
    centre = np.eye(16)[0]
    emb = _cluster(rng, centre, 5, 0.05)
    emb[3] = np.eye(16)[5]  # performed completely differently
    scores = quality.consistency(emb)
    assert scores.shape == (5,)
    assert np.argmin(scores) == 3 and scores[3] < 0.3
    assert np.all(np.delete(scores, 3) > 0.8)
    assert np.isnan(quality.consistency(emb[:1])).all()


def test_loo_confusion_separates_distinct_gestures_and_flags_similar_ones(rng):
    a, b = np.eye(16)[0], np.eye(16)[1]
    c = a + 0.05 * np.eye(16)[2]  # nearly the same as a
    takes = {"a": _cluster(rng, a, 4, 0.2), "b": _cluster(rng, b, 4, 0.05), "c": _cluster(rng, c, 4, 0.2)}
    labels, m = quality.loo_confusion(takes)
    assert labels == ["a", "b", "c"] and m.sum() == 12
    assert m[1, 1] == 4  # b is never confused
    assert m[0, 2] + m[2, 0] > 0  # a and c are
    pairs = quality.assess({g: list(enumerate(e)) for g, e in takes.items()}).pairs
    assert (pairs[0].a, pairs[0].b) == ("a", "c")
    assert "'a'" in pairs[0].suggestion and "'c'" in pairs[0].suggestion
    assert all({p.a, p.b} != {"a", "b"} for p in pairs)


def test_text_only_gesture_is_a_candidate_column(rng):
    takes = {"a": _cluster(rng, np.eye(8)[0], 3, 0.05), "t": np.zeros((0, 8))}
    texts = {"t": np.eye(8)[1], "a": np.eye(8)[0]}
    labels, m = quality.loo_confusion(takes, texts)
    assert labels == ["a", "t"]
    assert m[0, 0] == 3 and m[1].sum() == 0


def test_assess_builds_map_and_report(rng):
    takes = {g: [(10 * k + i, e) for i, e in enumerate(_cluster(rng, np.eye(12)[k], 3, 0.05))]
             for k, g in enumerate(["x", "y", "z"])}
    report = quality.assess(takes)
    assert report.points.shape == (9, 2)
    assert report.point_ids == [0, 1, 2, 10, 11, 12, 20, 21, 22]
    assert report.loo_accuracy == 1.0 and not report.pairs
    assert set(report.consistency) == set(report.point_ids)
    assert set(report.proto_points) == {"x", "y", "z"}
    # clusters stay apart on the map: each take is nearer its own gesture's mean point
    pts = report.points
    centres = {g: pts[[i for i, lab in enumerate(report.point_labels) if lab == g]].mean(0) for g in takes}
    for p, lab in zip(pts, report.point_labels):
        assert min(centres, key=lambda g: np.linalg.norm(p - centres[g])) == lab


def test_pca_is_deterministic_in_sign(rng):
    x = rng.normal(size=(20, 5))
    _, c1, p1 = quality.pca_2d(x)
    _, c2, p2 = quality.pca_2d(x[::-1].copy())
    assert np.allclose(np.abs(c1), np.abs(c2)) and np.allclose(c1, c2)
    assert quality.pca_2d(x[:1])[2].shape == (1, 2)


def test_scores_fuse_description_and_takes_like_the_recogniser(rng):
    from studio.recognition.sources import TEXT_PRIOR, EncoderClass, EncoderSource

    text = np.eye(8)[0]
    feat = _cluster(rng, np.eye(8)[1], 3, 0.0)  # all takes identical
    joint_q, feat_q = np.eye(8)[0], np.eye(8)[1]
    w = TEXT_PRIOR / (TEXT_PRIOR + 3)
    assert quality.score(joint_q, feat_q, feat, text) == pytest.approx(1.0)
    assert quality.score(joint_q, np.eye(8)[2], feat, text) == pytest.approx(w)  # only the description agrees
    assert quality.score(joint_q, feat_q, np.zeros((0, 8)), text) == pytest.approx(1.0)  # text only
    assert quality.score(np.eye(8)[3], feat_q, feat, None) == pytest.approx(1.0)  # takes only
    # The very score live recognition computes, on spread-out takes (mean and nearest take differ).
    takes, q = _cluster(rng, np.eye(8)[1], 4, 0.6), _cluster(rng, np.eye(8)[1], 1, 0.6)[0]
    unit = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
    live = EncoderSource.score((q[None], q[None]), EncoderClass(text, unit(takes), unit(takes)))[0]
    assert quality.score(q, q, takes, text) == pytest.approx(float(live), abs=1e-9)


def test_takes_below_the_live_threshold_count_as_not_recognised(rng):
    takes = {g: [(10 * k + i, e) for i, e in enumerate(_cluster(rng, np.eye(8)[k], 3, 0.05))]
             for k, g in enumerate(["x", "y"])}
    closed = quality.assess(takes)
    assert closed.loo_accuracy == 1.0 and closed.confusion.shape == (2, 2)
    strict = quality.assess(takes, thresholds={"x": 2.0, "y": -1.0})  # no score reaches 2: x is never recognised
    assert strict.confusion.shape == (2, 3)
    assert strict.confusion[0].tolist() == [0, 0, 3] and strict.confusion[1].tolist() == [0, 3, 0]
    assert strict.not_recognised == 3 and strict.loo_accuracy == pytest.approx(0.5)


def test_live_recogniser_verdicts_decide_the_confusion_matrix(rng):
    from studio.recognition.recogniser import TakeVerdict

    takes = {g: [(10 * k + i, e) for i, e in enumerate(_cluster(rng, np.eye(8)[k], 3, 0.05))]
             for k, g in enumerate(["x", "y"])}
    verdicts = [TakeVerdict("x", 0, "x", "x", 0.9), TakeVerdict("x", 1, "y", "y", 0.7),
                TakeVerdict("x", 2, "x", None, 0.1), TakeVerdict("y", 0, "y", "y", 0.8),
                TakeVerdict("gone", 0, "x", "x", 0.9)]  # a gesture the panel does not show is ignored
    report = quality.assess(takes, verdicts=verdicts)
    assert report.confusion.tolist() == [[1, 1, 1], [0, 1, 0]]
    assert report.loo_accuracy == pytest.approx(0.5) and report.not_recognised == 1
    assert [(p.a, p.b, p.confusions) for p in report.pairs] == [("x", "y", 1)]


def test_joint_and_feature_spaces_can_differ(rng):
    # descriptions live in an 8-d joint space, takes are compared in a 5-d feature space
    takes = {g: [(10 * k + i, np.eye(8)[k], f) for i, f in enumerate(_cluster(rng, np.eye(5)[k], 3, 0.05))]
             for k, g in enumerate(["x", "y"])}
    texts = {"x": np.eye(8)[0], "y": np.eye(8)[1], "z": np.eye(8)[2]}
    takes["z"] = []
    report = quality.assess(takes, texts)
    assert report.labels == ["x", "y", "z"] and report.loo_accuracy == 1.0
    assert report.points.shape == (6, 2) and set(report.proto_points) == {"x", "y"}


def test_tradeoff_counts_missed_takes_and_false_triggers_along_the_slider():
    from studio.recognition.quality import tradeoff
    from studio.recognition.recogniser import TakeVerdict

    verdicts = [TakeVerdict("a", 0, "a", "a", 0.9), TakeVerdict("a", 1, "a", None, 0.3),
                TakeVerdict("b", 0, "a", "a", 0.8), TakeVerdict("b", 1, "b", "b", 0.6)]
    curve = tradeoff(verdicts, np.array([-0.5, 0.1, 0.45, 0.7]), 100.0, sensitivities=[0.0, 0.5, 0.8, 1.0])
    assert curve == [(0.0, 100.0, 0.0), (0.5, 50.0, 25.0), (0.8, 25.0, 50.0), (1.0, 25.0, 75.0)]
    assert tradeoff(verdicts, np.array([0.1]), None) == [] and tradeoff([], np.array([0.1]), 10.0) == []
