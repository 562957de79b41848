"""MiniRocket features: parity with aeon, a brute-force reference for variable lengths, storage, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio.recognition import kernels
from studio.recognition.datasets import load_npz
from studio.recognition.kernels import WEIGHTS, KernelConfig, MiniRocketFeatures, fit_dilations

SAMPLE_SETS = sorted((Path(__file__).resolve().parent.parent / "resources" / "sample_sets").glob("*.npz"))


def grid(a, step: float = 1 / 16) -> np.ndarray:
    """Values on a dyadic grid (as sensor counts are): every float32 sum of them below 2^24 steps is exact,
    so results cannot depend on the order of additions."""
    return (np.round(np.asarray(a) / step) * step).astype(np.float32)


def combos(f: MiniRocketFeatures) -> list[np.ndarray]:
    starts = np.concatenate([[0], np.cumsum(f.n_channels_per_combination)])
    return [f.channel_indices[starts[i]: starts[i + 1]] for i in range(len(starts) - 1)]


def exact_outputs(f: MiniRocketFeatures, x: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Float64 convolution outputs (84, T) of dilation ``j`` on x (T, C), straight from the definition, and a
    bound (84, T) on the size of the terms summed (for float32 rounding)."""
    x = np.asarray(x, np.float64) / f.channel_scale
    t_len, d = len(x), int(f.dilations[j])
    mask = f.channel_masks()[j * 84: (j + 1) * 84].astype(np.float64)  # (84, C)
    z, size_z = x @ mask.T, np.abs(x) @ mask.T  # (T, 84): each kernel's channel sum
    zp, sp = np.pad(z, ((4 * d, 4 * d), (0, 0))), np.pad(size_z, ((4 * d, 4 * d), (0, 0)))
    out, size = np.zeros((t_len, 84)), np.zeros((t_len, 84))
    for tap in range(9):
        out += WEIGHTS[:, tap] * zp[tap * d: tap * d + t_len]
        size += np.abs(WEIGHTS[:, tap]) * (sp[tap * d: tap * d + t_len] + size_z)
    return out.T, size.T


def reference(f: MiniRocketFeatures, x: np.ndarray) -> np.ndarray:
    """The documented semantics by plain loops: PPV over the series' own samples; "valid" kernels (odd
    dilation + kernel index) on positions whose span fits, or all samples when none does."""
    feats, fi = [], 0
    for j, d in enumerate(f.dilations):
        out, _ = exact_outputs(f, x, j)
        half = 4 * int(d)
        for k in range(84):
            region = out[k, half: len(x) - half] if (j + k) % 2 == 1 and len(x) > 2 * half else out[k]
            for _ in range(int(f.n_features_per_dilation[j])):
                feats.append(np.mean(region > f.biases[fi]))
                fi += 1
    return np.array(feats)


def with_biases(f: MiniRocketFeatures, biases: np.ndarray) -> MiniRocketFeatures:
    arrays = f.to_arrays()
    arrays["biases"] = biases
    return MiniRocketFeatures.from_arrays(arrays)


def test_variable_lengths_match_the_brute_force_definition():
    rng = np.random.default_rng(0)
    lengths = [1, 5, 9, 17, 33, 60, 130]
    series = [grid(rng.normal(0, 1.5, (n, 3))) for n in lengths]
    f = MiniRocketFeatures(KernelConfig(n_features=84 * 5)).fit(series, seed=3)
    assert f.reference_length == 130 and f.dilations.max() == 16  # (130 - 1) / 8
    # biases half-way between grid points: no output ever equals one, so the counts are exact
    f = with_biases(f, grid(f.biases) + np.float32(1 / 32))
    ours = f.transform(series)
    for x, row in zip(series, ours):
        assert np.array_equal(row, reference(f, x).astype(np.float32))


def test_padding_batching_and_chunking_do_not_change_features(monkeypatch):
    rng = np.random.default_rng(1)
    series = [rng.normal(size=(int(n), 4)).astype(np.float32) for n in rng.integers(3, 200, 25)]
    f = MiniRocketFeatures(KernelConfig(n_features=84 * 6)).fit(series)
    alone = np.concatenate([f.transform([s]) for s in series])
    assert np.array_equal(f.transform(series), alone)
    padded = [np.vstack([s, np.full((17, 4), np.nan)]) for s in series]  # NaN rows at the end: padding
    assert np.array_equal(f.transform(padded), alone)
    monkeypatch.setattr(kernels, "CHUNK_COLUMNS", 64)  # many small chunks
    assert np.array_equal(f.transform(series), alone)


