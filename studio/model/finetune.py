"""Refine: fine-tune the encoder's last blocks on a gesture set's takes (few-shot adaptation).

The first blocks stay frozen, so their output for every (augmented) take is computed once; each step then
runs only the trainable tail (the last ``blocks`` transformer blocks and the final norm), which keeps a
10-gesture x 5-take set within seconds on one core. Loss: cross-entropy of augmented takes against the
classes' prototypes (mean pooled feature of the un-augmented takes, recomputed every step) at a low
temperature, plus a small term that keeps the joint (motion-text) embedding of each take where it was, so
the descriptions still match after refining.

The caller decides whether to keep the result (:func:`split_half_gain` measures it on takes the
fine-tuning did not see).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from studio.model.augment import augment_take


@dataclass(frozen=True)
class FinetuneConfig:
    blocks: int = 1  # trainable last transformer blocks
    steps: int = 80
    views: int = 4  # augmented copies of each take
    lr: float = 1e-3
    weight_decay: float = 0.01
    temperature: float = 0.1
    keep_text: float = 0.5  # weight of the term that keeps joint embeddings in place
    batch: int = 256


def _frozen_prefix(net, x, valid, chan, n_frozen: int):
    enc = net.encoder
    from studio.model.encoder import rope_tables

    keep = enc.token_valid(valid)
    h = enc.embed(x, chan)
    rope = rope_tables(h.shape[1], enc.cfg.d_model // enc.cfg.n_heads, h)
    for block in enc.blocks[:n_frozen]:
        h = block(h, keep, rope)
    return h, keep, rope


def _tail(net, h, keep, rope, n_frozen: int):
    enc = net.encoder
    for block in enc.blocks[n_frozen:]:
        h = block(h, keep, rope)
    h = enc.ln_f(h)
    w = keep.float().unsqueeze(-1)
    return (h * w).sum(1) / w.sum(1).clamp_min(1.0)  # (B, D)


def finetune(model, takes_per_class: list[tuple[list[np.ndarray], float, tuple[str, ...]]],
             cfg: FinetuneConfig = FinetuneConfig(), seed: int = 0, on_progress=None, should_stop=None):
    """A fine-tuned copy of ``model.net`` (or None if cancelled). ``takes_per_class``: per class (takes
    (T, C), rate_hz, channels); at least two classes with takes."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    net = copy.deepcopy(model.net).eval()
    n_frozen = max(0, len(net.encoder.blocks) - cfg.blocks)
    for p in net.parameters():
        p.requires_grad_(False)
    tail = list(net.encoder.blocks[n_frozen:]) + [net.encoder.ln_f]
    params = [p for m in tail for p in m.parameters()]
    for p in params:
        p.requires_grad_(True)

    groups: dict[tuple, list] = {}  # (rate, channels) -> [(window, label, is_original)]
    for k, (takes, rate, channels) in enumerate(takes_per_class):
        for t in takes:
            for v in range(cfg.views + 1):
                groups.setdefault((rate, tuple(channels)), []).append((t if v == 0 else augment_take(t, rng), k, v == 0))
    prefix, joint0, labels, is_orig = [], [], [], []
    with torch.no_grad():
        for (rate, channels), items in groups.items():
            b = model.preprocess([w for w, _, _ in items], channels, rate)
            x, valid, chan = (torch.from_numpy(a) for a in (b.x, b.valid, b.chan))
            h, keep, rope = _frozen_prefix(net, x, valid, chan, n_frozen)
            prefix.append((h, keep, rope))
            joint0.append(F.normalize(net.motion_proj(_tail(net, h, keep, rope, n_frozen)), dim=-1))
            labels += [k for _, k, _ in items]
            is_orig += [o for _, _, o in items]
    joint0 = torch.cat(joint0)
    labels_t = torch.tensor(labels)
    orig = torch.tensor(is_orig)
    n_classes = len(takes_per_class)
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    for step in range(cfg.steps):
        if should_stop and should_stop():
            return None
        pooled = torch.cat([_tail(net, h, keep, rope, n_frozen) for h, keep, rope in prefix])  # (M, D)
        z = F.normalize(pooled, dim=-1)
        protos = F.normalize(torch.stack([z[orig & (labels_t == k)].mean(0) for k in range(n_classes)]), dim=-1)
        loss = F.cross_entropy(z @ protos.t() / cfg.temperature, labels_t)
        joint = F.normalize(net.motion_proj(pooled), dim=-1)
        loss = loss + cfg.keep_text * (1 - (joint * joint0).sum(-1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if on_progress:
            on_progress((step + 1) / cfg.steps)
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


def split_half(takes_per_class, rng: np.random.Generator):
    """Each class's takes in two halves (enrol, held out); classes with fewer than two takes are left out
    of the held-out half."""
    enrol, held = [], []
    for takes, rate, channels in takes_per_class:
        order = rng.permutation(len(takes))
        half = max(1, len(takes) // 2)
        enrol.append(([takes[i] for i in order[:half]], rate, channels))
        held.append(([takes[i] for i in order[half:]], rate, channels))
    return enrol, held
