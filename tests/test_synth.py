"""The synthetic generator: shapes, physical units, kinematics, rates, determinism, descriptions."""

from __future__ import annotations

import numpy as np
import pytest

from studio import synth
from studio.synth import Attributes, Domain, GESTURES
from studio.synth import rotations as rot
from studio.synth.gestures import CATALOGUE
from studio.synth.text import describe

CLEAN = Domain.clean()
G = 9.80665


@pytest.mark.parametrize("name", list(GESTURES))
def test_every_gesture_renders_with_movement(name: str) -> None:
    rng = np.random.default_rng(0)
    x = synth.render_gesture(name, rng, 100.0, Domain.default())
    assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 6 and x.shape[0] > 60
    assert np.isfinite(x).all()
    clean = synth.render_gesture(name, np.random.default_rng(0), 100.0, CLEAN)
    rest = clean[:20]  # the lead: device flat and still
    np.testing.assert_allclose(rest, np.tile([0, 0, 1, 0, 0, 0], (20, 1)), atol=1e-6)
    moving = np.abs(clean - rest[0]).max(axis=0)
    assert moving[:3].max() > 0.05 or moving[3:].max() > 20.0, f"{name} barely moves: {moving}"


def test_at_least_the_agreed_gestures_exist() -> None:
    agreed = {"circle_cw", "circle_ccw", "swipe_left", "swipe_right", "swipe_up", "swipe_down", "shake",
              "flick_up", "flick_down", "tap", "twist", "push", "letter_z", "letter_v", "letter_m", "figure_eight"}
    assert agreed <= set(GESTURES) and len(GESTURES) >= 14


def test_gravity_reads_one_g_at_rest_in_any_orientation() -> None:
    means = []
    for seed in range(6):
        x = synth.render_idle(np.random.default_rng(seed), 2.0, 100.0, Domain.default(), kind="still")
        acc = x[:, :3].mean(axis=0)
        assert abs(np.linalg.norm(acc) - 1.0) < 0.06
        assert np.abs(x[:, 3:].mean(axis=0)).max() < 6.0  # bias + drift only, deg/s
        means.append(acc / np.linalg.norm(acc))
    # random device orientation: gravity shows up on different axes
    assert np.ptp(np.array(means), axis=0).max() > 0.5


def test_twist_gyro_integrates_to_the_twist_angle() -> None:
    rate = 200.0
    x = synth.render_performance("twist", Attributes(clockwise=True), np.random.default_rng(1), rate, CLEAN)
    angle = np.cumsum(x[:, 4]) / rate  # device y = forearm axis when the device lies flat in the hand
    assert angle.max() == pytest.approx(90.0, abs=0.5)
    assert abs(angle[-1]) < 0.5
    assert np.abs(x[:, [3, 5]]).max() < 1e-3
    at_peak = x[int(np.argmax(angle)), :3]  # turned 90° about y: gravity now on the device's x axis
    np.testing.assert_allclose(np.abs(at_peak), [1.0, 0.0, 0.0], atol=0.02)


def test_twist_in_a_randomly_oriented_device_still_totals_ninety_degrees() -> None:
    rate = 100.0
    domain = CLEAN.with_(orientation_deg=180.0)
    x = synth.render_performance("twist", Attributes(clockwise=False), np.random.default_rng(5), rate, domain)
    rotation = np.cumsum(x[:, 3:], axis=0) / rate  # single-axis rotation: integrate per axis
    assert np.linalg.norm(rotation, axis=1).max() == pytest.approx(90.0, abs=0.5)
    assert abs(np.linalg.norm(x[0, :3]) - 1.0) < 1e-4


def test_gravity_turns_with_the_integrated_gyro() -> None:
    """Integrating the gyroscope predicts where gravity appears in the accelerometer (flick, any mount)."""
    rate = 200.0
    domain = CLEAN.with_(orientation_deg=180.0)
    x = synth.render_performance("flick_up", Attributes(speed=1.5), np.random.default_rng(2), rate, domain)
    q = np.array([1.0, 0.0, 0.0, 0.0])
    up_body = x[0, :3].astype(np.float64)  # specific force at rest = "up" in the device frame
    worst = 0.0
    for i in range(1, x.shape[0]):
        q = rot.multiply(q, rot.from_rotvec(np.deg2rad(x[i, 3:].astype(np.float64)) / rate))
        predicted = rot.rotate_inverse(q, up_body)
        if np.linalg.norm(np.abs(x[i, 3:])) < 1.0:  # quasi-static: acc is gravity only
            worst = max(worst, float(np.linalg.norm(predicted - x[i, :3])))
    assert worst < 0.03


