"""Kinematics: a hand trajectory -> what an IMU strapped to the hand measures.

Accelerometer: specific force ``a - g`` in the device frame, in g. With z up in the world frame,
gravity is ``(0, 0, -1) g``, so a device lying flat at rest reads ``+1 g`` on z.
Gyroscope: body-frame angular velocity in deg/s, from the orientation change.

Derivatives are central differences with step ``h`` (half a sample period): the second difference is
the true acceleration averaged over a triangle one sample wide, and the gyro is the mean angular rate
over one sample — a mild anti-alias filter, like a real sensor's, and the gyro sums to the exact angle.
"""

from __future__ import annotations

import numpy as np

from studio.synth import rotations as rot
from studio.synth.shapes import Trajectory

G = 9.80665


def imu_from_trajectory(
    traj: Trajectory,
    t: np.ndarray,
    h: float,
    mount: np.ndarray | None = None,
    lever_m: np.ndarray | None = None,
    gravity_g: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Accelerometer (N, 3) in g and gyroscope (N, 3) in deg/s at times ``t`` (N,).

    ``traj(t) -> (position m, rotation vector rad)`` describes the hand (world frame);
    ``mount`` (4,) is the device's orientation in the hand (device -> hand quaternion);
    ``lever_m`` (3,) is the sensor's offset from the hand point, in the hand frame, in metres.
    """
    t = np.asarray(t, np.float64)
    n = t.shape[0]
    pos, rv = traj(np.concatenate([t - h, t, t + h]))
    q = rot.from_rotvec(rv)  # hand -> world, (3N, 4)
    if lever_m is not None and np.any(lever_m):
        pos = pos + rot.rotate(q, np.broadcast_to(lever_m, pos.shape))
    before, now, after = pos[:n], pos[n:2 * n], pos[2 * n:]
    acc_world = (after - 2.0 * now + before) / (h * h * G)
    acc_world[:, 2] += gravity_g  # specific force: minus gravity, which points down
    acc = rot.rotate_inverse(q[n:2 * n], acc_world)
    # body rate: q(t+h) = q(t-h) ⊗ exp(ω·2h)
    gyro = rot.to_rotvec(rot.multiply(rot.conjugate(q[:n]), q[2 * n:])) / (2.0 * h)
    if mount is not None:
        acc = rot.rotate_inverse(mount, acc)
        gyro = rot.rotate_inverse(mount, gyro)
    return acc, np.rad2deg(gyro)