def test_absent_channel_and_missing_samples():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(80, 3)).astype(np.float32)
    f = MiniRocketFeatures(KernelConfig(n_features=84 * 4)).fit([x])
    absent = x.copy()
    absent[:, 1] = np.nan
    zero = x.copy()
    zero[:, 1] = 0.0
    assert np.array_equal(f.transform([absent]), f.transform([zero]))  # an absent channel drops out of the sums
    gap = x.copy()
    gap[10:13, 0] = np.nan
    held = x.copy()
    held[10:13, 0] = x[9, 0]  # a missing sample holds the channel's last value
    assert np.array_equal(f.transform([gap]), f.transform([held]))


def test_a_device_at_rest_gives_exact_zeros():
    """Constant stretches convolve to exactly 0 (the weights sum to 0). Summed as -9x + 3x + 3x + 3x in float32
    (aeon's order) the value below leaves a residue whose sign the PPV would count."""
    v = np.float32(0.98731)
    residue = np.float32(np.float32(np.float32(np.float32(-v * np.float32(9)) + 3 * v) + 3 * v) + 3 * v)
    assert residue != 0.0
    x = np.full((60, 2), [v, -211.337], np.float32)
    f = MiniRocketFeatures(KernelConfig(n_features=84 * 3)).fit([x])
    for j, out in enumerate(f._convolve([x], np.array([60]))):
        half = 4 * int(f.dilations[j])
        assert np.all(out[0, half: 60 - half, :84] == 0.0)


@pytest.mark.parametrize("length", [9, 10, 50, 400, 4000])
@pytest.mark.parametrize("n_features", [84, 1000, 10_000])
def test_dilations_as_aeon(length, n_features):
    from aeon.transformations.collection.convolution_based._minirocket import _fit_dilations

    from aeon.transformations.collection.convolution_based._minirocket import _quantiles

    ours = fit_dilations(length, n_features, 32)
    theirs = _fit_dilations(length, 84 * max(1, n_features // 84), 32)
    assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])
    assert np.array_equal(kernels.quantiles(n_features), _quantiles(n_features))


def test_fit_structure_and_biases_from_quantiles():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 6)).astype(np.float32)
    f = MiniRocketFeatures(KernelConfig(n_features=84 * 4)).fit([x], seed=5)
    assert f.n_features_out == 336 and len(f.biases) == 336
    assert f.n_channels_per_combination.min() >= 1 and f.n_channels_per_combination.max() <= 6
    assert all(len(set(c.tolist())) == len(c) for c in combos(f))
    q = f.feature_quantiles
    fi = 0
    for j in range(len(f.dilations)):
        out, size = exact_outputs(f, x, j)
        for k in range(84):
            for _ in range(int(f.n_features_per_dilation[j])):  # one fit series: every bias comes from it
                assert f.biases[fi] == pytest.approx(np.quantile(out[k], q[fi]), abs=1e-5 * size[k].max())
                fi += 1
    g = MiniRocketFeatures(KernelConfig(n_features=84 * 4)).fit([x], seed=5)
    h = MiniRocketFeatures(KernelConfig(n_features=84 * 4)).fit([x], seed=6)
    assert np.array_equal(g.biases, f.biases) and np.array_equal(g.channel_indices, f.channel_indices)
    assert not np.array_equal(h.channel_indices, f.channel_indices)


def _aeon(X: np.ndarray, n_kernels: int):
    from aeon.transformations.collection.convolution_based import MiniRocket

    half = len(X) // 2
    mr = MiniRocket(n_kernels=n_kernels, random_state=0).fit(X[:half])
    ours = MiniRocketFeatures.from_parameters(*mr.parameters, n_channels=X.shape[1])
    return mr.transform(X), ours.transform(list(X.transpose(0, 2, 1))), ours


@pytest.mark.parametrize("n_channels,length", [(1, 9), (1, 70), (3, 40), (6, 120)])
def test_equals_aeon_on_sensor_like_random_data(n_channels, length):
    X = grid(np.random.default_rng(length).normal(0, 2, (16, n_channels, length)))
    theirs, ours, _ = _aeon(X, 84 * 6)
    assert np.abs(ours - theirs).max() <= 1e-6  # fit half and held-out half


