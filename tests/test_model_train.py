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


def tiny(mask_steps=40, joint_steps=0, **train):
    t = dataclasses.replace(TINY.train, mask_steps=mask_steps, joint_steps=joint_steps, **train)
    return dataclasses.replace(TINY, train=t)


def _heldout_loss(net, preset) -> float:
    """Reconstruction loss on fixed, freshly generated windows with a fixed focused mask."""
    from studio.model.data import motion_pool, view_batch
    from studio.model.masking import make_mask

    rng = np.random.default_rng(123)
    pre, k = preset.pre, preset.model.token_len
    pool = motion_pool(64, rng, pre, k)
    b = view_batch(pool, range(64), [("full", 0)] * 64, rng, pre, k)
    valid = torch.from_numpy(b.valid)
    mask, _ = make_mask(b.tok_w, net.encoder.token_valid(valid).numpy(), preset.mask, rng)
    with torch.no_grad():
        loss, _ = net.reconstruction_loss(torch.from_numpy(b.x), valid, torch.from_numpy(b.chan),
                                          torch.from_numpy(mask))
    return float(loss)


def test_tiny_masked_pretraining_lowers_its_loss():
    preset = tiny(mask_steps=60, joint_steps=0, batch_size=32, n_motion=96)
    torch.manual_seed(preset.train.seed)
    before = _heldout_loss(MotionTextModel(preset.model).eval(), preset)  # the trainer's initial weights
    trainer = Pretrainer(preset)
    metrics = trainer.run()
    assert metrics["mask_steps"] == 60
    after = _heldout_loss(trainer.net.eval(), preset)
    assert after < 0.7 * before


def test_two_stage_run_writes_a_self_describing_checkpoint_and_resumes(tmp_path):
    steps = []
    preset = tiny(mask_steps=10, joint_steps=10, save_every=10)
    Pretrainer(preset, out=tmp_path, info={"command": "test"}, on_step=lambda s: steps.append(s)).run()
    assert [s.stage for s in steps] == ["mask"] * 10 + ["joint"] * 10
    assert all(s.parts["supcon"] > 0 and s.parts["text"] > 0 and s.parts["mlm"] > 0 for s in steps[10:])
    meta = read_config(tmp_path)
    assert meta["step"] == 20 and meta["command"] == "test"
    assert meta["preset"]["mask"]["p_nucleus"] == 0.8 and meta["preset"]["model"]["token_len"] == TINY.model.token_len
    assert {"mask_loss_first", "joint_loss_last"} <= set(meta["metrics"])
    # resume with a larger budget continues from step 20 instead of starting over
    longer = tiny(mask_steps=10, joint_steps=15, save_every=10)
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

    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 120, 1)).astype(np.float32)
    x[np.arange(8), :, 0] += np.arange(8)[:, None]  # each series recognisable by its level
    split = np.array(["train", "test", "train", "test", "test", "train", "train", "test"])
    common = dict(X=x, y=np.array(list("abababab")), channels=np.array(["acc_x"]), rate_hz=np.float64(50.0))
    pre, k = TINY.pre, TINY.model.token_len
    np.savez(tmp_path / "set.npz", split=split, **common)
    pool = real_unlabeled(tmp_path / "set.npz", pre, k)
    levels = sorted(round(float(np.nanmean(w[:, 0]))) for w in pool.x)
    assert levels == [0, 2, 5, 6] and (pool.label == -1).all() and pool.texts == []
    assert pool.chan[:, 0].all() and not pool.chan[:, 1:].any()  # the channels the set has, no others
    np.savez(tmp_path / "plain.npz", **common)  # no split: a plain unlabeled recording, all rows used
    assert len(real_unlabeled(tmp_path / "plain.npz", pre, k)) == 8
    np.savez(tmp_path / "test_only.npz", split=np.full(8, "test"), **common)
    with pytest.raises(ValueError, match="train"):
        real_unlabeled(tmp_path / "test_only.npz", pre, k)


