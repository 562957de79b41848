"""Typed, frozen configuration of the motion model and its pre-training, with named presets.

Everything a checkpoint needs to describe itself lives here and is written to its ``config.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass(frozen=True)
class PreprocessConfig:
    """How raw canonical samples become model input.

    The window is first rotated so its mean gravity direction is +z (when all three acc axes exist), so
    tilting the device does not change the input; then the accelerometer has its per-window mean (gravity)
    removed. Heading about the vertical is left free and covered by augmentation. Fixed scales keep
    the relative size of movements, which per-window standardisation would erase.
    """

    rate_hz: float = 50.0  # model sample rate; input is resampled to it
    window_s: float = 2.56  # fixed window the encoder sees; longer input is cropped around the nucleus
    acc_scale: float = 1.0  # g per unit
    gyro_scale: float = 250.0  # deg/s per unit
    remove_acc_mean: bool = True
    align_gravity: bool = True  # rotate so the mean gravity direction is +z (tilt-invariant, heading free)

    @property
    def window_len(self) -> int:
        return int(round(self.rate_hz * self.window_s))


@dataclass(frozen=True)
class ModelConfig:
    """The encoder (nanoGPT-style pre-LN transformer over motion tokens) and its heads."""

    n_channels: int = 6
    token_len: int = 8  # samples per token (160 ms at 50 Hz)
    n_tokens: int = 16  # window_len // token_len
    d_model: int = 64
    n_layers: int = 4
    n_heads: int = 4
    mlp_ratio: int = 4
    dropout: float = 0.0
    embed_dim: int = 128  # joint motion-text space
    text_dim: int = 384  # MiniLM output


@dataclass(frozen=True)
class MaskConfig:
    """Masked token modelling: what fraction of tokens to mask and how often inside the nucleus."""

    ratio: float = 0.35
    p_nucleus: float = 0.8  # probability that a masked token is drawn from the nucleus
    focused: bool = True  # False = uniform random masking (ablation)


@dataclass(frozen=True)
class TrainConfig:
    """Two-stage pre-training: masked token modelling, then text-guided contrastive learning."""

    mask_steps: int = 300
    contrastive_steps: int = 300
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.01
    pool_unlabeled: int = 2000  # synthetic windows generated once, re-augmented every epoch
    pool_pairs: int = 2000
    mlm_weight_contrastive: float = 0.5  # keep reconstructing during stage 2 so tokens stay informative
    use_text: bool = True  # False = stage 2 uses label-supervised prototypes without text (ablation)
    save_every: int = 100
    channel_drop: float = 0.3  # probability of hiding a random channel subset (models see acc-only sets)
    seed: int = 0


@dataclass(frozen=True)
class Preset:
    pre: PreprocessConfig = field(default_factory=PreprocessConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    mask: MaskConfig = field(default_factory=MaskConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return {"pre": asdict(self.pre), "model": asdict(self.model), "mask": asdict(self.mask), "train": asdict(self.train)}

    @staticmethod
    def from_dict(d: dict) -> "Preset":
        def build(cls, values):
            known = {f.name for f in fields(cls)}
            return cls(**{k: v for k, v in (values or {}).items() if k in known})

        return Preset(build(PreprocessConfig, d.get("pre")), build(ModelConfig, d.get("model")),
                      build(MaskConfig, d.get("mask")), build(TrainConfig, d.get("train")))


PRESETS: dict[str, Preset] = {
    # seconds on one core: for tests and quick experiments
    "tiny": Preset(
        model=ModelConfig(d_model=32, n_layers=2, n_heads=2, embed_dim=32),
        train=TrainConfig(mask_steps=20, contrastive_steps=20, batch_size=16, pool_unlabeled=64,
                          pool_pairs=64, save_every=10),
    ),
    # the shipped weights: ~12 min on the 2-core dev machine
    "shipped": Preset(
        model=ModelConfig(d_model=64, n_layers=4, n_heads=4, embed_dim=128),
        train=TrainConfig(mask_steps=1500, contrastive_steps=4000, batch_size=64, pool_unlabeled=4000,
                          pool_pairs=12000, save_every=250, mlm_weight_contrastive=1.0, channel_drop=0.45),
    ),
    # small runs for the ablation (nucleus vs random masking, with/without text)
    "ablation": Preset(
        model=ModelConfig(d_model=64, n_layers=4, n_heads=4, embed_dim=128),
        train=TrainConfig(mask_steps=600, contrastive_steps=1200, batch_size=64, pool_unlabeled=2000,
                          pool_pairs=4000, save_every=300),
    ),
}
