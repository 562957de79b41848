"""Vectorised unit-quaternion helpers (scalar-first ``w, x, y, z``), numpy only.

Quaternions here map a body frame to the world frame: ``rotate(q, v_body) = v_world``.
"""

from __future__ import annotations

import numpy as np


def from_rotvec(r: np.ndarray) -> np.ndarray:
    """Rotation vectors (..., 3) in radians -> unit quaternions (..., 4)."""
    r = np.asarray(r, np.float64)
    angle = np.linalg.norm(r, axis=-1, keepdims=True)
    half = 0.5 * angle
    # sin(a/2)/a, with its limit 1/2 at a = 0 (series avoids 0/0)
    k = np.where(angle > 1e-8, np.sin(half) / np.maximum(angle, 1e-300), 0.5 - angle**2 / 48.0)
    return np.concatenate([np.cos(half), r * k], axis=-1)


def to_rotvec(q: np.ndarray) -> np.ndarray:
    """Unit quaternions (..., 4) -> rotation vectors (..., 3), angle in [0, pi]."""
    q = np.asarray(q, np.float64)
    q = np.where(q[..., :1] < 0, -q, q)  # shortest rotation
    v = q[..., 1:]
    s = np.linalg.norm(v, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., :1])
    k = np.where(s > 1e-12, angle / np.maximum(s, 1e-300), 2.0)
    return v * k


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a ⊗ b`` (broadcasting over leading axes)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    aw, ax, ay, az = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bw, bx, by, bz = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    return np.stack([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ], axis=-1)


def conjugate(q: np.ndarray) -> np.ndarray:
    """Inverse of a unit quaternion."""
    return np.asarray(q, np.float64) * np.array([1.0, -1.0, -1.0, -1.0])


def to_matrix(q: np.ndarray) -> np.ndarray:
    """Unit quaternions (..., 4) -> rotation matrices (..., 3, 3) (body -> world)."""
    q = np.asarray(q, np.float64)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    m = np.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], axis=-1)
    return m.reshape(m.shape[:-1] + (3, 3))


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.cross`` for (..., 3) arrays without its axis-juggling overhead (hot path)."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` (..., 3) from body to world by ``q`` (..., 4)."""
    q, v = np.asarray(q, np.float64), np.asarray(v, np.float64)
    if q.ndim == 1:  # one rotation for all vectors: a matrix product is cheapest
        return v @ to_matrix(q).T
    u, w = q[..., 1:], q[..., :1]
    t = 2.0 * cross(u, v)
    return v + w * t + cross(u, t)


def rotate_inverse(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` (..., 3) from world to body by ``q`` (..., 4)."""
    return rotate(conjugate(q), v)


def random_rotation(rng: np.random.Generator, max_angle_deg: float = 180.0) -> np.ndarray:
    """A random rotation as a quaternion (4,).

    ``max_angle_deg >= 180`` gives a uniformly distributed rotation over SO(3); smaller values give a
    random axis with an angle uniform in ``[0, max_angle_deg]`` (a device tilted at most that far).
    """
    if max_angle_deg >= 180.0:
        q = rng.standard_normal(4)
        return q / np.linalg.norm(q)
    axis = rng.standard_normal(3)
    axis /= np.linalg.norm(axis)
    return from_rotvec(axis * np.deg2rad(rng.uniform(0.0, max_angle_deg)))
