"""Preprocessing, tokens/encoder shapes, focused masking statistics and the contrastive loss."""

import dataclasses

import numpy as np
import pytest
import torch

from studio.model.config import PRESETS, MaskConfig, PreprocessConfig
from studio.model.contrastive import info_nce, label_targets
from studio.model.encoder import MotionTextModel
from studio.model.masking import make_mask, nucleus_tokens
from studio.model.preprocess import preprocess

torch.set_num_threads(1)
TINY = PRESETS["tiny"]
PRE = TINY.pre
K = TINY.model.token_len


def gesture(rng, seconds=3.0, rate=100.0, burst=(1.2, 1.8), gravity=(0.0, 0.0, 1.0)):
    n = int(seconds * rate)
    x = rng.normal(0, 0.003, (n, 6)).astype(np.float32)
    x[:, :3] += gravity
    s, e = int(burst[0] * rate), int(burst[1] * rate)
    t = np.arange(e - s) / rate
    x[s:e, 3] += 300 * np.sin(2 * np.pi * t / (burst[1] - burst[0]))
    x[s:e, 1] += 0.5 * np.sin(4 * np.pi * t / (burst[1] - burst[0]))
    return x


def test_preprocess_keeps_each_windows_length_and_pads_a_batch_at_the_end():
    rng = np.random.default_rng(0)
    b = preprocess([gesture(rng), gesture(rng, seconds=1.0, burst=(0.3, 0.7))[:, :]], rate_hz=100.0,
                   cfg=PRE, token_len=K)
    assert b.x.shape == (2, 152, 6) and b.x.dtype == np.float32  # 3 s at 50 Hz = 150, to whole tokens: 152
    assert b.valid.shape == (2, 152) and b.chan.shape == (2, 6) and b.tok_w.shape == (2, 152 // K)
    assert b.valid[0].sum() == 150  # all of 3 s (no crop to a fixed window)
    assert b.valid[1].sum() == 50 and b.valid[1][:50].all()  # 1 s at 100 Hz -> 50 samples at 50 Hz, then padding
    assert np.all(b.x[1][~b.valid[1]] == 0)
    assert np.all(np.isfinite(b.x))


def test_eight_second_windows_are_seen_whole():
    x = gesture(np.random.default_rng(8), seconds=8.0, burst=(1.0, 7.0))
    b = preprocess([x], cfg=PRE, token_len=K)
    assert b.valid[0].sum() == 400  # 8 s at 50 Hz: not cropped
    longer = preprocess([gesture(np.random.default_rng(8), seconds=14.0)], cfg=PRE, token_len=K)
    assert longer.valid[0].sum() == PRE.window_len - PRE.window_len % K  # beyond window_s: one window's worth


def test_missing_channels_are_masked_not_faked():
    x = gesture(np.random.default_rng(1))
    b = preprocess([x[:, [2]]], channels=("acc_z",), rate_hz=100.0, cfg=PRE, token_len=K)
    assert b.chan[0].tolist() == [False, False, True, False, False, False]
    assert np.all(b.x[0][:, [0, 1, 3, 4, 5]] == 0)
    nan_col = x.copy()
    nan_col[:, 5] = np.nan
    assert not preprocess([nan_col], cfg=PRE, token_len=K).chan[0, 5]


def test_nan_padding_at_end_is_trimmed_and_gravity_removed():
    x = gesture(np.random.default_rng(2), seconds=2.0, burst=(0.6, 1.2))
    padded = np.concatenate([x, np.full((100, 6), np.nan, np.float32)])
    a = preprocess([x], cfg=PRE, token_len=K)
    b = preprocess([padded], cfg=PRE, token_len=K)
    np.testing.assert_allclose(a.x, b.x, atol=1e-6)
    assert abs(a.x[0][a.valid[0], 2].mean()) < 1e-3  # gravity (1 g on z) removed


def test_input_longer_than_the_window_is_cropped_around_the_nucleus():
    x = gesture(np.random.default_rng(3), seconds=30.0, burst=(21.0, 21.6))
    b = preprocess([x], cfg=PRE, token_len=K)
    energy = np.abs(b.x[0][:, 3])
    centre = np.argmax(np.convolve(energy, np.ones(10), "same"))
    assert PRE.window_len * 0.25 < centre < PRE.window_len * 0.75


def test_rejects_bad_windows():
    with pytest.raises(ValueError):
        preprocess([np.full((50, 6), np.nan)], cfg=PRE, token_len=K)
    with pytest.raises(ValueError):
        preprocess([np.zeros((50, 3))], channels=("acc_x", "acc_y", "acc_z", "gyro_x"), cfg=PRE, token_len=K)
    with pytest.raises(ValueError):
        preprocess([np.zeros((50, 1))], channels=("magnet_x",), cfg=PRE, token_len=K)


def test_encoder_shapes_and_padding_is_ignored():
    net = MotionTextModel(TINY.model).eval()
    b = preprocess([gesture(np.random.default_rng(4), seconds=1.5, burst=(0.4, 1.0))], cfg=PRE, token_len=K)
    x, valid, chan = torch.from_numpy(b.x), torch.from_numpy(b.valid), torch.from_numpy(b.chan)
    h, pooled = net.encoder(x, valid, chan)
    assert h.shape == (1, x.shape[1] // K, TINY.model.d_model) and pooled.shape == (1, TINY.model.d_model)
    e = net.embed_motion(x, valid, chan)
    assert e.shape == (1, TINY.model.embed_dim)
    assert torch.linalg.norm(e, dim=1).item() == pytest.approx(1.0, abs=1e-5)
    tok_valid = net.encoder.token_valid(valid)[0]
    x2 = x.clone()
    pad_samples = ~tok_valid.repeat_interleave(K)
    x2[0, pad_samples] = 5.0  # garbage in fully padded tokens must not change the result
    assert torch.allclose(net.embed_motion(x2, valid, chan), e, atol=1e-5)
    # padding the batch further (a longer window beside it) changes nothing either
    pad = torch.zeros(1, 5 * K, 6)
    longer = net.embed_motion(torch.cat([x, pad], 1), torch.cat([valid, pad[..., 0].bool()], 1), chan)
    assert torch.allclose(longer, e, atol=1e-5)


def test_rotary_positions_make_the_embedding_independent_of_where_the_movement_sits():
    net = MotionTextModel(TINY.model).eval()
    rng = np.random.default_rng(9)
    core = rng.normal(0, 0.3, (6 * K, 6)).astype(np.float32)
    quiet = np.zeros((4 * K, 6), np.float32)
    early = torch.from_numpy(np.concatenate([core, quiet, quiet]))[None]
    late = torch.from_numpy(np.concatenate([quiet, quiet, core]))[None]
    valid = torch.ones(1, early.shape[1], dtype=torch.bool)
    chan = torch.ones(1, 6, dtype=torch.bool)
    a, b = net.embed_motion(early, valid, chan), net.embed_motion(late, valid, chan)
    assert (a @ b.T).item() > 0.99  # same tokens, shifted: relative positions only


def _masking_batch(rng, n=400):
    windows = [gesture(rng, burst=(s, s + 0.7)) for s in rng.uniform(0.3, 1.8, n)]
    b = preprocess(windows, cfg=PRE, token_len=K)
    tok_valid = b.valid.reshape(n, -1, K).any(2)
    return b.tok_w, tok_valid


def test_focused_masks_land_in_the_nucleus_at_the_configured_rate():
    rng = np.random.default_rng(5)
    tok_w, tok_valid = _masking_batch(rng)
    for p in (0.8, 0.5):
        mask, nucleus = make_mask(tok_w, tok_valid, MaskConfig(ratio=0.25, p_nucleus=p, focused=True), rng)
        assert mask.sum(1).min() >= 1
        assert not (mask & ~tok_valid).any()
        share = (mask & nucleus).sum() / mask.sum()
        assert share == pytest.approx(p, abs=0.05)


def test_uniform_masks_follow_the_nucleus_share_of_tokens():
    rng = np.random.default_rng(6)
    tok_w, tok_valid = _masking_batch(rng)
    mask, nucleus = make_mask(tok_w, tok_valid, MaskConfig(ratio=0.25, focused=False), rng)
    base = nucleus.sum() / tok_valid.sum()
    assert (mask & nucleus).sum() / mask.sum() == pytest.approx(base, abs=0.05)
    assert base < 0.6  # so the focused test above is a real difference
    assert nucleus_tokens(np.zeros((1, 4)), np.ones((1, 4), bool)).sum() == 0


def test_info_nce_prefers_matching_pairs():
    g = torch.Generator().manual_seed(0)
    motion = torch.nn.functional.normalize(torch.randn(16, 32, generator=g), dim=1)
    text = torch.nn.functional.normalize(motion + 0.1 * torch.randn(16, 32, generator=g), dim=1)
    scale = torch.tensor(2.659)
    matched = info_nce(motion, text, scale)
    shuffled = info_nce(motion, text[torch.randperm(16, generator=g)], scale)
    assert matched < shuffled
    assert matched < 0.5 * np.log(16)


def test_same_label_items_are_positives():
    t = label_targets(["a", "b", "a", "c"])
    assert torch.allclose(t.sum(1), torch.ones(4))
    assert t[0, 2] == pytest.approx(0.5) and t[1, 1] == 1.0
    # items 0 and 2 share a label (paraphrases): a gradient step with labels pulls motion 0 towards text 2,
    # plain CLIP pushes it away
    def sim_after_step(labels):
        v = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.3]]), dim=1)
        m = v.clone().requires_grad_(True)
        info_nce(m, v, torch.tensor(4.0), labels).backward()
        stepped = torch.nn.functional.normalize(m.detach() - 0.01 * m.grad, dim=1)
        return (stepped[0] @ v[2]).item() - (v[0] @ v[2]).item()

    assert sim_after_step(["a", "b", "a"]) > 0
    assert sim_after_step(None) < 0


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PreprocessConfig().rate_hz = 10.0  # type: ignore[misc]
