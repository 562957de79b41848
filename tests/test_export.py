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
    got, feat = OnnxEncoder(info["path"]).run_all(batch)
    assert got.shape == ref.shape == (5, tiny_model.dim)
    assert np.abs(got - ref).max() < 1e-4
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    ref_feat = tiny_model.features_batch(batch)[1]
    assert feat.shape == ref_feat.shape and np.abs(feat - ref_feat).max() < 1e-4


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
    joint, feat = model.embed_features(windows, rate_hz=100.0)
    ref_joint, ref_feat = tiny_model.embed_features(windows, rate_hz=100.0)
    assert np.abs(joint - ref_joint).max() < 1e-4 and np.abs(feat - ref_feat).max() < 1e-4


@pytest.fixture(scope="module")
def tiny_recogniser(tiny_model):
    from studio import synth
    from studio.recognition.recogniser import Recogniser

    rng = np.random.default_rng(2)
    rec = Recogniser(tiny_model, sensitivity=0.8)
    for name in ("circle_cw", "shake", "swipe_left"):
        rec.set_class(name, synth.GESTURES[name].description,
                      [synth.render_gesture(name, rng, 100.0) for _ in range(2)], 100.0)
    rec.set_class("wave", "wave the hand from side to side", [], 100.0)  # from text only
    rec.calibrate([synth.render_idle(rng, 3.0, 100.0) for _ in range(8)], 100.0)
    return rec


def test_onnx_recogniser_matches_torch_recogniser(tiny_model, tiny_recogniser, tmp_path):
    from studio import synth
    from studio.recognition.onnx_recogniser import OnnxRecogniser, export_recogniser

    info = export_recogniser(tiny_model, tiny_recogniser, tmp_path)
    assert info["classes"] == ["circle_cw", "shake", "swipe_left", "wave"]
    assert info["max_abs_diff"] < 1e-4
    onnx_rec = OnnxRecogniser(tmp_path)
    rng = np.random.default_rng(9)
    windows = [synth.render_gesture(n, rng, 100.0) for n in ("circle_cw", "shake", "twist")]
    windows.append(synth.render_idle(rng, 2.0, 100.0))
    for w in windows:
        ref, got = tiny_recogniser.predict(w, 100.0), onnx_rec.predict(w, 100.0)
        assert got.label == ref.label and got.rejected == ref.rejected
        assert abs(got.similarity - ref.similarity) < 1e-4
        assert abs(got.threshold - ref.threshold) < 1e-6
        for name in ref.scores:
            assert abs(got.scores[name] - ref.scores[name]) < 1e-3


def test_export_command_writes_a_documented_folder(tmp_path):
    import argparse

    from studio.commands import export_cmd
    from studio.model.checkpoint import save_checkpoint
    from studio.project import Project
    from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS
    from studio import synth

    torch.manual_seed(1)
    save_checkpoint(tmp_path / "model", MotionTextModel(PRESETS["tiny"].model), PRESETS["tiny"], 0)
    project = Project.create(tmp_path / "set.gesture")
    rng = np.random.default_rng(0)
    units = [CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS]
    for name in ("tap", "twist"):
        g = project.add_gesture(name, synth.GESTURES[name].description)
        project.add_take(g.id, synth.render_gesture(name, rng), 100.0, CANONICAL_CHANNELS, units)
    project.add_negative(synth.render_idle(rng, 5.0), 100.0, CANONICAL_CHANNELS, units)
    project.close()
    parser = argparse.ArgumentParser()
    export_cmd.add_arguments(parser)
    out = tmp_path / "export"
    args = parser.parse_args([str(tmp_path / "set.gesture"), "--model", str(tmp_path / "model"), "--out", str(out)])
    assert export_cmd.run(args) == 0
    assert {p.name for p in out.iterdir()} >= {"encoder.onnx", "recogniser.onnx", "recogniser.json", "README.md",
                                              "classes.npz", "model.json"}
    assert (out / "kernels.onnx").exists()
    readme = (out / "README.md").read_text()
    assert "valid" in readme and "evidence" in readme and "features" in readme and "50 Hz" in readme


