"""Quick few-shot refinement: a residual linear adapter on frozen embeddings, trained on a user's takes.

z' = norm(z + z A), A (E, E) starting at zero, so an untrained adapter changes nothing. Trained with
cross-entropy of augmented takes against the class prototypes (text fused with adapted take means, as
the recogniser builds them) and weight decay that keeps A small: a few takes must not undo pre-training.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from studio.model.augment import augment_take


def fit_adapter(model, classes, all_classes, epochs: int = 60, views: int = 8, on_progress=None,
                should_stop=None, seed: int = 0, temperature: float = 0.05, text_prior: float = 1.0,
                lr: float = 5e-3, weight_decay: float = 1e-2) -> np.ndarray | None:
    """Return A (E, E) float32, or None if ``should_stop()`` became true.

    classes: objects with .name, .takes (list of (T, C)), .rate_hz, .channels, .take_emb, .text_emb;
    all_classes: every class (text-only ones still compete as prototypes).
    """
    rng = np.random.default_rng(seed)
    index = {c.name: i for i, c in enumerate(all_classes)}
    z, y = [], []
    for c in classes:
        raw = [augment_take(t, rng) for t in c.takes for _ in range(views)]
        z.append(np.concatenate([c.take_emb, model.embed(raw, channels=c.channels, rate_hz=c.rate_hz)]))
        y += [index[c.name]] * (len(c.takes) * (views + 1))
        if should_stop and should_stop():
            return None
    z_t = torch.from_numpy(np.concatenate(z)).float()
    y_t = torch.tensor(y)
    text = torch.from_numpy(np.stack([c.text_emb for c in all_classes])).float()
    takes = [torch.from_numpy(c.take_emb).float() for c in all_classes]
    dim = z_t.shape[1]
    a = torch.zeros(dim, dim, requires_grad=True)
    opt = torch.optim.AdamW([a], lr=lr, weight_decay=weight_decay)
    for epoch in range(epochs):
        if should_stop and should_stop():
            return None
        protos = []
        for t_emb, tk in zip(text, takes):
            if tk.shape[0] == 0:
                protos.append(F.normalize(t_emb, dim=0))
                continue
            ad = F.normalize(tk + tk @ a, dim=1)
            w = text_prior / (text_prior + tk.shape[0])
            protos.append(F.normalize(w * t_emb + (1 - w) * F.normalize(ad.mean(0), dim=0), dim=0))
        p = torch.stack(protos)  # (K, E)
        za = F.normalize(z_t + z_t @ a, dim=1)  # (M, E)
        loss = F.cross_entropy(za @ p.t() / temperature, y_t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if on_progress:
            on_progress((epoch + 1) / epochs)
    return a.detach().numpy().astype(np.float32)
