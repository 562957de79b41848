"""ONNX export of the motion encoder: parity with torch, dynamic batch, onnxruntime-backed embedding."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from studio.model.config import PRESETS  # noqa: E402
from studio.model.encoder import MotionTextModel  # noqa: E402
from studio.model.export import OnnxEncoder, export_encoder, use_onnx  # noqa: E402
from studio.model.motion_model import MotionModel  # noqa: E402


@pytest.fixture(scope="module")
def tiny_model():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    preset = PRESETS["tiny"]
    return MotionModel(MotionTextModel(preset.model), preset)


def _windows(n, rate, seed=3):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        w = rng.normal(0, 0.3, (int(rate * (0.5 + i * 0.4)), 6)).astype(np.float32)
        w[:, 3:] *= 200.0
        w[:, 2] += 1.0
        out.append(w)
    return out


def test_encoder_onnx_matches_torch(tiny_model, tmp_path):
    info = export_encoder(tiny_model, tmp_path)
    assert info["opset"] >= 17
    assert info["max_abs_diff"] < 1e-4
    batch = tiny_model.preprocess(_windows(5, 100.0), rate_hz=100.0)
    ref = tiny_model.embed_batch(batch)
    got = OnnxEncoder(info["path"]).run(batch)
    assert got.shape == ref.shape == (5, tiny_model.dim)
    assert np.abs(got - ref).max() < 1e-4
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_parity_check_detects_a_different_model(tiny_model, tmp_path):
    path = export_encoder(tiny_model, tmp_path, check=False)["path"]
    other = MotionModel(MotionTextModel(PRESETS["tiny"].model), PRESETS["tiny"])
    batch = tiny_model.preprocess(_windows(3, 50.0), rate_hz=50.0)
    assert np.abs(OnnxEncoder(path).run(batch) - other.embed_batch(batch)).max() > 1e-3


def test_use_onnx_routes_embed_through_onnxruntime(tiny_model, tmp_path):
    windows = _windows(4, 100.0, seed=5)
    ref = tiny_model.embed(windows, rate_hz=100.0)
    path = export_encoder(tiny_model, tmp_path, check=False)["path"]
    model = MotionModel(tiny_model.net, tiny_model.preset)
    use_onnx(model, path)
    assert model.onnx_path == path
    assert np.abs(model.embed(windows, rate_hz=100.0) - ref).max() < 1e-4
