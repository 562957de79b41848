"""Domain randomisation: how a device sits in the hand and how its sensor errs.

A :class:`Domain` holds *ranges*; :func:`draw_device` samples one concrete :class:`Device` from them
for a recording, and :func:`apply_sensor` turns ideal readings into what that device reports.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from studio.synth import rotations as rot

ACC_RANGE_G = 16.0      # typical full-scale settings: readings saturate here
GYRO_RANGE_DPS = 2000.0


@dataclass(frozen=True)
class Domain:
    """Randomisation ranges for synthetic recordings. Ranges are ``(low, high)`` tuples.

    orientation_deg: how far the device may be rotated in the hand (180 = any orientation).
    lever_arm_m: largest distance of the sensor from the hand's point of motion.
    arm_pose_deg: how far the whole movement may be turned from the nominal frame (an arm pointing
    a little down or sideways, a person not square to the "wall" they draw on).
    pivot_coupling: share of the forearm's turn that reaches the device when the hand moves.
    speed: duration multiplier (1.6 = 60 % slower). size: scale of the movement.
    rate_hz: ``None`` renders at the requested rate; a range renders at a random device rate in it
    and resamples to the requested rate (the output keeps the requested rate).
    noise_*: white-noise standard deviation; bias_*: largest constant offset per axis;
    scale_error: largest per-axis gain error (0.02 = ±2 %); gravity_g: gravity magnitude as read
    (calibration error); jitter: sample-time jitter as a fraction of the period (std);
    tremor: scale of the idle hand tremor and drift; shape_jitter: person-to-person variation of a
    shape (fraction of its size); axis_flip_p: chance that an axis reads with the wrong sign
    (a mis-declared device; off unless asked for).
    """

    orientation_deg: float = 180.0
    lever_arm_m: float = 0.08
    arm_pose_deg: float = 15.0
    pivot_coupling: tuple[float, float] = (0.3, 0.9)
    speed: tuple[float, float] = (0.6, 1.6)
    size: tuple[float, float] = (0.5, 2.0)
    rate_hz: tuple[float, float] | None = None
    noise_acc_g: tuple[float, float] = (0.002, 0.01)
    noise_gyro_dps: tuple[float, float] = (0.05, 0.4)
    bias_acc_g: float = 0.02
    bias_gyro_dps: float = 1.5
    scale_error: float = 0.02
    gravity_g: tuple[float, float] = (0.99, 1.01)
    jitter: float = 0.01
    tremor: tuple[float, float] = (0.5, 1.5)
    shape_jitter: float = 0.1
    axis_flip_p: float = 0.0

    @classmethod
    def clean(cls) -> "Domain":
        """No randomisation: device flat in the hand, nominal shape, speed and size, ideal sensor."""
        return cls(orientation_deg=0.0, lever_arm_m=0.0, arm_pose_deg=0.0, pivot_coupling=(0.0, 0.0),
                   speed=(1.0, 1.0), size=(1.0, 1.0), noise_acc_g=(0.0, 0.0), noise_gyro_dps=(0.0, 0.0), bias_acc_g=0.0,
                   bias_gyro_dps=0.0, scale_error=0.0, gravity_g=(1.0, 1.0), jitter=0.0, tremor=(0.0, 0.0),
                   shape_jitter=0.0)

    @classmethod
    def default(cls) -> "Domain":
        """Moderate randomisation: any device orientation, realistic speeds, sizes and sensor errors."""
        return cls()

    @classmethod
    def heavy(cls) -> "Domain":
        """Wide randomisation for pre-training: also the device rate (25-200 Hz) and cheap sensors."""
        return cls(lever_arm_m=0.15, arm_pose_deg=30.0, pivot_coupling=(0.0, 1.0), speed=(0.5, 1.8), size=(0.4, 2.2),
                   rate_hz=(25.0, 200.0), noise_acc_g=(0.001, 0.03), noise_gyro_dps=(0.02, 1.5),
                   bias_acc_g=0.06, bias_gyro_dps=5.0, scale_error=0.06, gravity_g=(0.96, 1.04),
                   jitter=0.05, tremor=(0.2, 3.0), shape_jitter=0.2)

    def with_(self, **changes: object) -> "Domain":
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Device:
    """One concrete device drawn from a :class:`Domain`."""

    mount: np.ndarray          # (4,) device -> hand quaternion
    lever_m: np.ndarray        # (3,) sensor offset in the hand frame
    coupling: float
    gravity_g: float
    noise: np.ndarray          # (6,) std per channel
    bias: np.ndarray           # (6,)
    scale: np.ndarray          # (6,)
    sign: np.ndarray           # (6,) +1 / -1
    tremor: float


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    low, high = bounds
    return float(low) if high <= low else float(rng.uniform(low, high))


def draw_device(domain: Domain, rng: np.random.Generator) -> Device:
    """Sample one device (pose in the hand and sensor errors) from ``domain``."""
    mount = rot.random_rotation(rng, domain.orientation_deg) if domain.orientation_deg > 0 else np.array([1.0, 0, 0, 0])
    lever = rng.standard_normal(3)
    lever *= rng.uniform(0.0, domain.lever_arm_m) / max(np.linalg.norm(lever), 1e-9)
    noise = np.repeat([_uniform(rng, domain.noise_acc_g), _uniform(rng, domain.noise_gyro_dps)], 3)
    bias = np.concatenate([rng.uniform(-1, 1, 3) * domain.bias_acc_g, rng.uniform(-1, 1, 3) * domain.bias_gyro_dps])
    scale = 1.0 + rng.uniform(-1, 1, 6) * domain.scale_error
    sign = np.where(rng.random(6) < domain.axis_flip_p, -1.0, 1.0)
    return Device(mount, lever, _uniform(rng, domain.pivot_coupling), _uniform(rng, domain.gravity_g),
                  noise, bias, scale, sign, _uniform(rng, domain.tremor))


def apply_sensor(acc: np.ndarray, gyro: np.ndarray, device: Device, rng: np.random.Generator) -> np.ndarray:
    """Ideal readings -> (T, 6) float32 as the device reports them (gain, bias, noise, saturation)."""
    x = np.concatenate([acc, gyro], axis=1) * device.scale + device.bias
    if np.any(device.noise):
        x += rng.standard_normal(x.shape) * device.noise
    x *= device.sign
    np.clip(x[:, :3], -ACC_RANGE_G, ACC_RANGE_G, out=x[:, :3])
    np.clip(x[:, 3:], -GYRO_RANGE_DPS, GYRO_RANGE_DPS, out=x[:, 3:])
    return x.astype(np.float32)
