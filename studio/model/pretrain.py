"""Two-stage pre-training, Qt-free and caller-agnostic (reports through callbacks, minGPT-style).

Stage 1 ("mask"): masked token modelling on unlabeled windows, masks focused on the nucleus.
Stage 2 ("contrastive"): symmetric InfoNCE between motion and the generator's text descriptions, with the
reconstruction loss kept at a lower weight. With ``use_text=False`` (ablation) stage 2 is replaced by more
masked modelling, so both variants train for the same number of steps.

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

from studio.model.checkpoint import load_checkpoint, load_train_state, save_checkpoint, save_train_state
from studio.model.config import Preset
from studio.model.contrastive import info_nce
from studio.model.data import Pool, augment, real_unlabeled, synth_pairs, synth_unlabeled, concat_batches
from studio.model.encoder import MotionTextModel
from studio.model.masking import make_mask


class _Objective(nn.Module):
    """Loss of one stage as a module, so DDP sees every parameter used in the forward pass."""

    def __init__(self, net: MotionTextModel) -> None:
        super().__init__()
        self.net = net

    def forward(self, x, valid, chan, mask, text=None, labels=None, mlm_weight=1.0):
        mlm, pooled = self.net.reconstruction_loss(x, valid, chan, mask)
        if text is None:
            return mlm, mlm.detach(), torch.zeros(())
        motion = nn.functional.normalize(self.net.motion_proj(pooled), dim=-1)
        nce = info_nce(motion, self.net.embed_text(text), self.net.logit_scale, labels)
        return nce + mlm_weight * mlm, mlm.detach(), nce.detach()


@dataclass
class StepInfo:
    """What ``on_step`` receives."""

    step: int
    total: int
    stage: str
    loss: float
    mlm: float
    nce: float
    lr: float


@dataclass
class Pretrainer:
    """Runs pre-training for ``preset`` and writes checkpoints to ``out`` (if given)."""

    preset: Preset
    out: Path | None = None
    resume: bool = False
    unlabeled: list[str] = field(default_factory=list)  # npz files of real unlabeled windows
    on_step: Callable[[StepInfo], None] | None = None
    on_status: Callable[[str], None] | None = None
    should_stop: Callable[[], bool] | None = None
    info: dict = field(default_factory=dict)  # provenance written into config.json

    def __post_init__(self) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.net = MotionTextModel(self.preset.model)
        self.history: dict[str, list[float]] = {"mask": [], "contrastive": []}

    def _say(self, text: str) -> None:
        if self.on_status and self.rank == 0:
            self.on_status(text)

    def _lr(self, step: int, total: int) -> float:
        warm = max(1, min(100, total // 10))
        if step < warm:
            return self.preset.train.lr * (step + 1) / warm
        return self.preset.train.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    def _pools(self) -> tuple[Pool, Pool | None]:
        tc, pre, k = self.preset.train, self.preset.pre, self.preset.model.token_len
        rng = np.random.default_rng(tc.seed * 1000 + self.rank)
        self._say(f"rendering {tc.pool_unlabeled // self.world} unlabeled windows")
        unl = synth_unlabeled(tc.pool_unlabeled // self.world, rng, pre, k)
        for path in self.unlabeled:
            unl = Pool(concat_batches([unl.batch, real_unlabeled(path, pre, k).batch]), [], [])
        pairs = None
        if tc.use_text and tc.contrastive_steps > 0:
            self._say(f"rendering {tc.pool_pairs // self.world} motion-text pairs")
            pairs = synth_pairs(tc.pool_pairs // self.world, rng, pre, k)
        return unl, pairs

    def _text_table(self, pairs: Pool) -> tuple[dict[str, int], torch.Tensor]:
        from studio.model.text import shared_text_encoder

        vocab = sorted(set(pairs.texts))
        self._say(f"encoding {len(vocab)} distinct descriptions with MiniLM")
        return {t: i for i, t in enumerate(vocab)}, torch.from_numpy(shared_text_encoder().encode(vocab))

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
        objective: nn.Module = _Objective(self.net)
        if ddp:
            objective = nn.parallel.DistributedDataParallel(objective, find_unused_parameters=True)
        opt = torch.optim.AdamW(self.net.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
        rng = np.random.default_rng(tc.seed * 7919 + self.rank)
        torch.manual_seed(tc.seed * 31 + self.rank)
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
        unl, pairs = self._pools()
        text_index, text_vecs = self._text_table(pairs) if pairs is not None else ({}, None)
        n_mask = tc.mask_steps + (0 if pairs is not None else tc.contrastive_steps)
        total = n_mask + (tc.contrastive_steps if pairs is not None else 0)
        per_rank = max(2, tc.batch_size // self.world)
        self.net.train()
        for step in range(start, total):
            if self.should_stop and self.should_stop():
                break
            stage = "mask" if step < n_mask else "contrastive"
            pool = unl if stage == "mask" else pairs
            idx = rng.integers(0, len(pool), size=per_rank)
            b, labels, texts = pool.take(idx)
            x, chan = augment(torch.from_numpy(b.x), torch.from_numpy(b.chan), None, tc.channel_drop)
            valid = torch.from_numpy(b.valid)
            tok_valid = self.net.encoder.token_valid(valid).numpy()
            mask, _ = make_mask(b.tok_w, tok_valid, self.preset.mask, rng)
            lr = self._lr(step, total)
            for g in opt.param_groups:
                g["lr"] = lr
            if stage == "mask":
                loss, mlm, nce = objective(x, valid, chan, torch.from_numpy(mask))
            else:
                text = text_vecs[[text_index[t] for t in texts]]
                loss, mlm, nce = objective(x, valid, chan, torch.from_numpy(mask), text, labels,
                                           tc.mlm_weight_contrastive)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
            opt.step()
            self.history[stage].append(float(loss.detach()))
            if self.on_step and self.rank == 0:
                self.on_step(StepInfo(step + 1, total, stage, loss.item(), float(mlm), float(nce), lr))
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
