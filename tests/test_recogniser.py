"""The recogniser on the shipped weights: zero-shot classes, few-shot takes, rejection, refinement."""

import numpy as np
import pytest
import torch

from studio import synth
from studio.model import load_model
from studio.recognition.recogniser import Recogniser

torch.set_num_threads(1)
RATE = 100.0


@pytest.fixture(scope="module")
def model():
    return load_model()


def takes(name, n, seed):
    rng = np.random.default_rng(seed)
    return [synth.render_gesture(name, rng, RATE) for _ in range(n)]


def idle(n, seed, seconds=3.0):
    rng = np.random.default_rng(seed)
    return [synth.render_idle(rng, seconds, RATE) for _ in range(n)]


def test_zero_shot_class_from_text_only(model):
    rec = Recogniser(model)
    rec.set_class("circle", synth.GESTURES["circle_cw"].description, [])
    assert rec.classes == ["circle"]
    assert rec.class_info("circle")["from_text_only"] and rec.class_info("circle")["n_takes"] == 0
    assert set(rec.scores(takes("circle_cw", 1, 0)[0], RATE)) == {"circle"}


def test_adding_a_class_changes_predictions(model):
    rec = Recogniser(model)
    rec.set_class("circle", "draw a circle in the air", takes("circle_cw", 3, 1), RATE)
    queries = takes("shake", 6, 2)
    before = [max(rec.scores(q, RATE), key=rec.scores(q, RATE).get) for q in queries]
    assert set(before) == {"circle"}
    rec.set_class("shake", "shake the device quickly", takes("shake", 3, 3), RATE)
    after = [max(s, key=s.get) for s in (rec.scores(q, RATE) for q in queries)]
    assert after.count("shake") >= 5
    rec.remove_class("shake")
    assert rec.classes == ["circle"]


def test_idle_motion_is_rejected_after_calibration(model):
    rec = Recogniser(model)
    # fixed seeds: hash(name) changes from run to run (PYTHONHASHSEED), and with it the takes
    for seed, name in enumerate(("circle_cw", "shake", "swipe_left")):
        rec.set_class(name, synth.GESTURES[name].description, takes(name, 5, seed), RATE)
    rec.calibrate(idle(30, 4), RATE)
    idle_preds = [rec.predict(w, RATE) for w in idle(20, 5)]
    assert sum(p.rejected for p in idle_preds) >= 16
    assert all(p.label is None for p in idle_preds if p.rejected)
    gesture_preds = [rec.predict(w, RATE) for name in ("circle_cw", "shake", "swipe_left") for w in takes(name, 4, 6)]
    assert sum(not p.rejected for p in gesture_preds) >= 6


def test_sensitivity_moves_the_threshold(model):
    rec = Recogniser(model)
    rec.set_class("shake", "shake it", takes("shake", 4, 7), RATE)
    rec.calibrate(idle(10, 8), RATE)
    rec.sensitivity = 0.0
    strict = rec.class_info("shake")["threshold"]
    rec.sensitivity = 1.0
    loose = rec.class_info("shake")["threshold"]
    assert loose < strict
    rec.sensitivity = 7.0
    assert rec.sensitivity == 1.0


def test_refine_fine_tunes_the_encoder_reports_progress_and_can_be_cancelled(model):
    from studio.model.finetune import FinetuneConfig

    rec = Recogniser(model)
    rec.set_class("circle", "draw a circle", takes("circle_cw", 4, 9), RATE)
    rec.set_class("twist", "twist the wrist", takes("twist", 4, 10), RATE)
    query = takes("twist", 1, 11)[0]
    before = rec.similarities(query, RATE)
    assert rec.refine(should_stop=lambda: True) is False and rec.last_refine["reason"] == "cancelled"
    assert rec.similarities(query, RATE) == pytest.approx(before) and not rec.refined
    progress = []
    kept = rec.refine(config=FinetuneConfig(steps=6, views=1), on_progress=progress.append)
    info = rec.last_refine
    assert {"held_out_before", "held_out_after"} <= set(info)
    assert kept == (info["held_out_after"] >= info["held_out_before"]) == rec.refined
    assert progress[-1] == pytest.approx(1.0 if kept else 0.5)
    if kept:  # the encoder changed: the takes and the query are embedded by the fine-tuned copy
        assert rec.similarities(query, RATE) != pytest.approx(before)
        assert rec._encoder.model.net is not model.net
        rec.reset_refinement()
    assert not rec.refined and rec.similarities(query, RATE) == pytest.approx(before, abs=1e-5)


