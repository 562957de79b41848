"""Canonical stream model and signal processing. Never imports Qt."""

from studio.signals.stream import (
    CANONICAL_CHANNELS,
    CANONICAL_UNITS,
    Chunk,
    DropCounter,
    StreamInfo,
)
from studio.signals.ringbuffer import RingBuffer

__all__ = ["CANONICAL_CHANNELS", "CANONICAL_UNITS", "Chunk", "DropCounter", "RingBuffer", "StreamInfo"]