def test_refined_recogniser_exports_its_fine_tuned_encoder(tiny_model, tmp_path):
    from studio import synth
    from studio.model.finetune import FinetuneConfig
    from studio.recognition.onnx_recogniser import OnnxRecogniser, export_recogniser
    from studio.recognition.recogniser import Recogniser

    rng = np.random.default_rng(4)
    rec = Recogniser(tiny_model)
    for name in ("tap", "twist"):
        rec.set_class(name, synth.GESTURES[name].description,
                      [synth.render_gesture(name, rng, 100.0) for _ in range(4)], 100.0)
    rec.refine(config=FinetuneConfig(steps=3, views=1))
    if not rec.refined:  # the held-out check kept the pre-trained encoder: use the fine-tuned one anyway
        from studio.model.finetune import finetune
        from studio.model.motion_model import MotionModel

        sets = [(c.takes, c.rate_hz, c.channels) for c in rec._classes.values()]
        rec._use_encoder(MotionModel(finetune(tiny_model, sets, FinetuneConfig(steps=3, views=1)), tiny_model.preset))
    info = export_recogniser(rec._encoder.model, rec, tmp_path)
    assert info["max_abs_diff"] < 1e-4
    w = synth.render_gesture("tap", rng, 100.0)
    ref, got = rec.similarities(w, 100.0), OnnxRecogniser(tmp_path).similarities(w, 100.0)
    assert max(abs(ref[k] - got[k]) for k in ref) < 1e-4


