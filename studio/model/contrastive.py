"""Symmetric InfoNCE between motion and text embeddings, with same-label pairs counted as positives.

A batch drawn from a generator repeats gestures (and sometimes exact texts); treating those as negatives
would push together-belonging pairs apart. Targets are therefore spread uniformly over every item sharing
the row's label (plain CLIP when all labels differ).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def label_targets(labels: list[str], device=None) -> torch.Tensor:
    """(B, B) row-stochastic target matrix: 1/k over the k items with the same label."""
    ids = {lab: i for i, lab in enumerate(dict.fromkeys(labels))}
    y = torch.tensor([ids[lab] for lab in labels], device=device)
    same = (y[:, None] == y[None, :]).float()
    return same / same.sum(1, keepdim=True)


def info_nce(motion: torch.Tensor, text: torch.Tensor, logit_scale: torch.Tensor,
             labels: list[str] | None = None) -> torch.Tensor:
    """Symmetric InfoNCE. motion, text: (B, E) L2-normalised; logit_scale: log inverse temperature.

    Without labels, item i's only positive is text i (CLIP); with labels, all same-label items are.
    """
    scale = logit_scale.clamp(max=4.6052).exp()  # temperature >= 0.01, as in CLIP
    logits = scale * motion @ text.t()  # (B, B)
    if labels is None:
        target = torch.eye(motion.shape[0], device=motion.device)
    else:
        target = label_targets(labels, motion.device)
    loss_m = -(target * F.log_softmax(logits, dim=1)).sum(1).mean()
    loss_t = -(target.t() * F.log_softmax(logits.t(), dim=1)).sum(1).mean()
    return 0.5 * (loss_m + loss_t)


def sup_con(z: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss (Khosla et al. 2020) over L2-normalised z (B, D) with integer labels (B,):
    every other item of the same class is a positive, all the rest negatives. Items without a positive
    in the batch are left out."""
    b = z.shape[0]
    logits = z @ z.t() / temperature  # (B, B)
    eye = torch.eye(b, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(eye, -1e9)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    log_p = F.log_softmax(logits, dim=1)
    n_pos = pos.sum(1)
    has = n_pos > 0
    if not has.any():
        return z.sum() * 0.0
    per_item = -(log_p * pos).sum(1)[has] / n_pos[has]
    return per_item.mean()
