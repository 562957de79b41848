"""Tiny pre-training runs, checkpoints (round trip, resume, corrupt files) and the no-pickle rule."""

import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.model.checkpoint import CheckpointError, load_checkpoint, read_config, save_checkpoint
from studio.model.config import PRESETS
from studio.model.encoder import MotionTextModel
from studio.model.motion_model import MotionModel, load_model
from studio.model.pretrain import Pretrainer

torch.set_num_threads(1)
TINY = PRESETS["tiny"]


def tiny(mask_steps=40, contrastive_steps=0, **train):
    t = dataclasses.replace(TINY.train, mask_steps=mask_steps, contrastive_steps=contrastive_steps, **train)
    return dataclasses.replace(TINY, train=t)


def _heldout_loss(net, preset) -> float:
    """Reconstruction loss on fixed, freshly generated windows with a fixed focused mask."""
    from studio.model.data import synth_unlabeled
    from studio.model.masking import make_mask

    rng = np.random.default_rng(123)
    pool = synth_unlabeled(64, rng, preset.pre, preset.model.token_len)
    b = pool.batch
    valid = torch.from_numpy(b.valid)
    mask, _ = make_mask(b.tok_w, net.encoder.token_valid(valid).numpy(), preset.mask, rng)
    with torch.no_grad():
        loss, _ = net.reconstruction_loss(torch.from_numpy(b.x), valid, torch.from_numpy(b.chan),
                                          torch.from_numpy(mask))
    return float(loss)


def test_tiny_masked_pretraining_lowers_its_loss():
    preset = tiny(mask_steps=60, contrastive_steps=0, batch_size=32, pool_unlabeled=96)
    torch.manual_seed(preset.train.seed)
    before = _heldout_loss(MotionTextModel(preset.model).eval(), preset)  # the trainer's initial weights
    trainer = Pretrainer(preset)
    metrics = trainer.run()
    assert metrics["mask_steps"] == 60
    after = _heldout_loss(trainer.net.eval(), preset)
    assert after < 0.7 * before


def test_two_stage_run_writes_a_self_describing_checkpoint_and_resumes(tmp_path):
    steps = []
    preset = tiny(mask_steps=10, contrastive_steps=10, save_every=10)
    Pretrainer(preset, out=tmp_path, info={"command": "test"}, on_step=lambda s: steps.append(s)).run()
    assert [s.stage for s in steps] == ["mask"] * 10 + ["contrastive"] * 10
    assert all(s.nce > 0 for s in steps[10:])
    meta = read_config(tmp_path)
    assert meta["step"] == 20 and meta["command"] == "test"
    assert meta["preset"]["mask"]["p_nucleus"] == 0.8 and meta["preset"]["model"]["token_len"] == TINY.model.token_len
    assert {"mask_loss_first", "contrastive_loss_last"} <= set(meta["metrics"])
    # resume with a larger budget continues from step 20 instead of starting over
    longer = tiny(mask_steps=10, contrastive_steps=15, save_every=10)
    resumed = []
    Pretrainer(longer, out=tmp_path, resume=True, on_step=lambda s: resumed.append(s.step)).run()
    assert resumed == list(range(21, 26))
    assert read_config(tmp_path)["step"] == 25


def test_checkpoint_round_trip_gives_identical_embeddings(tmp_path):
    torch.manual_seed(0)
    net = MotionTextModel(TINY.model)
    save_checkpoint(tmp_path, net, TINY, step=7, metrics={"x": 1.0})
    model = load_model(tmp_path)
    assert isinstance(model, MotionModel) and model.meta["step"] == 7
    windows = np.random.default_rng(0).normal(size=(3, 200, 6)).astype(np.float32)
    ref = MotionModel(net, TINY).embed(windows)
    out = model.embed(windows)
    np.testing.assert_allclose(out, ref, atol=1e-6)
    assert out.shape == (3, TINY.model.embed_dim)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_loading_never_unpickles(tmp_path, monkeypatch):
    save_checkpoint(tmp_path, MotionTextModel(TINY.model), TINY, step=1)

    def forbidden(*args, **kwargs):
        raise AssertionError("checkpoint loading must not unpickle")

    monkeypatch.setattr(torch, "load", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    load_checkpoint(tmp_path)
    model_dir = Path(__file__).resolve().parents[1] / "studio" / "model"
    for source in model_dir.glob("*.py"):
        text = source.read_text()
        assert "torch.load(" not in text and "import pickle" not in text, source.name


def test_corrupt_or_foreign_checkpoints_raise_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(tmp_path)
    save_checkpoint(tmp_path, MotionTextModel(TINY.model), TINY, step=1)
    (tmp_path / "model.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(CheckpointError, match="not a UniMotion checkpoint"):
        load_checkpoint(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(tmp_path)


def test_embed_accepts_channel_subsets_rates_and_nan_padding():
    model = MotionModel(MotionTextModel(TINY.model), TINY)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 300, 1)).astype(np.float32)
    x[1, 200:] = np.nan
    e = model.embed(x, channels=("acc_z",), rate_hz=0.0)
    assert e.shape == (2, TINY.model.embed_dim) and np.all(np.isfinite(e))
    var = model.embed([rng.normal(size=(n, 6)).astype(np.float32) for n in (30, 500)], rate_hz=200.0)
    assert var.shape == (2, TINY.model.embed_dim)


def test_real_unlabeled_takes_only_the_train_split_of_an_evaluation_set(tmp_path):
    from studio.model.data import real_unlabeled
    from studio.model.preprocess import preprocess

    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 120, 1)).astype(np.float32)
    split = np.array(["train", "test", "train", "test", "test", "train", "train", "test"])
    common = dict(X=x, y=np.array(list("abababab")), channels=np.array(["acc_x"]), rate_hz=np.float64(50.0))
    pre, k = TINY.pre, TINY.model.token_len
    np.savez(tmp_path / "set.npz", split=split, **common)
    pool = real_unlabeled(tmp_path / "set.npz", pre, k)
    expected = preprocess(x[split == "train"], ("acc_x",), 50.0, pre, k)
    assert len(pool) == 4 and pool.labels == [] and np.array_equal(pool.batch.x, expected.x)
    np.savez(tmp_path / "plain.npz", **common)  # no split: a plain unlabeled recording, all rows used
    assert len(real_unlabeled(tmp_path / "plain.npz", pre, k)) == 8
    np.savez(tmp_path / "test_only.npz", split=np.full(8, "test"), **common)
    with pytest.raises(ValueError, match="train"):
        real_unlabeled(tmp_path / "test_only.npz", pre, k)
