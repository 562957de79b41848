"""Several devices: their names (and URIs) and which gesture belongs to which, stored in the project.

The project's ``"devices"`` setting holds ``{"devices": [{"name": "left", "uri": "ble://..."}, ...],
"gestures": {"<gesture id>": "left"}}``. Gestures are keyed by id so a rename keeps its device; a
gesture not listed belongs to *any* device. Device names appear in every output (OSC argument and
``{device}``, WebSocket ``"device"``, stream addresses), so they are short, OSC-safe words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SETTINGS_KEY = "devices"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")


class DeviceMapError(ValueError):
    """A device name or binding that cannot be used; the message says why in plain words."""


def check_name(name: object) -> str:
    """A device name: a letter or digit, then letters, digits, ``_ . -`` (32 at most)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise DeviceMapError(f"A device name is a short word of letters, digits, _ . or - (like 'left' or "
                             f"'ankle_2'), not {name!r}.")
    return name


@dataclass(frozen=True)
class DeviceEntry:
    """One named device and the URI it connects to ("" until chosen)."""

    name: str
    uri: str = ""


@dataclass(frozen=True)
class DeviceMap:
    """The project's devices and gesture bindings (gesture id -> device name)."""

    devices: tuple[DeviceEntry, ...] = ()
    gestures: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.devices]

    def device_of(self, gesture_id: int) -> str:
        """The device ``gesture_id`` belongs to; "" for any device."""
        return self.gestures.get(int(gesture_id), "")

    def allows(self, gesture_id: int, device: str) -> bool:
        """May an event of ``gesture_id`` come from ``device``?"""
        owner = self.device_of(gesture_id)
        return not owner or not device or owner == device

    def bind(self, gesture_id: int, device: str) -> DeviceMap:
        """A copy with ``gesture_id`` bound to ``device`` ("" = any device)."""
        gestures = dict(self.gestures)
        if device:
            check_name(device)
            gestures[int(gesture_id)] = device
        else:
            gestures.pop(int(gesture_id), None)
        return DeviceMap(self.devices, gestures)

    def with_device(self, name: str, uri: str = "") -> DeviceMap:
        """A copy with device ``name`` added (or its URI changed)."""
        check_name(name)
        devices = [d for d in self.devices if d.name != name]
        index = next((i for i, d in enumerate(self.devices) if d.name == name), len(devices))
        devices.insert(index, DeviceEntry(name, uri))
        return DeviceMap(tuple(devices), dict(self.gestures))

    def to_dict(self) -> dict:
        return {"devices": [{"name": d.name, "uri": d.uri} for d in self.devices],
                "gestures": {str(k): v for k, v in sorted(self.gestures.items())}}

    @classmethod
    def from_dict(cls, data: object) -> DeviceMap:
        """Parse the stored setting; DeviceMapError in plain words when it is damaged."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise DeviceMapError("The stored devices are not a JSON object.")
        devices = []
        for item in data.get("devices", []) or []:
            if not isinstance(item, dict) or not isinstance(item.get("uri", ""), str):
                raise DeviceMapError(f"A stored device is not {{'name': ..., 'uri': ...}}: {item!r}.")
            devices.append(DeviceEntry(check_name(item.get("name")), item.get("uri", "")))
        if len({d.name for d in devices}) != len(devices):
            raise DeviceMapError("Two stored devices have the same name.")
        gestures = {}
        raw = data.get("gestures", {}) or {}
        if not isinstance(raw, dict):
            raise DeviceMapError("The stored gesture devices are not a JSON object.")
        for key, value in raw.items():
            try:
                gestures[int(key)] = check_name(value)
            except (TypeError, ValueError) as exc:
                raise DeviceMapError(f"Stored gesture device {key!r}: {exc}") from None
        return cls(tuple(devices), gestures)


def load(project) -> tuple[DeviceMap, list[str]]:  # noqa: ANN001 - a Project
    """The project's device map, or an empty one plus the reason the stored one was unusable."""
    try:
        return DeviceMap.from_dict(project.get_setting(SETTINGS_KEY, None)), []
    except DeviceMapError as err:
        return DeviceMap(), [f"stored devices ignored: {err}"]


def parse_device_arg(text: str, index: int) -> DeviceEntry:
    """``NAME=URI`` or a bare URI (named ``imu1``, ``imu2``... by position) from ``--device``."""
    head, eq, rest = text.partition("=")
    if eq and _NAME.match(head) and "://" not in head and "?" not in head:
        return DeviceEntry(head, rest)
    return DeviceEntry(f"imu{index + 1}", text)
