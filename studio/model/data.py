"""Training data for pre-training: pools of preprocessed windows from the synthetic generator
(:mod:`studio.synth`) and optional real unlabeled recordings, plus batched torch augmentation.

Rendering is the slow part, so a pool is generated once and re-augmented every time it is drawn from
(random rotation of the device frame, amplitude scale, noise, hidden channels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from studio.model.preprocess import Batch, preprocess

RATES = (50.0, 60.0, 100.0, 104.0, 120.0, 200.0)  # sample rates of common IMUs


@dataclass
class Pool:
    """Preprocessed windows with (optional) labels and texts."""

    batch: Batch
    labels: list[str]
    texts: list[str]

    def __len__(self) -> int:
        return self.batch.x.shape[0]

    def take(self, idx: np.ndarray) -> tuple[Batch, list[str], list[str]]:
        b = self.batch
        return (Batch(b.x[idx], b.valid[idx], b.chan[idx], b.tok_w[idx]),
                [self.labels[i] for i in idx] if self.labels else [],
                [self.texts[i] for i in idx] if self.texts else [])


def _domain(synth, rng: np.random.Generator):
    heavy = getattr(synth.Domain, "heavy", None)
    return heavy() if heavy is not None and rng.random() < 0.5 else synth.Domain.default()


def synth_pairs(n: int, rng: np.random.Generator, pre, token_len: int, on_progress=None) -> Pool:
    """``n`` (window, label, text) triples from ``studio.synth.sample_pair`` at random rates/domains."""
    from studio import synth

    xs, rates, labels, texts = [], [], [], []
    for i in range(n):
        rate = float(rng.choice(RATES))
        x, label, text = synth.sample_pair(rng, rate_hz=rate, domain=_domain(synth, rng))
        xs.append(x), rates.append(rate), labels.append(label), texts.append(text)
        if on_progress and i % 200 == 0:
            on_progress(i / n)
    return Pool(_preprocess_mixed(xs, rates, pre, token_len), labels, texts)


def synth_unlabeled(n: int, rng: np.random.Generator, pre, token_len: int, on_progress=None) -> Pool:
    """``n`` unlabeled windows from ``studio.synth.sample_unlabeled``: gestures, random smooth movement
    and ordinary idle motion, at random device rates and domains."""
    from studio import synth

    xs, rates = [], []
    for i in range(n):
        rate = float(rng.choice(RATES))
        xs.append(synth.sample_unlabeled(rng, rate_hz=rate, domain=_domain(synth, rng)))
        rates.append(rate)
        if on_progress and i % 200 == 0:
            on_progress(i / n)
    return Pool(_preprocess_mixed(xs, rates, pre, token_len), [], [])


def real_unlabeled(path, pre, token_len: int) -> Pool:
    """Unlabeled real windows from an npz (``X`` (n, T, C) NaN-padded, ``channels``, ``rate_hz``).

    If the file has a ``split`` array (an evaluation set), only its 'train' rows are used, so pre-training
    on a set never sees the windows ``studio evaluate`` tests on. Labels are never read."""
    with np.load(path, allow_pickle=False) as data:
        x = np.asarray(data["X"], np.float32)
        channels = tuple(str(c) for c in data["channels"])
        rate = float(data["rate_hz"]) if "rate_hz" in data else 0.0
        if "split" in data:
            x = x[np.asarray(data["split"]).astype(str) == "train"]
    if len(x) == 0:
        raise ValueError(f"{path}: no 'train' rows to pre-train on")
    return Pool(preprocess(x, channels, rate, pre, token_len), [], [])


def _preprocess_mixed(xs, rates, pre, token_len) -> Batch:
    return concat_batches([preprocess([x], rate_hz=r, cfg=pre, token_len=token_len) for x, r in zip(xs, rates)])


def concat_batches(batches: list[Batch]) -> Batch:
    return Batch(*(np.concatenate(parts) for parts in zip(*((b.x, b.valid, b.chan, b.tok_w) for b in batches))))


def random_rotations(n: int, gen: torch.Generator) -> torch.Tensor:
    """(n, 3, 3) uniformly random rotation matrices (QR of Gaussian matrices, sign-fixed)."""
    q, r = torch.linalg.qr(torch.randn(n, 3, 3, generator=gen))
    q = q * torch.sign(torch.diagonal(r, dim1=1, dim2=2)).unsqueeze(1)
    det = torch.det(q)
    q[:, :, 0] *= det.unsqueeze(1)  # reflections -> rotations
    return q


def heading_rotations(n: int, gen: torch.Generator | None, tilt_deg: float = 12.0) -> torch.Tensor:
    """(n, 3, 3): any heading about the vertical (z, after gravity alignment) and a small tilt."""
    yaw = torch.rand(n, generator=gen) * 2 * math.pi
    c, s = torch.cos(yaw), torch.sin(yaw)
    z, o = torch.zeros(n), torch.ones(n)
    rz = torch.stack([c, -s, z, s, c, z, z, z, o], 1).view(n, 3, 3)
    tilt = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(tilt_deg)
    ct, st = torch.cos(tilt), torch.sin(tilt)
    rx = torch.stack([o, z, z, z, ct, -st, z, st, ct], 1).view(n, 3, 3)
    return rz @ rx


def augment(x: torch.Tensor, chan: torch.Tensor, gen: torch.Generator, channel_drop: float = 0.3):
    """Heading rotation plus small tilt (same for acc and gyro), amplitude scale 0.7-1.3, noise, and with probability
    ``channel_drop`` a hidden channel subset (gyro-less, single axis, or random). Returns (x, chan)."""
    b = x.shape[0]
    x = x.clone()
    chan = chan.clone()
    rot = heading_rotations(b, gen)  # (B, 3, 3)
    full = chan[:, :3].all(1) & chan[:, 3:].all(1)
    rx = torch.cat([x[..., :3] @ rot.transpose(1, 2), x[..., 3:] @ rot.transpose(1, 2)], dim=-1)
    x = torch.where(full[:, None, None], rx, x)
    x = x * (0.7 + 0.6 * torch.rand(b, 1, 1, generator=gen))
    x = x + 0.01 * torch.randn(x.shape, generator=gen)
    drop = torch.rand(b, generator=gen) < channel_drop
    kind = torch.randint(0, 3, (b,), generator=gen)
    axis = torch.randint(0, 3, (b,), generator=gen)
    rand_keep = torch.rand(b, 6, generator=gen) < 0.5
    for i in torch.nonzero(drop).flatten().tolist():
        keep = torch.zeros(6, dtype=torch.bool)
        if kind[i] == 0:
            keep[:3] = True  # accelerometer-only device
        elif kind[i] == 1:
            keep[axis[i]] = True  # one accelerometer axis (e.g. the Wiimote sets)
        else:
            keep = rand_keep[i] if rand_keep[i].any() else keep.index_fill(0, axis[i:i + 1], True)
        if (chan[i] & keep).any():  # never hide every channel a window has
            chan[i] &= keep
    x = x * chan[:, None, :].float()
    return x, chan
