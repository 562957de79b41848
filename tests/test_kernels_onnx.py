"""The kernel features' ONNX graph equals the numpy transform in onnxruntime, at any length, with masks."""

from __future__ import annotations

import numpy as np
import pytest

from studio.recognition.kernels import KernelConfig, MiniRocketFeatures

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from studio.recognition.kernels_onnx import export_onnx, pad_batch  # noqa: E402


def sensor_like(rng, n: int, channels: int) -> np.ndarray:
    """acc in g and gyro in deg/s, on a grid of 1/16: every float32 sum the kernels make of these is exact, so
    the two sides cannot differ by the order they add in (see test_kernels.grid)."""
    scale = np.array([2.0, 2.0, 2.0, 200.0, 200.0, 200.0])[:channels]
    return (np.round(rng.normal(size=(n, channels)) * scale * 16) / 16).astype(np.float32)


def session(f: MiniRocketFeatures, tmp_path):
    path = export_onnx(f, tmp_path / "kernels.onnx")
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("scaling", ["none", "channels"])
def test_graph_equals_numpy_for_a_padded_batch(scaling, tmp_path):
    rng = np.random.default_rng(0)
    series = [sensor_like(rng, int(n), 6) for n in (1, 7, 30, 64, 151, 260)]
    f = MiniRocketFeatures(KernelConfig(n_features=84 * 8, scaling=scaling)).fit(series[2:])
    x, mask = pad_batch(series, 6)
    out = session(f, tmp_path).run(None, {"x": x, "mask": mask})[0]
    assert out.shape == (6, f.n_features_out)
    assert np.abs(out - f.transform(series)).max() <= 1e-5


def test_dynamic_length_and_a_mask_that_starts_late(tmp_path):
    rng = np.random.default_rng(1)
    f = MiniRocketFeatures(KernelConfig(n_features=84 * 5)).fit([sensor_like(rng, 100, 3)])
    sess = session(f, tmp_path)
    for n in (9, 50, 400):  # one session, any window length
        x = sensor_like(rng, n, 3)
        got = sess.run(None, {"x": x[None], "mask": np.ones((1, n), np.float32)})[0]
        assert np.abs(got - f.transform([x])).max() <= 1e-5
    # a window whose first 20 samples are not real (a ring buffer filling up)
    x = sensor_like(rng, 80, 3)
    mask = np.ones((1, 80), np.float32)
    mask[0, :20] = 0.0
    got = sess.run(None, {"x": x[None], "mask": mask})[0]
    assert np.abs(got - f.transform([x[20:]])).max() <= 1e-5


def test_series_scaling_in_the_graph(tmp_path):
    """Per-series z-normalisation is computed by each side in its own order: the normalised values differ in
    the last bit, so a feature may count a sample sitting on its bias differently (a rounding tie)."""
    rng = np.random.default_rng(2)
    series = [sensor_like(rng, int(n), 6) * 3 + 1 for n in (40, 90, 200)]
    f = MiniRocketFeatures(KernelConfig(n_features=84 * 8, scaling="series")).fit(series)
    x, mask = pad_batch(series, 6)
    diff = np.abs(session(f, tmp_path).run(None, {"x": x, "mask": mask})[0] - f.transform(series))
    assert np.mean(diff > 1e-5) < 0.01 and diff.mean() < 1e-3


def test_export_before_fit_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="before fit"):
        export_onnx(MiniRocketFeatures(), tmp_path / "k.onnx")
