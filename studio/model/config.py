"""Typed, frozen configuration of the motion model and its pre-training, with named presets.

Everything a checkpoint needs to describe itself lives here and is written to its ``config.json``.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields


class ConfigError(ValueError):
    """A preset read from a file has a missing, mistyped or out-of-range value; the message names it."""


# (low, high) for every numeric field read from a file; anything unlisted must only be of the right type
_BOUNDS: dict[str, tuple[float, float]] = {
    "rate_hz": (1.0, 10_000.0), "window_s": (0.1, 600.0), "unknown_rate_hz": (1.0, 10_000.0),
    "acc_scale": (1e-6, 1e6), "gyro_scale": (1e-6, 1e6),
    "n_channels": (1, 64), "token_len": (1, 1024), "d_model": (8, 4096), "n_layers": (1, 64),
    "n_heads": (1, 64), "mlp_ratio": (1, 16), "dropout": (0.0, 0.99), "embed_dim": (2, 4096),
    "text_dim": (2, 4096), "ratio": (0.0, 1.0), "p_nucleus": (0.0, 1.0),
}


def _check_value(section: str, f, value):
    default = f.default if f.default is not MISSING else f.default_factory()
    what = f"preset.{section}.{f.name}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{what} must be true or false, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or len(value) != len(default) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value):
            raise ConfigError(f"{what} must be a list of {len(default)} numbers, got {value!r}")
        return tuple(float(v) for v in value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{what} must be a whole number, got {value!r}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{what} must be a finite number, got {value!r}")
        value = float(value)
    low, high = _BOUNDS.get(f.name, (-math.inf, math.inf))
    if not low <= value <= high:
        raise ConfigError(f"{what} is {value!r}, outside the sane range {low:g}..{high:g}")
    return value


@dataclass(frozen=True)
class PreprocessConfig:
    """How raw canonical samples become model input.

    The window is first rotated so its mean gravity direction is +z (when all three acc axes exist), so
    tilting the device does not change the input; then the accelerometer has its per-window mean (gravity)
    removed. Heading about the vertical is left free and covered by augmentation. Fixed scales keep
    the relative size of movements, which per-window standardisation would erase.

    Windows keep their own length (rounded up to whole tokens): a 0.4 s tap is 3 tokens, an 8 s signal 50.
    Only input longer than ``window_s`` is cut: to the window around its nucleus.
    """

    rate_hz: float = 50.0  # model sample rate; input is resampled to it
    window_s: float = 10.24  # longest window the encoder sees at once (64 tokens of 160 ms)
    unknown_rate_hz: float = 100.0  # rate assumed for series whose rate is not known (0)
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
    """Two-stage pre-training (see :mod:`studio.model.pretrain`).

    Stage 1 ("mask", ``mask_steps``): masked token modelling on unlabeled windows (the universe's
    performances, random movement, real recordings). Stage 2 ("joint", ``joint_steps``): episodes of
    ``episode_classes`` classes x ``episode_views`` performances, all shown through one device view,
    trained with supervised contrastive learning (two performances of a class close, other classes apart)
    and text-motion InfoNCE over the classes' descriptions, while masked modelling continues on a
    separate unlabeled batch.
    """

    mask_steps: int = 300
    joint_steps: int = 300
    batch_size: int = 64  # masked-modelling batch
    episode_classes: int = 16
    episode_views: int = 4
    n_classes: int = 400  # classes in the universe pool
    renders: int = 5  # performances rendered per class
    n_motion: int = 400  # unlabeled random movement and idle windows
    source_weights: tuple[float, float, float] = (0.6, 0.3, 0.1)  # program, catalogue, activity
    lr: float = 2e-3
    weight_decay: float = 0.01
    supcon_weight: float = 1.0
    supcon_temperature: float = 0.1
    text_weight: float = 0.5
    mlm_weight: float = 1.0  # of masked modelling in stage 2
    real_fraction: float = 0.25  # share of real recordings in masked-modelling batches (when given)
    use_text: bool = True  # False = no text-motion loss (ablation)
    save_every: int = 100
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
        """A preset from its ``to_dict`` form; ConfigError naming the field when a value is unusable."""
        if not isinstance(d, dict):
            raise ConfigError(f"preset must be an object, got {type(d).__name__}")

        def build(cls, section):
            values = d.get(section)
            if values is None:
                return cls()
            if not isinstance(values, dict):
                raise ConfigError(f"preset.{section} must be an object, got {type(values).__name__}")
            known = {f.name: f for f in fields(cls)}
            return cls(**{k: _check_value(section, known[k], v) for k, v in values.items() if k in known})

        preset = Preset(build(PreprocessConfig, "pre"), build(ModelConfig, "model"),
                        build(MaskConfig, "mask"), build(TrainConfig, "train"))
        m = preset.model
        if m.d_model % m.n_heads or (m.d_model // m.n_heads) % 2:
            raise ConfigError(f"preset.model.d_model {m.d_model} must split into {m.n_heads} heads of even size")
        if preset.pre.window_len < m.token_len:
            raise ConfigError(f"preset.pre.window_s {preset.pre.window_s} is shorter than one token")
        return preset


PRESETS: dict[str, Preset] = {
    # seconds on one core: for tests and quick experiments
    "tiny": Preset(
        model=ModelConfig(d_model=32, n_layers=2, n_heads=2, embed_dim=32),
        train=TrainConfig(mask_steps=20, joint_steps=20, batch_size=16, episode_classes=4, episode_views=2,
                          n_classes=16, renders=2, n_motion=16, save_every=10),
    ),
    # the shipped weights (`make pretrain`)
    "shipped": Preset(
        model=ModelConfig(d_model=96, n_layers=4, n_heads=4, embed_dim=128),
        train=TrainConfig(mask_steps=2000, joint_steps=8000, batch_size=64, episode_classes=24, episode_views=4,
                          n_classes=4000, renders=6, n_motion=3000, save_every=500),
    ),
    # the ablation table's runs: the same recipe, shorter
    "ablation": Preset(
        model=ModelConfig(d_model=96, n_layers=4, n_heads=4, embed_dim=128),
        train=TrainConfig(mask_steps=500, joint_steps=2000, batch_size=64, episode_classes=24, episode_views=4,
                          n_classes=1500, renders=5, n_motion=1000, save_every=500),
    ),
}