def test_views_show_what_real_devices_show():
    from studio.model.data import VIEWS, apply_view

    rng = np.random.default_rng(2)
    x = rng.normal(0, 0.2, (200, 6)).astype(np.float32)
    x[:, 2] += 1.0
    present = {v: np.isfinite(apply_view(x, v, 1, rng, 50.0)).any(axis=0) for v in VIEWS}
    assert present["full"].all()
    assert present["acc"].tolist() == [True, True, True, False, False, False]
    assert present["axis"].sum() == 1 and present["axis"][:3].any()
    for view in VIEWS:  # one code, one choice of channels, whatever the window
        assert all((np.isfinite(apply_view(x, view, 7, rng, 50.0)).any(axis=0)
                    == np.isfinite(apply_view(x, view, 7, rng, 50.0)).any(axis=0)).all() for _ in range(5))
    linear = apply_view(x, "linear", 0, rng, 50.0)
    assert abs(float(np.nanmean(linear[:, 2]))) < 0.05  # gravity gone
    z = apply_view(x, "znorm", 1, rng, 50.0)
    kept = np.isfinite(z).any(axis=0)
    np.testing.assert_allclose(np.nanstd(z[:, kept], axis=0), 1.0, atol=1e-3)


def test_episodes_share_one_view_and_hold_several_performances_per_class():
    preset = tiny(mask_steps=0, joint_steps=1)
    trainer = Pretrainer(preset)
    rng = np.random.default_rng(0)
    classes, _, _ = trainer._pools(rng)
    by_class = [np.flatnonzero(classes.label == c) for c in range(len(classes.texts))]
    texts = torch.zeros(len(classes.texts), 3, 384)
    x, valid, chan, labels, text = trainer._episode(classes, texts, rng, None, by_class)
    tc = preset.train
    assert len(labels) == tc.episode_classes * tc.episode_views
    assert (np.bincount(labels.numpy()) <= tc.episode_views).all()
    assert (chan == chan[0]).all()  # one device view for the whole episode
    assert text.shape == (len(labels), 384)


def test_bad_model_folders_are_refused_in_plain_words(tmp_path):
    import json

    save_checkpoint(tmp_path, MotionTextModel(TINY.model), TINY, step=1)
    good = json.loads((tmp_path / "config.json").read_text())

    def config_with(change):
        meta = json.loads(json.dumps(good))
        change(meta)
        (tmp_path / "config.json").write_text(json.dumps(meta))

    cases = [
        (lambda m: m.pop("preset"), "preset"),
        (lambda m: m["preset"]["model"].update(d_model=200000), "d_model"),
        (lambda m: m["preset"]["model"].update(d_model=33), "d_model"),  # not divisible by its 2 heads
        (lambda m: m["preset"]["model"].update(n_heads="four"), "n_heads"),
        (lambda m: m["preset"]["model"].update(token_len=0), "token_len"),
        (lambda m: m["preset"]["pre"].update(window_s=-1), "window_s"),
        (lambda m: m["preset"]["pre"].update(rate_hz=1e9), "rate_hz"),
        (lambda m: m["preset"].update(model=[1, 2]), "model"),
    ]
    for change, words in cases:
        config_with(change)
        with pytest.raises(CheckpointError, match=words):
            load_checkpoint(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(good))
    net = MotionTextModel(TINY.model)
    with torch.no_grad():
        next(net.parameters()).fill_(float("nan"))
    save_checkpoint(tmp_path, net, TINY, step=1)
    with pytest.raises(CheckpointError, match="finite"):
        load_checkpoint(tmp_path)


def test_shipped_config_still_validates():
    import json

    from studio.model.config import Preset

    shipped = Path(__file__).resolve().parents[1] / "resources" / "model" / "config.json"
    Preset.from_dict(json.loads(shipped.read_text())["preset"])
