"""Continuous motion features of one device: orientation (an AHRS filter) and motion energy.

Orientation comes from x-io Technologies' Fusion AHRS (the ``imufusion`` package): gyroscope and
accelerometer fused with gyro-range and acceleration rejection, in the NWU convention. Without a
magnetometer only roll and pitch are anchored (to gravity); **yaw drifts** with the gyroscope's bias
and is relative to where the device pointed at the start.

Motion energy is the RMS of the dynamic acceleration ``| |a| - 1 g |`` over the last
:data:`ENERGY_WINDOW_S` seconds: about 0 at rest, 0.5-3 g for a shake.
"""

from __future__ import annotations

import math

import numpy as np

ENERGY_WINDOW_S = 0.25
GAIN = 0.5                 # Fusion's default: how strongly the accelerometer corrects the gyroscope
GYRO_RANGE_DPS = 2000.0    # readings near this are treated as saturated (Fusion's overrange recovery)
ACC_REJECTION_DEG = 10.0   # acceleration that tilts "gravity" more than this is ignored for a while
YAW_DRIFT_NOTE = ("Yaw drifts without a magnetometer: it is relative to where the device pointed when it "
                  "connected, and slowly wanders.")


class MotionFeatures:
    """Feed canonical samples (acc in g, gyro in deg/s, NaN where absent); read roll/pitch/yaw in
    degrees and energy in g at any time. Not thread-safe: one owner thread feeds and reads."""

    def __init__(self, rate_hz: float) -> None:
        import imufusion

        self.rate_hz = float(rate_hz) if rate_hz and math.isfinite(rate_hz) and rate_hz > 0 else 100.0
        self._ahrs = imufusion.Ahrs()
        self._ahrs.set_settings(imufusion.AhrsSettings(
            sample_rate=self.rate_hz, convention=imufusion.CONVENTION_NWU, gain=GAIN,
            gyroscope_range=GYRO_RANGE_DPS, acceleration_rejection=ACC_REJECTION_DEG,
            magnetic_rejection=0.0, rejection_timeout=int(5 * self.rate_hz)))
        self._period = 1.0 / self.rate_hz
        self._ahrs.set_sample_period(self._period)
        n = max(2, int(round(ENERGY_WINDOW_S * self.rate_hz)))
        self._dyn2 = np.zeros(n, np.float64)   # ring of squared dynamic acceleration
        self._pos = 0
        self._filled = 0
        self._last_t: float | None = None
        self.samples = 0

    def update(self, t: np.ndarray, data: np.ndarray) -> None:
        """Add samples: ``t`` (n,) seconds, ``data`` (n, 6) in canonical channel order."""
        data = np.asarray(data, np.float64)
        if data.ndim != 2 or data.shape[1] < 3 or len(data) == 0:
            return
        data = np.where(np.isnan(data), 0.0, data)   # a missing gyroscope reads as no rotation
        acc = np.ascontiguousarray(data[:, 0:3])
        gyro = np.ascontiguousarray(data[:, 3:6]) if data.shape[1] >= 6 else np.zeros_like(acc)
        t = np.asarray(t, np.float64)
        for i in range(len(acc)):
            if self._last_t is not None and i < len(t):
                dt = t[i] - self._last_t
                # irregular clocks (phones, OSC) keep their real spacing; glitches fall back to nominal
                period = dt if 0.2 * self._period < dt < 5 * self._period else self._period
                if period != self._period:
                    self._ahrs.set_sample_period(period)
                self._ahrs.update_no_magnetometer(gyro[i], acc[i])
                if period != self._period:
                    self._ahrs.set_sample_period(self._period)
            else:
                self._ahrs.update_no_magnetometer(gyro[i], acc[i])
            if i < len(t):
                self._last_t = float(t[i])
        dyn2 = (np.linalg.norm(acc, axis=1) - 1.0) ** 2
        self._push(dyn2)
        self.samples += len(acc)

    def _push(self, values: np.ndarray) -> None:
        n = len(self._dyn2)
        values = values[-n:]
        end = self._pos + len(values)
        if end <= n:
            self._dyn2[self._pos:end] = values
        else:
            split = n - self._pos
            self._dyn2[self._pos:] = values[:split]
            self._dyn2[:end - n] = values[split:]
        self._pos = end % n
        self._filled = min(n, self._filled + len(values))

    def orientation(self) -> tuple[float, float, float]:
        """(roll, pitch, yaw) in degrees."""
        import imufusion

        roll, pitch, yaw = imufusion.quaternion_to_euler(self._ahrs.get_quaternion())
        return float(roll), float(pitch), float(yaw)

    def energy(self) -> float:
        """RMS dynamic acceleration in g over the last quarter second."""
        if not self._filled:
            return 0.0
        return float(math.sqrt(self._dyn2[:self._filled].mean() if self._filled < len(self._dyn2)
                               else self._dyn2.mean()))
