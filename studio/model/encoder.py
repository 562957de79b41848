"""The motion encoder: motion tokens -> pre-LN transformer -> token states and a pooled embedding.

nanoGPT-style: a frozen config (:class:`studio.model.config.ModelConfig`), small modules, shape comments.
B = batch, L = samples per window (any multiple of K), N = L // K tokens, K = token_len, C = 6 canonical
channels, D = d_model, H = heads, d = D // H.

Positions are rotary (RoPE, Su et al. 2021): each head's queries and keys are rotated by an angle that grows
with the token's index, so attention depends on how far apart two tokens are, not on where the window
starts. Any window length works (a 0.3 s tap and an 8 s signal alike) with no table to outgrow, and the
same movement anywhere in a window gives the same pooled embedding.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from studio.model.config import ModelConfig

ROPE_BASE = 1000.0  # longest wavelength ~ 6000 tokens; the shortest is 2 pi tokens (1 s at 160 ms)


class TokenEmbed(nn.Module):
    """Cuts a window into tokens of K samples and embeds each linearly, with the channel mask as input so
    the model knows an all-zero channel is *absent* rather than still."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.k = cfg.token_len
        self.proj = nn.Linear(cfg.token_len * cfg.n_channels + cfg.n_channels, cfg.d_model)

    def forward(self, x: torch.Tensor, chan: torch.Tensor) -> torch.Tensor:
        b, l, c = x.shape
        n = l // self.k
        tok = x[:, : n * self.k].reshape(b, n, self.k * c)  # (B, N, K*C)
        ch = chan.float().unsqueeze(1).expand(b, n, c)  # (B, N, C)
        return self.proj(torch.cat([tok, ch], dim=-1))  # (B, N, D)


def rope_tables(n: int, head_dim: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(cos, sin), each (N, d/2), of the rotary angles for token indices 0..n-1."""
    half = head_dim // 2
    inv = ROPE_BASE ** (-torch.arange(half, dtype=like.dtype) / half)  # (d/2,)
    ang = torch.arange(n, dtype=like.dtype)[:, None] * inv[None, :]  # (N, d/2)
    return torch.cos(ang), torch.sin(ang)


def apply_rope(t: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs (first half, second half) of the last axis of t (B, H, N, d) by the table's angles."""
    half = t.shape[-1] // 2
    a, b = t[..., :half], t[..., half:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


class SelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.d_model)
        self.dropout = cfg.dropout

    def forward(self, h: torch.Tensor, keep: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        b, n, d = h.shape
        q, k, v = self.qkv(h).split(d, dim=2)
        q, k, v = (t.view(b, n, self.n_heads, d // self.n_heads).transpose(1, 2) for t in (q, k, v))  # (B, H, N, d)
        q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        attn_mask = keep[:, None, None, :]  # (B, 1, 1, N): padding tokens are never attended to
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(b, n, d))  # (B, N, D)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.mlp_ratio * cfg.d_model), nn.GELU(),
                                 nn.Linear(cfg.mlp_ratio * cfg.d_model, cfg.d_model))

    def forward(self, h: torch.Tensor, keep: torch.Tensor, rope) -> torch.Tensor:
        h = h + self.attn(self.ln1(h), keep, rope)
        return h + self.mlp(self.ln2(h))


class MotionEncoder(nn.Module):
    """Tokens -> transformer with rotary positions -> (token states (B, N, D), pooled (B, D))."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = TokenEmbed(cfg)
        self.mask_token = nn.Parameter(torch.zeros(cfg.d_model))
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
        self.ln_f = nn.LayerNorm(cfg.d_model)
        nn.init.normal_(self.mask_token, std=0.02)

    def token_valid(self, valid: torch.Tensor) -> torch.Tensor:
        """(B, L) sample validity -> (B, N) token validity (a token with any real sample counts)."""
        k = self.cfg.token_len
        n = valid.shape[1] // k
        return valid[:, : n * k].reshape(valid.shape[0], n, k).any(dim=2)

    def forward(self, x: torch.Tensor, valid: torch.Tensor, chan: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        keep = self.token_valid(valid)  # (B, N)
        h = self.embed(x, chan)  # (B, N, D)
        if mask is not None:
            h = torch.where(mask.unsqueeze(-1), self.mask_token.expand_as(h), h)
        rope = rope_tables(h.shape[1], self.cfg.d_model // self.cfg.n_heads, h)
        for block in self.blocks:
            h = block(h, keep, rope)
        h = self.ln_f(h)  # (B, N, D)
        w = keep.float().unsqueeze(-1)
        pooled = (h * w).sum(1) / w.sum(1).clamp_min(1.0)  # (B, D) mean over real tokens
        return h, pooled


class MotionTextModel(nn.Module):
    """Encoder plus the heads: token reconstruction, motion and text projections into one space, and the
    learnable InfoNCE temperature (stored as log of the logit scale, as in CLIP)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = MotionEncoder(cfg)
        self.recon = nn.Linear(cfg.d_model, cfg.token_len * cfg.n_channels)
        self.motion_proj = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.GELU(),
                                         nn.Linear(cfg.d_model, cfg.embed_dim))
        self.text_proj = nn.Sequential(nn.Linear(cfg.text_dim, 2 * cfg.embed_dim), nn.GELU(),
                                       nn.Linear(2 * cfg.embed_dim, cfg.embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(2.659))  # log(1/0.07)

    def embed_motion(self, x, valid, chan) -> torch.Tensor:
        """(B, L, C) -> (B, E) L2-normalised joint-space embeddings."""
        _, pooled = self.encoder(x, valid, chan)
        return F.normalize(self.motion_proj(pooled), dim=-1)

    def embed_text(self, t: torch.Tensor) -> torch.Tensor:
        """(B, text_dim) sentence vectors -> (B, E) L2-normalised joint-space embeddings."""
        return F.normalize(self.text_proj(t), dim=-1)

    def reconstruction_loss(self, x, valid, chan, mask) -> tuple[torch.Tensor, torch.Tensor]:
        """MSE of reconstructed raw token values on masked, real tokens and present channels.
        Returns (loss, pooled (B, D))."""
        h, pooled = self.encoder(x, valid, chan, mask)
        k, c = self.cfg.token_len, self.cfg.n_channels
        b, n = h.shape[0], h.shape[1]
        pred = self.recon(h).view(b, n, k, c)  # (B, N, K, C)
        target = x[:, : n * k].reshape(b, n, k, c)
        w = (mask & self.encoder.token_valid(valid)).float()[:, :, None, None] * chan.float()[:, None, None, :]
        w = w * valid[:, : n * k].reshape(b, n, k, 1).float()
        loss = ((pred - target) ** 2 * w).sum() / w.sum().clamp_min(1.0)
        return loss, pooled
