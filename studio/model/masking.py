"""Which tokens to hide in masked token modelling: focused on the nucleus, or uniform (ablation).

UniMotion's point: the informative part of a gesture is its high-energy core; masking idle tokens teaches
the model to interpolate stillness. Focused masking draws each masked token from the nucleus with
probability ``p_nucleus`` and from the rest of the window otherwise.
"""

from __future__ import annotations

import numpy as np

from studio.model.config import MaskConfig

NUCLEUS_LEVEL = 0.35  # a token belongs to the nucleus when its energy is >= this fraction of the peak's


def nucleus_tokens(tok_w: np.ndarray, tok_valid: np.ndarray, level: float = NUCLEUS_LEVEL) -> np.ndarray:
    """(B, N) bool: valid tokens whose motion energy is at least ``level`` x the window's peak token."""
    w = np.where(tok_valid, tok_w, 0.0)
    peak = w.max(axis=1, keepdims=True)
    return tok_valid & (w >= level * peak) & (peak > 0)


def make_mask(tok_w: np.ndarray, tok_valid: np.ndarray, cfg: MaskConfig,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Choose tokens to mask. Returns (mask (B, N) bool, nucleus (B, N) bool).

    ``round(ratio * valid tokens)`` tokens are masked per window (at least one). Focused: each is drawn
    from the not-yet-masked nucleus tokens with probability ``p_nucleus`` (else from outside it; when one
    side runs out, the other is used). Uniform: drawn from all valid tokens.
    """
    nucleus = nucleus_tokens(tok_w, tok_valid)
    mask = np.zeros_like(tok_valid, dtype=bool)
    for b in range(tok_valid.shape[0]):
        idx = np.flatnonzero(tok_valid[b])
        if idx.size == 0:
            continue
        k = min(idx.size, max(1, int(round(cfg.ratio * idx.size))))
        if not cfg.focused:
            mask[b, rng.choice(idx, size=k, replace=False)] = True
            continue
        inside = list(rng.permutation(np.flatnonzero(nucleus[b])))
        outside = list(rng.permutation(np.flatnonzero(tok_valid[b] & ~nucleus[b])))
        for _ in range(k):
            want_inside = rng.random() < cfg.p_nucleus
            pool = inside if (want_inside and inside) or not outside else outside
            mask[b, pool.pop()] = True
    return mask, nucleus
