"""Motion energy and nucleus detection on hand-made signals with known movement."""

import numpy as np
import pytest

from studio.signals.nucleus import find_nucleus, motion_energy, token_weights

RATE = 100.0


def still(seconds: float, rng, gravity=(0.0, 0.0, 1.0)) -> np.ndarray:
    n = int(seconds * RATE)
    x = np.zeros((n, 6), np.float32)
    x[:, :3] = gravity
    return x + rng.normal(0, 0.003, x.shape).astype(np.float32)


def with_burst(rng, start_s=1.0, dur_s=0.6, total_s=3.0, gravity=(0.0, 0.0, 1.0)) -> np.ndarray:
    x = still(total_s, rng, gravity)
    s, e = int(start_s * RATE), int((start_s + dur_s) * RATE)
    t = np.arange(e - s) / RATE
    x[s:e, 3] += 300 * np.sin(2 * np.pi * t / dur_s)
    x[s:e, 0] += 0.8 * np.sin(2 * np.pi * 2 * t / dur_s)
    return x


def test_energy_shape_and_non_negative():
    x = with_burst(np.random.default_rng(0))
    e = motion_energy(x, RATE)
    assert e.shape == (x.shape[0],)
    assert np.all(e >= 0)
    assert e[120:150].mean() > 10 * e[:50].mean()


def test_nucleus_covers_the_burst():
    nuc = find_nucleus(with_burst(np.random.default_rng(1)), RATE)
    assert nuc is not None
    start, end = nuc
    assert 85 <= start <= 130 and 130 <= end <= 175


def test_idle_has_no_nucleus():
    assert find_nucleus(still(3.0, np.random.default_rng(2)), RATE) is None


def test_nucleus_independent_of_device_orientation():
    rng = np.random.default_rng(3)
    upright = find_nucleus(with_burst(rng), RATE)
    tilted = find_nucleus(with_burst(rng, gravity=(0.7, -0.5, 0.5)), RATE)
    assert upright is not None and tilted is not None
    assert abs(upright[0] - tilted[0]) <= 5 and abs(upright[1] - tilted[1]) <= 5


def test_missing_channels_and_nans_are_tolerated():
    x = with_burst(np.random.default_rng(4))
    gyro_only = x[:, 3:]
    nuc = find_nucleus(gyro_only, RATE, channels=("gyro_x", "gyro_y", "gyro_z"))
    assert nuc is not None and nuc[0] < 160 < nuc[1] + 40
    x[:, 4] = np.nan
    x[10:20, 0] = np.nan
    assert np.all(np.isfinite(motion_energy(x, RATE)))


def test_token_weights_sum_to_one_and_peak_in_the_burst():
    x = with_burst(np.random.default_rng(5))
    w = token_weights(motion_energy(x, RATE), 10)
    assert w.shape == (30,)
    assert w.sum() == pytest.approx(1.0)
    assert 10 <= int(np.argmax(w)) <= 16
    assert token_weights(np.zeros(40), 10) == pytest.approx(np.full(4, 0.25))


def test_bad_input_raises_clearly():
    with pytest.raises(ValueError):
        motion_energy(np.zeros(10), RATE)
    with pytest.raises(ValueError):
        motion_energy(np.zeros((10, 6)), 0.0)