def test_the_readme_formulas_reproduce_the_recogniser_from_the_exported_files(tiny_model, tiny_recogniser, tmp_path):
    """Re-implement the export README's recogniser in numpy, from the exported files alone (encoder.onnx
    and kernels.onnx through onnxruntime, classes.npz, recogniser.json): it must match the app."""
    import json

    import onnxruntime as ort

    from studio import synth
    from studio.model.export import export_encoder, write_readme
    from studio.model.preprocess import preprocess
    from studio.recognition.kernel_ops import prepare_series
    from studio.recognition.onnx_recogniser import export_recogniser, readme_section
    from studio.recognition.sources import kernel_input

    export_encoder(tiny_model, tmp_path)
    export_recogniser(tiny_model, tiny_recogniser, tmp_path)
    write_readme(tiny_model, tmp_path, readme_section())
    readme = (tmp_path / "README.md").read_text()
    meta = json.loads((tmp_path / "recogniser.json").read_text())
    a = np.load(tmp_path / "classes.npz")
    # the README's constants are the ones in recogniser.json (generated from the same code)
    tp, mw = meta["text_prior"], meta["mean_weight"]
    assert f"= {tp:g} / ({tp:g} + n_k)" in readme and f"{mw:g} * cos(q, mean of T)" in readme
    enc = ort.InferenceSession(str(tmp_path / "encoder.onnx"), providers=["CPUExecutionProvider"])
    ker = ort.InferenceSession(str(tmp_path / "kernels.onnx"), providers=["CPUExecutionProvider"])

    def unit(v):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    def take(q, takes, valid):  # README step 1: take_k(q, T)
        t = takes[valid > 0]
        return mw * float(q @ unit(t.mean(0))) + (1 - mw) * float((t @ q).max())

    def z(v, mask):  # README step 3
        m = v[mask].mean()
        out = np.zeros_like(v)
        out[mask] = (v[mask] - m) / np.sqrt(v[mask].var() + 1e-6)
        return out

    rng = np.random.default_rng(11)
    pre = tiny_model.preset.pre
    for w in [synth.render_gesture(n, rng, 100.0) for n in ("shake", "circle_cw")] + [synth.render_idle(rng, 2.0)]:
        b = preprocess([w], rate_hz=100.0, cfg=pre, token_len=tiny_model.preset.model.token_len)
        e, f = enc.run(None, {"x": b.x, "valid": b.valid, "chan": b.chan})
        e, f = e[0], f[0]
        series = prepare_series(kernel_input(w, ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"), 100.0, pre), 6)
        u = ker.run(None, {"x": series[None].astype(np.float32), "mask": np.ones((1, len(series)), np.float32)})[0][0]
        k_classes = len(meta["classes"])
        enc_s = np.array([a["text_weight"][k] * float(e @ a["text"][k]) + (1 - a["text_weight"][k])
                          * (take(f, a["enc_takes"][k], a["enc_take_valid"][k]) if a["enc_take_valid"][k].any() else 0)
                          for k in range(k_classes)])
        u_prior = unit((u - a["prior_mean"]) / a["prior_scale"])
        has = a["ker_has_takes"] > 0
        ker_s = np.array([take(u_prior, a["ker_takes"][k], a["ker_take_valid"][k]) if has[k] else 0.0
                          for k in range(k_classes)])
        ridge = unit((u - a["ridge_mean"]) / a["ridge_std"]) @ a["ridge_coef"]
        w_enc, w_ker = meta["weights"]
        rank = w_enc * z(enc_s, np.ones(k_classes, bool)) + w_ker * z(ridge, has)
        evidence = (a["share"][0] * (enc_s - a["neg"][0]) / a["span"][0]
                    + a["share"][1] * (ker_s - a["neg"][1]) / a["span"][1] * has)
        names, fused = tiny_recogniser.rank([w], 100.0)
        assert np.abs(rank - fused[0]).max() < 1e-5
        sims = tiny_recogniser.similarities(w, 100.0)
        assert np.abs(evidence - np.array([sims[n] for n in names])).max() < 1e-5


@pytest.mark.parametrize("extra, words", [
    (["--opset", "999"], "opset must be 17 or newer"),
    (["--tolerance", "nan"], "--tolerance must be"),
    (["--tolerance", "-1"], "--tolerance must be"),
])
def test_export_cli_refuses_unusable_switches_before_writing(tmp_path, capsys, extra, words):
    import argparse

    from studio.commands import export_cmd

    parser = argparse.ArgumentParser()
    export_cmd.add_arguments(parser)
    out = tmp_path / "export"
    assert export_cmd.run(parser.parse_args(["--out", str(out), *extra])) == 2
    assert words in capsys.readouterr().err and not out.exists()


def test_export_cli_reads_the_project_before_writing(tmp_path, capsys):
    import argparse

    from studio.commands import export_cmd
    from studio.model.checkpoint import save_checkpoint

    torch.manual_seed(1)
    save_checkpoint(tmp_path / "model", MotionTextModel(PRESETS["tiny"].model), PRESETS["tiny"], 0)
    (tmp_path / "bad.gesture").write_bytes(b"not a database at all, just bytes")
    (tmp_path / "file").write_text("x")
    parser = argparse.ArgumentParser()
    export_cmd.add_arguments(parser)
    out = tmp_path / "export"
    args = parser.parse_args([str(tmp_path / "bad.gesture"), "--model", str(tmp_path / "model"), "--out", str(out)])
    assert export_cmd.run(args) == 2
    assert "not a gesture project" in capsys.readouterr().err and not out.exists()
    assert export_cmd.run(parser.parse_args(["--out", str(tmp_path / "file")])) == 2
    assert "is a file" in capsys.readouterr().err and (tmp_path / "file").read_text() == "x"


def test_corrupt_onnx_files_are_refused_plainly(tmp_path):
    from studio.model.checkpoint import CheckpointError, save_checkpoint
    from studio.model.onnx_model import OnnxMotionModel

    save_checkpoint(tmp_path, MotionTextModel(PRESETS["tiny"].model), PRESETS["tiny"], step=1)
    (tmp_path / "encoder.onnx").write_bytes(b"\x00not a graph")
    (tmp_path / "text_head.onnx").write_bytes(b"\x00not a graph")
    with pytest.raises(CheckpointError, match="encoder.onnx"):
        OnnxMotionModel(tmp_path)


def test_live_recognition_runs_on_onnxruntime_without_torch():
    import subprocess
    import sys

    code = """
import sys
import numpy as np
from studio import synth
from studio.model.text import TEXT_DIM
from studio.recognition.recogniser import Recogniser
from studio.recognition.startup import default_load_model
model = default_load_model()
model.text_encoder.remember({n: np.eye(TEXT_DIM, dtype=np.float32)[i] for i, n in enumerate(["tap", "twist"])})
rec = Recogniser(model)
rng = np.random.default_rng(0)
for name in ("tap", "twist"):
    rec.set_class(name, name, [synth.render_gesture(name, rng) for _ in range(2)], 100.0)
rec.calibrate_default()
print(type(model).__name__, rec.predict(synth.render_gesture("twist", rng), 100.0).scores.keys() >= {"tap"},
      "torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["OnnxMotionModel", "True", "False"]


def test_refine_on_the_onnx_model_fine_tunes_its_torch_twin(tmp_path):
    from studio import synth
    from studio.model.checkpoint import save_checkpoint
    from studio.model.export import export_inference
    from studio.model.finetune import FinetuneConfig
    from studio.model.motion_model import load_model
    from studio.model.onnx_model import OnnxMotionModel
    from studio.recognition.recogniser import Recogniser

    class HashedText:
        def encode(self, texts):
            return np.stack([np.random.default_rng(len(t)).normal(size=384) for t in texts]).astype(np.float32)

    torch.manual_seed(0)
    save_checkpoint(tmp_path, MotionTextModel(PRESETS["tiny"].model), PRESETS["tiny"], step=1)
    export_inference(load_model(tmp_path), tmp_path)
    model = OnnxMotionModel(tmp_path, text_encoder=HashedText())
    rec = Recogniser(model)
    rng = np.random.default_rng(0)
    for name in ("tap", "twist"):
        rec.set_class(name, name, [synth.render_gesture(name, rng) for _ in range(2)], 100.0)
    rec.refine(config=FinetuneConfig(steps=2, views=1))
    assert {"held_out_before", "held_out_after"} <= set(rec.last_refine)  # it trained and compared
    assert rec.refined == rec.last_refine["kept"]