@pytest.mark.parametrize("plane", ["horizontal", "vertical"])
def test_clockwise_circle_reconstructs_by_double_integration(plane: str) -> None:
    """Clockwise as the person sees it: from above on a table, from behind on a wall in front."""
    rate = 200.0
    attrs = Attributes(plane=plane)
    axes, still = ([0, 1], 2) if plane == "horizontal" else ([0, 2], 1)
    for name, sign in (("circle_cw", -1.0), ("circle_ccw", 1.0)):
        x = synth.render_performance(name, attrs, np.random.default_rng(3), rate, CLEAN).astype(np.float64)
        x[:, 2] -= 1.0  # remove gravity (the device stays flat)
        assert np.abs(x[:, still]).max() < 1e-4  # no acceleration out of the drawing plane
        acc = x[:, axes] * G
        vel = np.cumsum(acc, axis=0) / rate
        pos = np.cumsum(vel, axis=0) / rate
        assert np.abs(vel[-1]).max() < 0.02  # starts and ends at rest
        extent = np.ptp(pos, axis=0)
        np.testing.assert_allclose(extent, [0.24, 0.24], rtol=0.05)  # radius 12 cm at size 1
        area = 0.5 * np.sum(pos[:-1, 0] * pos[1:, 1] - pos[1:, 0] * pos[:-1, 1])  # seen from above
        assert np.sign(area) == sign


def test_swipe_directions_show_in_the_accelerometer() -> None:
    for name, axis, sign in (("swipe_left", 0, -1), ("swipe_right", 0, 1), ("push", 1, 1), ("swipe_up", 2, 1)):
        x = synth.render_performance(name, Attributes(), np.random.default_rng(0), 100.0, CLEAN)
        a = x[:, axis] - (1.0 if axis == 2 else 0.0)
        first = int(np.argmax(np.abs(a) > 0.3 * np.abs(a).max()))
        assert np.sign(a[first]) == sign  # accelerates towards the target first
        assert abs(a.sum()) / 100.0 < 0.01  # velocity back to zero


@pytest.mark.parametrize("rate", [25.0, 50.0, 200.0])
def test_rates_scale_the_length(rate: float) -> None:
    base = synth.render_gesture("letter_z", np.random.default_rng(0), 100.0, CLEAN)
    x = synth.render_gesture("letter_z", np.random.default_rng(0), rate, CLEAN)
    assert abs(x.shape[0] - base.shape[0] * rate / 100.0) <= 1


def test_rate_randomisation_keeps_the_requested_rate() -> None:
    heavy = Domain.heavy()
    assert heavy.rate_hz == (25.0, 200.0)
    for seed in range(4):
        rng = np.random.default_rng(seed)
        x = synth.sample_unlabeled(rng, 50.0, heavy, seconds=2.0)
        assert x.shape == (100, 6) and np.isfinite(x).all()


def test_speed_and_size_change_the_motion() -> None:
    slow = synth.render_performance("circle_cw", Attributes(speed=1.5), np.random.default_rng(0), 100.0, CLEAN)
    fast = synth.render_performance("circle_cw", Attributes(speed=0.7), np.random.default_rng(0), 100.0, CLEAN)
    big = synth.render_performance("circle_cw", Attributes(size=2.0), np.random.default_rng(0), 100.0, CLEAN)
    small = synth.render_performance("circle_cw", Attributes(size=0.5), np.random.default_rng(0), 100.0, CLEAN)
    assert slow.shape[0] > fast.shape[0] + 50
    peak = lambda x: np.abs(x[:, :2]).max()  # noqa: E731
    assert peak(big) == pytest.approx(4 * peak(small), rel=0.01)  # same timing: acc scales with size


