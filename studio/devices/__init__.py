"""Device layer: one source interface for simulator, serial, BLE and replay. Never imports Qt."""

from studio.devices.base import DeviceError, Source, SourceStats
from studio.devices.registry import open_source, parse_uri

__all__ = ["DeviceError", "Source", "SourceStats", "open_source", "parse_uri"]
