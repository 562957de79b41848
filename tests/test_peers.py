"""The evaluation peers: DTW against a brute-force reference, DTW-1NN and MiniRocket on simple data."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from studio.recognition.peers import DTW1NN, MiniRocketPeer, dtw_distance, znorm


def brute_dtw(a: np.ndarray, b: np.ndarray, band: int) -> float:
    """Minimum over every monotone warping path inside the band, by plain recursion (tiny inputs only)."""
    n, m = len(a), len(b)
    w = max(n, m) if band < 0 else max(band, abs(n - m))

    @functools.lru_cache(maxsize=None)
    def best(i: int, j: int) -> float:
        if abs(i - j) > w:
            return math.inf
        cost = float(np.sum((a[i] - b[j]) ** 2))
        if i == 0 and j == 0:
            return cost
        options = []
        if i > 0:
            options.append(best(i - 1, j))
        if j > 0:
            options.append(best(i, j - 1))
        if i > 0 and j > 0:
            options.append(best(i - 1, j - 1))
        return cost + min(options)

    return best(n - 1, m - 1)


@pytest.mark.parametrize("seed", range(30))
def test_dtw_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, m, c = rng.integers(1, 7), rng.integers(1, 7), rng.integers(1, 4)
    a, b = rng.normal(size=(n, c)), rng.normal(size=(m, c))
    band = int(rng.integers(-1, 4))
    assert dtw_distance(a, b, band) == pytest.approx(brute_dtw(a, b, band), rel=1e-9, abs=1e-12)


def test_dtw_band_limits_warping():
    a = np.zeros((10, 1))
    a[2] = 1.0
    b = np.zeros((10, 1))
    b[7] = 1.0
    # A peak shifted by 5 samples aligns for free with a wide band, not with a narrow one.
    assert dtw_distance(a, b, -1) == pytest.approx(0.0)
    assert dtw_distance(a, b, 1) == pytest.approx(2.0)


def test_dtw_is_dependent_across_channels():
    # Channel 0 wants a shift one way, channel 1 the other: one shared path cannot serve both.
    a = np.zeros((8, 2))
    b = np.zeros((8, 2))
    a[2, 0], b[5, 0] = 1.0, 1.0
    a[5, 1], b[2, 1] = 1.0, 1.0
    independent = dtw_distance(a[:, :1], b[:, :1], -1) + dtw_distance(a[:, 1:], b[:, 1:], -1)
    assert independent == pytest.approx(0.0)
    assert dtw_distance(a, b, -1) > 0.5


def test_dtw_empty_series_is_infinitely_far():
    assert math.isinf(dtw_distance(np.zeros((0, 1)), np.zeros((3, 1)), 2))


def test_znorm_handles_flat_and_nan_channels():
    x = np.column_stack([np.arange(10.0), np.full(10, 3.0), np.full(10, np.nan)])
    z = znorm(x)
    assert np.all(np.isfinite(z))
    assert z[:, 0].mean() == pytest.approx(0.0) and z[:, 0].std() == pytest.approx(1.0)
    assert np.allclose(z[:, 1], 0.0) and np.allclose(z[:, 2], 0.0)


def _shapes(rng, n_per_class: int):
    """Three classes of 2-channel shapes at varying speed, amplitude and offset, NaN-padded."""
    series, labels = [], []
    for label, f in (("sine", lambda t: np.sin(2 * np.pi * t)), ("ramp", lambda t: t),
                     ("bump", lambda t: np.exp(-((t - 0.5) ** 2) / 0.01))):
        for _ in range(n_per_class):
            t = np.linspace(0, 1, int(rng.integers(30, 60)))
            x = np.column_stack([f(t), -f(t)]) * rng.uniform(0.5, 2) + rng.normal(0, 0.05, (len(t), 2)) + rng.normal()
            series.append(np.vstack([x, np.full((5, 2), np.nan)]))
            labels.append(label)
    return series, labels


def test_dtw_1nn_classifies_time_warped_shapes():
    rng = np.random.default_rng(0)
    train, y_train = _shapes(rng, 2)
    test, y_test = _shapes(rng, 5)
    pred = DTW1NN(band=0.2).fit(train, y_train).predict(test)
    assert np.mean(np.asarray(pred) == np.asarray(y_test)) >= 0.9


def test_raw_dtw_keeps_offsets_that_normalising_removes():
    t = np.linspace(0, 1, 30)[:, None]
    flat, tilted = np.sin(2 * np.pi * t), np.sin(2 * np.pi * t) + 1.0  # same shape, device held differently
    train, labels = [flat, tilted], ["flat", "tilted"]
    queries = [flat * 1.1, tilted * 1.1 - 0.1]
    assert DTW1NN(band=0.2, normalise=False).fit(train, labels).predict(queries) == ["flat", "tilted"]
    assert DTW1NN().fit(train, labels).distances(queries[1])[0] == pytest.approx(0.0, abs=1e-9)


def test_dtw_1nn_rejects_bad_input():
    with pytest.raises(ValueError):
        DTW1NN(band=2.0)
    with pytest.raises(ValueError):
        DTW1NN().fit([], [])
    with pytest.raises(RuntimeError):
        DTW1NN().predict([np.zeros((3, 1))])


def test_minirocket_peer_handles_variable_length_and_nan():
    rng = np.random.default_rng(1)
    train, y_train = _shapes(rng, 3)
    test, y_test = _shapes(rng, 4)
    test.append(np.zeros((4, 2)))  # shorter than any kernel: padded, still answered
    pred = MiniRocketPeer(n_kernels=84 * 4).fit(train, y_train).predict(test)
    assert len(pred) == len(test)
    assert np.mean(np.asarray(pred[:-1]) == np.asarray(y_test)) >= 0.8