def test_refine_needs_something_to_learn(model):
    rec = Recogniser(model)
    rec.set_class("circle", "draw a circle", takes("circle_cw", 1, 21), RATE)
    rec.set_class("shake", "shake it", [], RATE)
    assert rec.refine() is False and "two gestures" in rec.last_refine["reason"]


def test_bad_classes_are_refused(model):
    rec = Recogniser(model)
    with pytest.raises(ValueError):
        rec.set_class("  ", "text", [])
    with pytest.raises(ValueError):
        rec.set_class("empty", "", [])
    assert rec.predict(idle(1, 12)[0], RATE).rejected  # no classes: nothing to recognise
    rec.set_class("shake", "shake it", [])
    assert rec.predict(np.full((100, 6), np.nan, np.float32), RATE).rejected  # a stream gap
    rec.set_class("broken", "text", [np.full((50, 6), np.nan, np.float32)])  # skipped, not raised (issue 13)
    assert rec.class_info("broken")["n_takes"] == 0 and "broken" in rec.notices[-1]


def test_acc_only_devices_work(model):
    rec = Recogniser(model)
    acc = ("acc_x", "acc_y", "acc_z")
    rec.set_class("circle", "draw a circle", [t[:, :3] for t in takes("circle_cw", 3, 13)], RATE, channels=acc)
    rec.set_class("shake", "shake it", [t[:, :3] for t in takes("shake", 3, 14)], RATE, channels=acc)
    preds = [rec.predict(q[:, :3], RATE, channels=acc) for q in takes("shake", 3, 15)]
    assert all(p.scores for p in preds)
    assert sum(max(p.scores, key=p.scores.get) == "shake" for p in preds) >= 2


def test_augmentations_keep_shape_units_and_missing_channels():
    from studio.model.augment import DEFAULT_AUGMENTS, Noise, Rotate, Scale, TimeWarp, augment_take

    rng = np.random.default_rng(16)
    x = takes("twist", 1, 17)[0]
    r = Rotate(max_deg=30.0)(x, rng)
    np.testing.assert_allclose(np.linalg.norm(r[:, :3], axis=1), np.linalg.norm(x[:, :3], axis=1), rtol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(r[:, 3:], axis=1), np.linalg.norm(x[:, 3:], axis=1), rtol=1e-4)
    assert TimeWarp(1.25, 1.25)(x, rng).shape[0] == round(x.shape[0] / 1.25)
    assert Scale()(x, rng).shape == x.shape and Noise()(x, rng).shape == x.shape
    missing = x.copy()
    missing[:, 4] = np.nan
    out = augment_take(missing, rng, DEFAULT_AUGMENTS)
    assert np.isnan(out[:, 4]).all() and np.isfinite(np.delete(out, 4, axis=1)).all()


def test_encoder_score_blends_text_class_mean_and_nearest_take(model):
    from studio.recognition.sources import MEAN_WEIGHT, TEXT_PRIOR

    rec = Recogniser(model, sources=("encoder",))
    mixed = takes("circle_cw", 2, 18) + takes("shake", 1, 19)  # one class performed two ways
    text = "draw a circle or shake"
    rec.set_class("mixed", text, mixed, RATE)
    rec.set_class("twist", "twist the wrist", takes("twist", 2, 22), RATE)
    query = takes("shake", 1, 20)[0]
    joint, feat = model.embed_features([query], rate_hz=RATE)
    take_joint, take_feat = model.embed_features(mixed, rate_hz=RATE)
    text_emb = model.embed_text([text])[0]

    def score(j, f, tf):
        proto = tf.mean(0) / np.linalg.norm(tf.mean(0))
        take = MEAN_WEIGHT * float(f @ proto) + (1 - MEAN_WEIGHT) * float((tf @ f).max())
        w = TEXT_PRIOR / (TEXT_PRIOR + len(tf))
        return w * float(j @ text_emb) + (1 - w) * take

    names, scores, _ = rec._score_all([query], RATE, rec._classes["mixed"].channels)
    assert scores["encoder"][0, names.index("mixed")] == pytest.approx(score(joint[0], feat[0], take_feat), abs=1e-4)
    loo = [score(take_joint[i], take_feat[i], np.delete(take_feat, i, 0)) for i in range(3)]
    assert rec.class_info("mixed")["pos"]["encoder"] == pytest.approx(float(np.percentile(loo, 10)), abs=1e-4)


