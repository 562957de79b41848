"""Device URIs: ``simulator``, ``serial:///dev/ttyACM0?format=csv&baud=115200``,
``ble://ADDRESS?profile=thingy52``, ``replay:///path/to/file.csv?speed=1``; phones on the local network:
``phyphox://PHONE:8080``, ``sensorserver://PHONE:8080``, ``sensorlogger://0.0.0.0:8000`` (listens);
OSC from any sender: ``osc://0.0.0.0:9000?preset=zigsim`` (listens, see :mod:`studio.devices.osc_input`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from studio.devices.base import DeviceError, Source

# scheme -> "module:factory"; factories take a DeviceURI and return a Source. Imported lazily so that
# bleak or pyserial load only when used.
_FACTORIES: dict[str, str] = {
    "simulator": "studio.devices.simulator:from_uri",
    "sim": "studio.devices.simulator:from_uri",
    "serial": "studio.devices.serial_source:from_uri",
    "ble": "studio.devices.ble:from_uri",
    "replay": "studio.devices.replay:from_uri",
    "phyphox": "studio.devices.phone.phyphox:from_uri",
    "sensorserver": "studio.devices.phone.sensorserver:from_uri",
    "sensorlogger": "studio.devices.phone.sensorlogger:from_uri",
    "osc": "studio.devices.osc_input:from_uri",
}


@dataclass(frozen=True)
class DeviceURI:
    """A parsed device URI: ``scheme://target?params`` and the text it came from."""

    scheme: str
    target: str = ""  # device path or BLE address
    params: dict[str, str] = field(default_factory=dict)
    text: str = ""


def parse_uri(uri: str) -> DeviceURI:
    """Parse a device URI; a bare name like ``simulator`` is a scheme with no target."""
    text = uri.strip()
    if not text:
        raise DeviceError("No device given.", "Use e.g. 'simulator' or 'serial:///dev/ttyACM0'.")
    if "://" not in text and ":" not in text.split("?")[0]:
        head, _, query = text.partition("?")
        return DeviceURI(head.lower(), "", dict(parse_qsl(query)), text)
    parts = urlsplit(text)
    target = parts.netloc + parts.path if parts.scheme != "ble" else (parts.netloc or parts.path.lstrip("/"))
    return DeviceURI(parts.scheme.lower(), target, dict(parse_qsl(parts.query)), text)


def open_source(uri: str) -> Source:
    """Build (not yet open) the source for ``uri``."""
    parsed = parse_uri(uri)
    spec = _FACTORIES.get(parsed.scheme)
    if spec is None:
        raise DeviceError(
            f"Unknown device type {parsed.scheme!r} in {uri!r}.",
            f"Known types: {', '.join(sorted(_FACTORIES))}.",
        )
    module_name, _, attr = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    source = factory(parsed)
    source.uri = parsed.text
    return source
