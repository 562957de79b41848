"""Synthetic IMU data from gesture trajectories: kinematics, domain randomisation and descriptions.

Qt-free, numpy only. Channels and units are canonical (acc x/y/z in g with gravity, gyro x/y/z in
deg/s). World frame: x right, y forward (away from the person), z up.
"""

from studio.synth.domain import Domain
from studio.synth.gestures import Attributes
from studio.synth.render import (
    GESTURES,
    GestureSpec,
    draw_attributes,
    render_gesture,
    render_idle,
    render_performance,
    sample_pair,
    sample_unlabeled,
)

__all__ = [
    "Attributes", "Domain", "GESTURES", "GestureSpec", "draw_attributes", "render_gesture", "render_idle",
    "render_performance", "sample_pair", "sample_unlabeled",
]