def test_fusion_ranks_by_weighted_z_scores_and_rejects_by_evidence(model):
    rec = Recogniser(model)
    for seed, name in enumerate(("circle_cw", "shake", "swipe_left")):
        rec.set_class(name, synth.GESTURES[name].description, takes(name, 3, 30 + seed), RATE)
    rec.calibrate(idle(10, 33), RATE)
    query = takes("shake", 1, 34)[0]
    names, scores, fused = rec._score_all([query], RATE, rec._classes["shake"].channels)
    ranks = rec._rank(scores, rec._embed([query], RATE, rec._classes["shake"].channels)[1])
    expected = sum(rec.weights[s] * (v[0] - v[0].mean()) / np.sqrt(v[0].var() + 1e-6) for s, v in ranks.items())
    np.testing.assert_allclose(fused[0], expected, atol=1e-5)
    assert set(rec.weights) == {"encoder", "kernel"} and rec.loo_accuracy  # 3 takes each: weights from LOO
    best = names[int(np.argmax(fused[0]))]
    p = rec.predict(query, RATE)
    c = rec._classes[best]
    levels = {s: (c.pos[s], rec._neg[best][s]) for s in scores}
    used = {s: lv for s, lv in levels.items() if lv[0] - lv[1] >= 0.05} or levels  # sources that separate
    evidence = sum(rec.weights[s] * (scores[s][0, names.index(best)] - neg) / max(pos - neg, 0.05)
                   for s, (pos, neg) in used.items()) / sum(rec.weights[s] for s in used)
    assert p.similarity == pytest.approx(evidence, abs=1e-5) and p.threshold == pytest.approx(0.5)
    assert p.rejected == (evidence < 0.5) and (p.label is None) == p.rejected


def test_kernel_refits_only_when_the_takes_double(model):
    rec = Recogniser(model)
    rec.set_class("shake", "shake it", takes("shake", 2, 40), RATE)
    rec.class_info("shake")
    assert rec._kernel.fitted_on == 2
    rec.set_class("circle", "draw a circle", takes("circle_cw", 1, 41), RATE)
    rec.class_info("circle")
    assert rec._kernel.fitted_on == 2  # 3 takes: the new one is transformed with the kernels as they are
    rec.set_class("twist", "twist", takes("twist", 1, 42), RATE)
    rec.class_info("twist")
    assert rec._kernel.fitted_on == 4  # doubled: refitted on every take


def test_unusable_takes_are_skipped_with_a_notice(model):
    rec = Recogniser(model)
    good = takes("wave", 3, 41)
    nan = np.full_like(good[0], np.nan)
    three = good[0][:, :3]
    short = good[0][:1]
    rec.set_class("wave", "wave the hand left and right", [*good, nan, three, short], RATE)
    rec.set_class("shake", "", [nan], RATE)  # nothing usable: falls back to its name
    assert rec.class_info("wave")["n_takes"] == 3
    assert len(rec.notices) == 4 and all("skipped" in n for n in rec.notices)
    assert "wave" in rec.notices[0] and "finite" in rec.notices[0]
    p = rec.predict(takes("wave", 1, 42)[0], RATE)
    assert p.label in ("wave", "shake") or p.rejected


def test_take_rates_unknown_are_usable_absurd_ones_are_not():
    from studio.recognition.recogniser import unusable_take
    from studio.signals.stream import CANONICAL_CHANNELS

    x = np.zeros((50, 6), np.float32)
    assert unusable_take(x, 0.0, CANONICAL_CHANNELS) == ""  # unknown rate: the model's rate is assumed
    assert "rate" in unusable_take(x, 1e-7, CANONICAL_CHANNELS)
    assert "rate" in unusable_take(x, float("nan"), CANONICAL_CHANNELS)