def test_determinism_under_a_seed() -> None:
    a = synth.sample_pair(np.random.default_rng(42))
    b = synth.sample_pair(np.random.default_rng(42))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1:] == b[1:]
    c = synth.render_gesture("shake", np.random.default_rng(7))
    d = synth.render_gesture("shake", np.random.default_rng(7))
    e = synth.render_gesture("shake", np.random.default_rng(8))
    np.testing.assert_array_equal(c, d)
    assert c.shape != e.shape or not np.array_equal(c, e)


def test_descriptions_and_paraphrases() -> None:
    descriptions = [spec.description for spec in GESTURES.values()]
    assert len(set(descriptions)) == len(descriptions)
    for name, spec in GESTURES.items():
        assert spec.name == name and spec.description.strip()
        assert len(spec.paraphrases) >= 3 and all(p.strip() for p in spec.paraphrases)
        assert "{" not in spec.description and "  " not in spec.description
    assert GESTURES["circle_cw"].description == "draw a circle clockwise in the air"


def test_attribute_words_match_the_attributes() -> None:
    rng = np.random.default_rng(0)
    entry = CATALOGUE["circle_cw"]
    for _ in range(20):
        text = describe("circle_cw", Attributes(size=0.5, speed=0.6, reps=2, plane="horizontal"), entry.varies,
                        entry.reps[0], rng).lower()
        assert any(w in text for w in ("small", "little", "tiny"))
        assert any(w in text for w in ("quick", "fast", "rapid", "brisk"))
        assert "twice" in text or "two times" in text
        assert any(w in text for w in ("table", "horizontal", "floor"))
        plain = describe("circle_cw", Attributes(), entry.varies, entry.reps[0], rng).lower()
        assert not any(w in plain for w in ("small", "large", "slow", "fast", "twice", "table"))
    twist = CATALOGUE["twist"]
    texts = {describe("twist", Attributes(clockwise=False), twist.varies, 1, rng).lower() for _ in range(10)}
    assert all("counter-clockwise" in t or "anticlockwise" in t for t in texts)


def test_sample_pair_labels_and_texts() -> None:
    rng = np.random.default_rng(11)
    labels = set()
    for _ in range(60):
        x, label, text = synth.sample_pair(rng, 100.0)
        assert label in GESTURES and text.strip() and "{" not in text
        assert x.shape[1] == 6 and x.dtype == np.float32 and np.isfinite(x).all()
        labels.add(label)
    assert len(labels) >= 15


def test_sample_unlabeled_and_idle() -> None:
    rng = np.random.default_rng(3)
    lengths = {synth.sample_unlabeled(rng, 100.0).shape[0] for _ in range(10)}
    assert len(lengths) > 3
    for _ in range(10):
        x = synth.sample_unlabeled(rng, 100.0, seconds=2.0)
        assert x.shape == (200, 6) and np.isfinite(x).all()
    for kind in ("still", "fidget", "walk"):
        x = synth.render_idle(rng, 3.0, 100.0, kind=kind)
        assert x.shape == (300, 6)
    walk = synth.render_idle(np.random.default_rng(0), 4.0, 100.0, CLEAN, kind="walk")
    still = synth.render_idle(np.random.default_rng(0), 4.0, 100.0, CLEAN, kind="still")
    assert walk[:, :3].std(axis=0).max() > 5 * still[:, :3].std(axis=0).max()


def test_unknown_gesture_lists_known_names() -> None:
    with pytest.raises(ValueError, match="circle_cw"):
        synth.render_gesture("moonwalk", np.random.default_rng(0))
    with pytest.raises(ValueError, match="rate"):
        synth.render_gesture("tap", np.random.default_rng(0), rate_hz=0.0)


def test_sensor_errors_and_axis_flips() -> None:
    flipped = CLEAN.with_(axis_flip_p=1.0)
    x = synth.render_idle(np.random.default_rng(0), 1.0, 100.0, flipped, kind="still")
    assert x[:, 2].mean() == pytest.approx(-1.0, abs=0.01)
    noisy = CLEAN.with_(noise_acc_g=(0.02, 0.02), bias_gyro_dps=3.0)
    y = synth.render_idle(np.random.default_rng(0), 2.0, 100.0, noisy, kind="still")
    assert 0.015 < np.std(np.diff(y[:, 0])) / np.sqrt(2) < 0.025
    assert np.abs(y[:, 3:].mean(axis=0)).max() > 0.1
