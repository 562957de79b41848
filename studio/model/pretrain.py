"""Two-stage pre-training, Qt-free and caller-agnostic (reports through callbacks, minGPT-style).

Stage 1 ("mask"): masked token modelling on unlabeled windows (performances of the universe's classes,
random movement, real recordings), masks focused on the nucleus (uniform in the ablation).
Stage 2 ("joint"): each step is an *episode*: ``episode_classes`` classes of the universe, each performed
``episode_views`` times, all seen through one device view (6-axis, accelerometer only, one axis,
gravity-free, z-normalised...), so that the classes differ only by their movement, as in a user's gesture
set. Losses: supervised contrastive on the pooled encoder features (the space takes are compared in),
text-motion InfoNCE between the joint-space embedding and the classes' generated descriptions (frozen
MiniLM), and masked modelling on a separate unlabeled batch so the tokens stay informative.

Runs under ``torchrun`` (DDP over gloo, detected from WORLD_SIZE): every rank renders its own share of
the data from ``seed + rank`` and rank 0 writes checkpoints.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from studio.model.checkpoint import load_checkpoint, load_train_state, save_checkpoint, save_train_state
from studio.model.config import Preset
from studio.model.contrastive import info_nce, sup_con
from studio.model.data import Pool, augment, motion_pool, random_view, real_unlabeled, universe_pool, view_batch
from studio.model.encoder import MotionTextModel
from studio.model.masking import make_mask


def length_chunks(valid: torch.Tensor, token_len: int, n_chunks: int = 3) -> list[tuple[torch.Tensor, int]]:
    """Split a batch into ``n_chunks`` groups of similar length: (item indices, samples to keep) each, so
    short windows are not padded to the longest one (a 1 s tap beside a 10 s walk)."""
    lengths = valid.sum(1)
    order = torch.argsort(lengths)
    out = []
    for part in torch.tensor_split(order, min(n_chunks, len(order))):
        if len(part):
            longest = int(lengths[part].max())
            out.append((part, max(token_len, -(-longest // token_len) * token_len)))
    return out


class _Objective(nn.Module):
    """Loss of one step as a module, so DDP sees every parameter used in the forward pass."""

    def __init__(self, net: MotionTextModel, tc) -> None:
        super().__init__()
        self.net = net
        self.tc = tc

    def _mlm(self, x, valid, chan, mask) -> torch.Tensor:
        k = self.net.cfg.token_len
        losses, weights = [], []
        for idx, n in length_chunks(valid, k):
            loss, _ = self.net.reconstruction_loss(x[idx, :n], valid[idx, :n], chan[idx], mask[idx, : n // k])
            losses.append(loss)
            weights.append(float(len(idx)))
        w = torch.tensor(weights) / sum(weights)
        return (torch.stack(losses) * w).sum()

    def _pooled(self, x, valid, chan) -> torch.Tensor:
        pooled = torch.zeros(x.shape[0], self.net.cfg.d_model)
        for idx, n in length_chunks(valid, self.net.cfg.token_len):
            pooled = pooled.index_copy(0, idx, self.net.encoder(x[idx, :n], valid[idx, :n], chan[idx])[1])
        return pooled  # (B, D)

    def forward(self, mlm_in, episode=None):
        mlm = self._mlm(*mlm_in)
        if episode is None:
            return mlm, {"mlm": mlm.detach()}
        x, valid, chan, labels, text = episode
        pooled = self._pooled(x, valid, chan)
        sup = sup_con(F.normalize(pooled, dim=-1), labels, self.tc.supcon_temperature)
        loss = self.tc.mlm_weight * mlm + self.tc.supcon_weight * sup
        parts = {"mlm": mlm.detach(), "supcon": sup.detach()}
        if text is not None:
            motion = F.normalize(self.net.motion_proj(pooled), dim=-1)
            nce = info_nce(motion, self.net.embed_text(text), self.net.logit_scale, labels.tolist())
            loss = loss + self.tc.text_weight * nce
            parts["text"] = nce.detach()
        return loss, parts


@dataclass
class StepInfo:
    """What ``on_step`` receives."""

    step: int
    total: int
    stage: str
    loss: float
    parts: dict[str, float]
    lr: float


@dataclass
class Pretrainer:
    """Runs pre-training for ``preset`` and writes checkpoints to ``out`` (if given)."""

    preset: Preset
    out: Path | None = None
    resume: bool = False
    unlabeled: list[str] = field(default_factory=list)  # npz files of real unlabeled windows
    real_series: list[tuple] = field(default_factory=list)  # (series list, channels, rate_hz) recordings
    on_step: Callable[[StepInfo], None] | None = None
    on_status: Callable[[str], None] | None = None
    should_stop: Callable[[], bool] | None = None
    info: dict = field(default_factory=dict)  # provenance written into config.json

    def __post_init__(self) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.net = MotionTextModel(self.preset.model)
        self.history: dict[str, list[float]] = {"mask": [], "joint": []}

    def _say(self, text: str) -> None:
        if self.on_status and self.rank == 0:
            self.on_status(text)

    def _lr(self, step: int, total: int) -> float:
        warm = max(1, min(200, total // 10))
        if step < warm:
            return self.preset.train.lr * (step + 1) / warm
        return self.preset.train.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    def _pools(self, rng: np.random.Generator) -> tuple[Pool, Pool, Pool]:
        """(universe classes, synthetic unlabeled, real unlabeled) for this rank."""
        tc, pre, k = self.preset.train, self.preset.pre, self.preset.model.token_len
        n_classes = max(tc.episode_classes, tc.n_classes // self.world)
        self._say(f"rendering {n_classes} classes x {tc.renders} performances")
        classes = universe_pool(n_classes, tc.renders, rng, pre, k, tc.source_weights)
        self._say(f"rendering {tc.n_motion // self.world} unlabeled movement windows")
        motion = motion_pool(max(1, tc.n_motion // self.world), rng, pre, k)
        real = Pool.empty()
        for path in self.unlabeled:
            real = real.extend(real_unlabeled(path, pre, k))
        for series, channels, rate in self.real_series:
            from studio.model.data import windows_pool

            real = real.extend(windows_pool(series, channels, rate, pre, k))
        if len(real):
            self._say(f"{len(real)} real unlabeled windows")
        return classes, motion, real

    def _text_table(self, classes: Pool) -> torch.Tensor | None:
        """(n_classes, n_texts, 384) MiniLM vectors of every class's descriptions."""
        if not self.preset.train.use_text:
            return None
        from studio.model.text import shared_text_encoder

        vocab = sorted({t for texts in classes.texts for t in texts})
        self._say(f"encoding {len(vocab)} distinct descriptions with MiniLM")
        vecs = shared_text_encoder().encode(vocab)
        index = {t: i for i, t in enumerate(vocab)}
        return torch.from_numpy(np.stack([vecs[[index[t] for t in texts]] for texts in classes.texts]))

    def _mlm_batch(self, pools, rng, gen):
        """A masked-modelling batch: universe performances and random movement (random views) and real
        recordings (as recorded), in the configured proportions."""
        tc, pre, k = self.preset.train, self.preset.pre, self.preset.model.token_len
        classes, motion, real = pools
        n = max(2, tc.batch_size // self.world)
        n_real = int(round(tc.real_fraction * n)) if len(real) else 0
        n_syn = n - n_real
        picks = [(classes if rng.random() < 0.6 else motion) for _ in range(n_syn)] + [real] * n_real
        parts, views_used = [], []
        for pool in (classes, motion, real):
            idx = [int(rng.integers(len(pool))) for p in picks if p is pool]
            if not idx:
                continue
            views = [random_view(rng) if pool is not real else ("as-is", 0) for _ in idx]
            parts.append(view_batch(pool, idx, views, rng, pre, k))
            views_used += [v for v, _ in views]
        from studio.model.preprocess import stack

        rows = [(b.x[i], b.valid[i], b.chan[i], b.tok_w[i]) for b in parts for i in range(b.x.shape[0])]
        b = stack(rows, k)
        x = augment(torch.from_numpy(b.x), torch.from_numpy(b.chan), views_used, gen)
        valid = torch.from_numpy(b.valid)
        x = x * valid[..., None]
        mask, _ = make_mask(b.tok_w, self.net.encoder.token_valid(valid).numpy(), self.preset.mask, rng)
        return x, valid, torch.from_numpy(b.chan), torch.from_numpy(mask)

    def _episode(self, classes: Pool, texts, rng, gen, by_class):
        """One episode: classes x views performances through one shared device view."""
        tc, pre, k = self.preset.train, self.preset.pre, self.preset.model.token_len
        ids = rng.choice(len(by_class), size=min(len(by_class), tc.episode_classes), replace=False)
        idx, labels = [], []
        for c in ids:
            members = by_class[c]
            take = rng.choice(members, size=min(len(members), tc.episode_views), replace=False)
            idx += take.tolist()
            labels += [int(c)] * len(take)
        view = random_view(rng)
        b = view_batch(classes, idx, [view] * len(idx), rng, pre, k)
        x = augment(torch.from_numpy(b.x), torch.from_numpy(b.chan), [view[0]] * len(idx), gen)
        valid = torch.from_numpy(b.valid)
        text = None
        if texts is not None:
            pick = rng.integers(texts.shape[1], size=len(idx))
            text = texts[torch.tensor(labels), torch.from_numpy(pick)]
        return x * valid[..., None], valid, torch.from_numpy(b.chan), torch.tensor(labels), text

    def run(self) -> dict:
        """Train; returns metrics (final losses, seconds). Writes checkpoints every ``save_every`` steps."""
        t0 = time.time()
        tc = self.preset.train
        ddp = self.world > 1
        if ddp:
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group("gloo")
        torch.manual_seed(tc.seed)  # identical initial weights on every rank
        self.net = MotionTextModel(self.preset.model)
        objective: nn.Module = _Objective(self.net, tc)
        if ddp:
            objective = nn.parallel.DistributedDataParallel(objective, find_unused_parameters=True)
        opt = torch.optim.AdamW(self.net.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
        rng = np.random.default_rng(tc.seed * 7919 + self.rank)
        gen = torch.Generator().manual_seed(tc.seed * 31 + self.rank)
        start = 0
        if self.resume and self.out is not None and (Path(self.out) / "train_state.json").exists():
            net, _, meta = load_checkpoint(self.out)
            self.net.load_state_dict(net.state_dict())
            extra = load_train_state(self.out, opt)
            start = int(extra["step"])
            self.history = extra.get("history", self.history)
            state = extra.get("np_rng", {}).get(str(self.rank))
            if state:
                rng.bit_generator.state = state
            self._say(f"resumed at step {start}")
        data_rng = np.random.default_rng(tc.seed * 1000 + self.rank)  # pools are the same after a resume
        pools = self._pools(data_rng)
        classes = pools[0]
        texts = self._text_table(classes)
        by_class = [np.flatnonzero(classes.label == c) for c in range(len(classes.texts))]
        total = tc.mask_steps + tc.joint_steps
        self.net.train()
        for step in range(start, total):
            if self.should_stop and self.should_stop():
                break
            stage = "mask" if step < tc.mask_steps else "joint"
            lr = self._lr(step, total)
            for g in opt.param_groups:
                g["lr"] = lr
            mlm_in = self._mlm_batch(pools, rng, gen)
            episode = self._episode(classes, texts, rng, gen, by_class) if stage == "joint" else None
            loss, parts = objective(mlm_in, episode)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
            opt.step()
            self.history[stage].append(float(loss.detach()))
            if self.on_step and self.rank == 0:
                self.on_step(StepInfo(step + 1, total, stage, loss.item(), {k: float(v) for k, v in parts.items()}, lr))
            if self.out is not None and ((step + 1) % tc.save_every == 0 or step + 1 == total):
                self._save(step + 1, opt, rng, time.time() - t0)
        metrics = self.metrics()
        metrics["seconds"] = round(time.time() - t0, 1)
        return metrics

    def metrics(self) -> dict:
        """Mean loss over the first and last 10 % of each stage's steps."""
        out = {}
        for stage, h in self.history.items():
            if h:
                k = max(1, len(h) // 10)
                out[f"{stage}_loss_first"] = round(float(np.mean(h[:k])), 4)
                out[f"{stage}_loss_last"] = round(float(np.mean(h[-k:])), 4)
                out[f"{stage}_steps"] = len(h)
        return out

    def _save(self, step: int, opt, rng: np.random.Generator, seconds: float) -> None:
        states = [rng.bit_generator.state]
        if self.world > 1:
            import torch.distributed as dist

            gathered: list = [None] * self.world
            dist.all_gather_object(gathered, rng.bit_generator.state)
            states = gathered
        if self.rank != 0:
            return
        info = {**self.info, "seconds_so_far": round(seconds, 1), "world_size": self.world}
        save_checkpoint(self.out, self.net, self.preset, step, self.metrics(), info)
        save_train_state(self.out, opt, {"step": step, "history": self.history,
                                         "np_rng": {str(i): s for i, s in enumerate(states)}})
