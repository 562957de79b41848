"""UniMotion Gesture Studio: stream an IMU, describe gestures in words, recognise them live."""

__version__ = "0.1.0"