@pytest.mark.parametrize("path", SAMPLE_SETS, ids=lambda p: p.stem)
def test_equals_aeon_on_packaged_sets(path):
    """Equal-length input as aeon needs it (NaN padding -> 0). On the grid (1/1024) no rounding enters and the
    two agree exactly; on the raw values every difference is a float32 rounding tie: a sample whose exact
    convolution lies within rounding distance of the bias, counted by one and not the other."""
    data = load_npz(path)
    X = np.nan_to_num(data.X[:16]).transpose(0, 2, 1).astype(np.float32)
    theirs, ours, f = _aeon(grid(X, 1 / 1024), 84 * 6)
    assert np.abs(ours - theirs).max() <= 1e-6

    theirs, ours, f = _aeon(X, 84 * 6)
    differ = np.abs(ours - theirs) > 1e-6
    j_of = np.repeat(np.arange(len(f.dilations)), 84 * f.n_features_per_dilation)
    for i in np.unique(np.nonzero(differ)[0]):
        for j in np.unique(j_of[differ[i]]):
            out, size = exact_outputs(f, X[i].T, j)
            half = 4 * int(f.dilations[j])
            for fi in np.nonzero(differ[i] & (j_of == j))[0]:
                k = (fi - f._offsets[j]) // f.n_features_per_dilation[j]
                region = slice(half, X.shape[2] - half) if (j + k) % 2 == 1 else slice(None)
                ties = np.sum(np.abs(out[k, region] - f.biases[fi]) <= 1e-5 * size[k, region])
                n = len(out[k, region])
                exact = np.mean(out[k, region] > f.biases[fi])
                for value in (ours[i, fi], theirs[i, fi]):
                    assert abs(value - exact) * n <= ties + 1e-3


def test_storage_round_trip_without_pickles(tmp_path):
    rng = np.random.default_rng(4)
    series = [rng.normal(size=(int(n), 6)).astype(np.float32) for n in (30, 90)]
    f = MiniRocketFeatures(KernelConfig(n_features=500, scaling="channels")).fit(series)
    arrays = f.to_arrays()
    json.dumps({k: v for k, v in arrays.items() if not isinstance(v, np.ndarray)})
    np.savez(tmp_path / "k.npz", **arrays)
    with np.load(tmp_path / "k.npz", allow_pickle=False) as loaded:
        g = MiniRocketFeatures.from_arrays({k: loaded[k] for k in loaded.files})
    assert g.config == f.config and g.reference_length == f.reference_length
    assert np.array_equal(g.transform(series), f.transform(series))
    with pytest.raises(ValueError, match="lack 'biases'"):
        MiniRocketFeatures.from_arrays({k: v for k, v in arrays.items() if k != "biases"})
    arrays["biases"] = arrays["biases"][:-1]
    with pytest.raises(ValueError, match="biases for"):
        MiniRocketFeatures.from_arrays(arrays)


def test_scalings():
    rng = np.random.default_rng(5)
    x = np.column_stack([rng.normal(0, 0.5, 200), rng.normal(0, 300, 200)]).astype(np.float32)
    f = MiniRocketFeatures(KernelConfig(n_features=200, scaling="channels")).fit([x])
    assert f.channel_scale.tolist() == [0.5, 256.0]  # powers of two nearest the standard deviations
    s = MiniRocketFeatures(KernelConfig(n_features=200, scaling="series")).fit([x])
    assert np.array_equal(s.transform([x]), s.transform([x * 3 + 7]))  # z-normalised per series


def test_bad_input_is_refused_in_words():
    f = MiniRocketFeatures(KernelConfig(n_features=84))
    with pytest.raises(RuntimeError, match="before fit"):
        f.transform([np.zeros((10, 1))])
    with pytest.raises(ValueError, match="at least one series"):
        f.fit([])
    f.fit([np.random.default_rng(0).normal(size=(20, 3))])
    with pytest.raises(ValueError, match="has 2 channels; these kernel features were fitted on 3"):
        f.transform([np.zeros((10, 2))])
    with pytest.raises(ValueError, match="no samples"):
        f.transform([np.full((5, 3), np.nan)])
    with pytest.raises(ValueError, match=r"\(samples, channels\)"):
        f.transform([np.zeros((2, 5, 3))])
    with pytest.raises(ValueError, match="scaling must be one of"):
        KernelConfig(scaling="minmax")
    assert f.transform([]).shape == (0, 84)
