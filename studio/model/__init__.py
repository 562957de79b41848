"""The UniMotion motion model: preprocessing, tokens, nucleus-focused masked pre-training, motion-text
contrastive learning, checkpoints. Heavy imports (torch, transformers) happen on first use."""

from __future__ import annotations

__all__ = ["MotionModel", "load_model"]


def __getattr__(name: str):
    if name in __all__:
        from studio.model import motion_model

        return getattr(motion_model, name)
    raise AttributeError(f"module 'studio.model' has no attribute {name!r}")
