"""Quick few-shot refinement: a residual linear adapter on frozen encoder features, trained on the takes.

f' = norm(f + f A), A (D, D) starting at zero, so an untrained adapter changes nothing. Trained with
cross-entropy of augmented takes against the classes' feature prototypes (mean adapted take feature), and
weight decay that keeps A small: a few takes must not undo pre-training. Text-only classes are untouched.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from studio.model.augment import augment_take


def fit_adapter(model, classes, epochs: int = 60, views: int = 8, on_progress=None, should_stop=None,
                seed: int = 0, temperature: float = 0.05, lr: float = 5e-3,
                weight_decay: float = 1e-2) -> np.ndarray | None:
    """Return A (D, D) float32, or None if ``should_stop()`` became true.

    classes: objects with .takes (list of (T, C)), .rate_hz, .channels and .take_feat (n, D), each with
    at least one take.
    """
    rng = np.random.default_rng(seed)
    z, y = [], []
    for k, c in enumerate(classes):
        raw = [augment_take(t, rng) for t in c.takes for _ in range(views)]
        feats = model.embed_features(raw, channels=c.channels, rate_hz=c.rate_hz)[1] if raw else c.take_feat[:0]
        z.append(np.concatenate([c.take_feat, feats]))
        y += [k] * (len(c.takes) * (views + 1))
        if should_stop and should_stop():
            return None
    z_t = torch.from_numpy(np.concatenate(z)).float()  # (M, D)
    y_t = torch.tensor(y)
    takes = [torch.from_numpy(c.take_feat).float() for c in classes]
    dim = z_t.shape[1]
    a = torch.zeros(dim, dim, requires_grad=True)
    opt = torch.optim.AdamW([a], lr=lr, weight_decay=weight_decay)
    for epoch in range(epochs):
        if should_stop and should_stop():
            return None
        protos = torch.stack([F.normalize(F.normalize(t + t @ a, dim=1).mean(0), dim=0) for t in takes])  # (K, D)
        za = F.normalize(z_t + z_t @ a, dim=1)  # (M, D)
        loss = F.cross_entropy(za @ protos.t() / temperature, y_t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if on_progress:
            on_progress((epoch + 1) / epochs)
    return a.detach().numpy().astype(np.float32)
