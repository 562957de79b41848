"""BLE profiles: which characteristic to subscribe to and how to turn its notifications into samples.

Built in: BBC micro:bit (accelerometer service; no gyroscope), Nordic Thingy:52 (raw motion), WitMotion
WT901BLE, Nordic UART with CSV text (``nus``) or our framed protocol (``nus-frame``). Anything else is a
:class:`GenericProfile` (service + characteristic UUID, and a ``struct`` layout with a channel, scale and
unit per field, or CSV text) that the user defines once and saves by name in a JSON file under the user
config dir (:class:`ProfileStore`).
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from studio.devices.formats import ACC_ONLY, NAN, Parser, Sample
from studio.devices.formats.csv_lines import CsvLineParser
from studio.devices.formats.frame import FrameParser
from studio.devices.formats.witmotion import WitMotionBleParser
from studio.signals.stream import CANONICAL_CHANNELS
from studio.signals.units import _TO_CANONICAL, canonical_unit

NUS_SERVICE = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_TX = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"  # peripheral -> studio (notify)
MICROBIT_ACC_SERVICE = "e95d0753-251d-470a-a062-fa1922dfa9a8"
MICROBIT_ACC_DATA = "e95dca4b-251d-470a-a062-fa1922dfa9a8"
MICROBIT_ACC_PERIOD = "e95dfb24-251d-470a-a062-fa1922dfa9a8"
THINGY_MOTION_SERVICE = "ef680400-9b35-4933-9b10-52ffa9740042"
THINGY_RAW = "ef680406-9b35-4933-9b10-52ffa9740042"
WITMOTION_SERVICE = "0000ffe5-0000-1000-8000-00805f9a34fb"
WITMOTION_NOTIFY = "0000ffe4-0000-1000-8000-00805f9a34fb"
WITMOTION_WRITE = "0000ffe9-0000-1000-8000-00805f9a34fb"
# Unlock the configuration, then output rate 0x08 = 50 Hz (factory setting is 10 Hz, too slow for
# gestures). Not saved: the sensor returns to its own setting after a power cycle.
WITMOTION_SETUP = ((WITMOTION_WRITE, b"\xff\xaa\x69\x88\xb5"), (WITMOTION_WRITE, b"\xff\xaa\x03\x08\x00"))
NICLA_SERVICE = "19b10000-0000-537e-4f6c-d104768a1214"
NICLA_ACC = "19b10000-5001-537e-4f6c-d104768a1214"
NICLA_GYRO = "19b10000-6001-537e-4f6c-d104768a1214"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ProfileError(ValueError):
    """A generic profile that cannot work, or a profile file that cannot be read; the text says why."""


@dataclass(frozen=True)
class Field:
    """One value of a struct layout: the canonical channel it feeds ("" = ignore), a scale applied to
    the raw number, and the unit of the scaled value (converted to canonical units afterwards)."""

    channel: str = ""
    scale: float = 1.0
    unit: str = ""


class StructParser(Parser):
    """Notifications made of one or more fixed-size ``struct`` records."""

    name = "struct"

    def __init__(self, layout: str, fields: tuple[Field, ...]) -> None:
        super().__init__()
        self._struct = struct.Struct(layout)
        self._plan = []
        for i, f in enumerate(fields):
            if f.channel:
                unit = f.unit or ("g" if f.channel.startswith("acc") else "deg/s")
                factor = _TO_CANONICAL[unit][1] * f.scale
                self._plan.append((i, CANONICAL_CHANNELS.index(f.channel), factor))
        self.channels = tuple(c for c in CANONICAL_CHANNELS if any(c == f.channel for f in fields))

    def feed(self, data: bytes) -> list[Sample]:
        size = self._struct.size
        if not data or len(data) % size:
            self.errors += 1
            return []
        out = []
        for record in self._struct.iter_unpack(data):
            values = [NAN] * 6
            for i, ch, factor in self._plan:
                values[ch] = record[i] * factor
            out.append(Sample(tuple(values)))
        self.samples += len(out)
        return out


@dataclass(frozen=True)
class BleProfile:
    """How to read one kind of device: subscribe to ``notify`` in ``service`` and parse with
    ``make_parser()``; write ``setup`` (characteristic, bytes) pairs after connecting.

    ``extra`` lists further (characteristic, parser factory) pairs for devices that send acc and gyro
    on separate characteristics: their latest values fill the channels the main one lacks
    (sample-and-hold), so samples are paced by the main characteristic.
    """

    key: str
    title: str
    service: str
    notify: str
    make_parser: Callable[[], Parser]
    has_gyro: bool | None = True  # None: depends on what the device sends
    names: tuple[str, ...] = ()
    setup: tuple[tuple[str, bytes], ...] = ()
    rate_hz: float = 0.0
    extra: tuple[tuple[str, Callable[[], Parser]], ...] = ()


BUILTIN: dict[str, BleProfile] = {p.key: p for p in (
    BleProfile("microbit", "BBC micro:bit (accelerometer service)", MICROBIT_ACC_SERVICE, MICROBIT_ACC_DATA,
               lambda: StructParser("<3h", tuple(Field(c, 1.0, "mg") for c in ACC_ONLY)),
               has_gyro=False, names=("BBC micro:bit",), setup=((MICROBIT_ACC_PERIOD, struct.pack("<H", 20)),),
               rate_hz=50.0),
    BleProfile("thingy52", "Nordic Thingy:52 (raw motion)", THINGY_MOTION_SERVICE, THINGY_RAW,
               lambda: StructParser("<9h", tuple(Field(c, 1 / 1024, "g") for c in ACC_ONLY)
                                    + tuple(Field(c, 1 / 32, "deg/s") for c in CANONICAL_CHANNELS[3:])
                                    + (Field(), Field(), Field())),
               names=("Thingy",)),
    BleProfile("witmotion", "WitMotion WT901BLE", WITMOTION_SERVICE, WITMOTION_NOTIFY, WitMotionBleParser,
               names=("WT901", "WT9011"), setup=WITMOTION_SETUP),
    # Arduino's Nicla Sense ME dashboard sketch: 3 x float32 per characteristic (layout per
    # shared/notes/devices.md; not yet checked against a board).
    BleProfile("nicla", "Arduino Nicla Sense ME (dashboard sketch)", NICLA_SERVICE, NICLA_ACC,
               lambda: StructParser("<3f", tuple(Field(c, 1.0, "g") for c in ACC_ONLY)), names=("Nicla",),
               extra=((NICLA_GYRO, lambda: StructParser("<3f", tuple(Field(c, 1.0, "deg/s")
                                                                     for c in CANONICAL_CHANNELS[3:]))),)),
    BleProfile("nus", "Nordic UART, CSV text lines", NUS_SERVICE, NUS_TX, CsvLineParser, has_gyro=None),
    BleProfile("nus-frame", "Nordic UART, UniMotion frames (our firmware)", NUS_SERVICE, NUS_TX, FrameParser,
               has_gyro=None, names=("UniMotion",)),
)}


def _uuid(text: str, what: str) -> str:
    value = text.strip().lower()
    if re.fullmatch(r"[0-9a-f]{4}", value):  # 16-bit SIG short form
        value = f"0000{value}-0000-1000-8000-00805f9a34fb"
    if not _UUID.match(value):
        raise ProfileError(f"The {what} UUID {text!r} is not a UUID (like 6e400003-b5a3-f393-e0a9-e50e24dcca9e "
                           "or a 4-digit short form).")
    return value


@dataclass(frozen=True)
class GenericProfile:
    """A user-defined profile. ``kind`` is ``"struct"`` (``layout`` + one :class:`Field` per value) or
    ``"csv"`` (text lines, units given by ``acc_unit``/``gyro_unit``)."""

    name: str
    service: str
    characteristic: str
    kind: str = "struct"
    layout: str = "<6h"
    fields: tuple[Field, ...] = ()
    acc_unit: str = "g"
    gyro_unit: str = "deg/s"
    rate_hz: float = 0.0
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def validated(self) -> "GenericProfile":
        """A normalised copy; raises :class:`ProfileError` with a plain message if it cannot work."""
        name = self.name.strip()
        if not name:
            raise ProfileError("A profile needs a name.")
        if len(name) > 60 or any(c in name for c in "/\\:?&="):
            raise ProfileError(f"The profile name {name!r} is too long or contains one of / \\ : ? & =.")
        service, char = _uuid(self.service, "service"), _uuid(self.characteristic, "characteristic")
        fields = tuple(f if isinstance(f, Field) else Field(**f) for f in self.fields)
        if self.kind == "struct":
            try:
                size = struct.calcsize(self.layout)
            except struct.error as exc:
                raise ProfileError(f"The struct layout {self.layout!r} is not valid ({exc}).") from None
            n_values = len(struct.unpack(self.layout, bytes(size)))
            if any(ch in self.layout for ch in "sp?x"):
                raise ProfileError("Use only number formats (b B h H i I f d …) in the layout.")
            if n_values != len(fields):
                raise ProfileError(f"The layout {self.layout!r} has {n_values} values but {len(fields)} fields "
                                   "are described; give one field per value (channel '' to ignore it).")
            for f in fields:
                if f.channel and f.channel not in CANONICAL_CHANNELS:
                    raise ProfileError(f"Unknown channel {f.channel!r}; use one of {', '.join(CANONICAL_CHANNELS)}.")
                if not math.isfinite(f.scale) or f.scale == 0:
                    raise ProfileError(f"The scale of {f.channel or 'a field'} must be a non-zero number.")
                if f.channel and f.unit:
                    try:
                        ok = canonical_unit(f.unit) == ("g" if f.channel.startswith("acc") else "deg/s")
                    except ValueError:
                        ok = False
                    if not ok:
                        raise ProfileError(f"The unit {f.unit!r} does not fit {f.channel}.")
            if not any(f.channel for f in fields):
                raise ProfileError("At least one field must feed a channel.")
        elif self.kind == "csv":
            for unit, quantity in ((self.acc_unit, "g"), (self.gyro_unit, "deg/s")):
                try:
                    canonical_unit(unit)
                except ValueError:
                    raise ProfileError(f"Unknown unit {unit!r}.") from None
        else:
            raise ProfileError(f"Unknown profile kind {self.kind!r}; use 'struct' or 'csv'.")
        return GenericProfile(name, service, char, self.kind, self.layout, fields, self.acc_unit,
                              self.gyro_unit, float(self.rate_hz), self.notes)

    def to_profile(self) -> BleProfile:
        spec = self.validated()
        if spec.kind == "struct":
            make = lambda: StructParser(spec.layout, spec.fields)  # noqa: E731
            has_gyro: bool | None = any(f.channel.startswith("gyro") for f in spec.fields)
        else:
            make = lambda: CsvLineParser(acc_unit=spec.acc_unit, gyro_unit=spec.gyro_unit)  # noqa: E731
            has_gyro = None
        return BleProfile(f"generic:{spec.name}", spec.name, spec.service, spec.characteristic, make,
                          has_gyro, rate_hz=spec.rate_hz)

    def preview(self, payload: bytes) -> tuple[list[dict[str, float]], int]:
        """Decode one captured notification as the editor's live preview: (samples as
        {channel: canonical value} for the channels this profile feeds, records it could not parse)."""
        parser = self.to_profile().make_parser()
        samples = parser.feed(bytes(payload) + (b"\n" if self.kind == "csv" else b""))
        rows = [{c: v for c, v in zip(CANONICAL_CHANNELS, s.values) if c in parser.channels} for s in samples]
        return rows, parser.errors

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("extra")
        return data

    @staticmethod
    def from_dict(data: dict) -> "GenericProfile":
        known = {k: v for k, v in data.items() if k in GenericProfile.__dataclass_fields__ and k != "extra"}
        known["fields"] = tuple(Field(**f) for f in known.get("fields", ()))
        try:
            return GenericProfile(**known).validated()
        except TypeError as exc:
            raise ProfileError(f"A saved profile is incomplete ({exc}).") from None


def user_config_dir() -> Path:
    """The per-user configuration folder of the studio (XDG on Linux, AppData on Windows);
    ``UNIMOTION_CONFIG_DIR`` overrides it (tests, portable installs)."""
    if os.environ.get("UNIMOTION_CONFIG_DIR"):
        return Path(os.environ["UNIMOTION_CONFIG_DIR"])
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "unimotion-studio"


class ProfileStore:
    """Saved generic profiles in one JSON file (``path`` injectable; default under the user config dir).

    A corrupt file is never overwritten: reading it raises :class:`ProfileError` naming the file.
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else user_config_dir() / "ble_profiles.json"

    def _read(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("profiles", {}), dict):
                raise ValueError("not a profile file")
        except (OSError, ValueError) as exc:
            raise ProfileError(f"The profile file {self.path} cannot be read ({exc}); fix or remove it.") from None
        return data.get("profiles", {})

    def names(self) -> list[str]:
        return sorted(self._read())

    def load(self, name: str) -> GenericProfile:
        try:
            return GenericProfile.from_dict(self._read()[name])
        except KeyError:
            raise ProfileError(f"There is no saved profile called {name!r}.") from None

    def all(self) -> list[GenericProfile]:
        return [self.load(n) for n in self.names()]

    def save(self, profile: GenericProfile, overwrite: bool = False) -> GenericProfile:
        """Validate and store; refuses a duplicate name unless ``overwrite``."""
        spec = profile.validated()
        profiles = self._read()
        if spec.name in profiles and not overwrite:
            raise ProfileError(f"A profile called {spec.name!r} already exists.")
        profiles[spec.name] = spec.to_dict()
        self._write(profiles)
        return spec

    def delete(self, name: str) -> None:
        profiles = self._read()
        if profiles.pop(name, None) is None:
            raise ProfileError(f"There is no saved profile called {name!r}.")
        self._write(profiles)

    def _write(self, profiles: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": 1, "profiles": profiles}, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a crash mid-save leaves the old file intact


def get_profile(key: str, store: ProfileStore | None = None) -> BleProfile:
    """A built-in profile by key, or ``generic:NAME`` from ``store`` (default store if None)."""
    if key in BUILTIN:
        return BUILTIN[key]
    if key.startswith("generic:"):
        return (store or ProfileStore()).load(key.partition(":")[2]).to_profile()
    raise ProfileError(f"Unknown BLE profile {key!r}; known: {', '.join(BUILTIN)}, generic:NAME.")


def profile_choices(store: ProfileStore | None = None) -> list[tuple[str, str]]:
    """(key, title) of every profile a user can pick, built-ins first; unreadable store → built-ins only."""
    choices = [(p.key, p.title) for p in BUILTIN.values()]
    try:
        choices += [(f"generic:{n}", f"{n} (generic)") for n in (store or ProfileStore()).names()]
    except ProfileError:
        pass
    return choices


def recognise(name: str | None, service_uuids: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Keys of built-in profiles that fit an advertisement (service UUIDs first, then name)."""
    uuids = {u.lower() for u in service_uuids}
    text = (name or "").lower()
    found = [p.key for p in BUILTIN.values() if p.service in uuids and p.service != NUS_SERVICE]
    found += [p.key for p in BUILTIN.values() if p.key not in found and p.service != NUS_SERVICE
              and any(n.lower() in text for n in p.names)]
    if NUS_SERVICE in uuids or "unimotion" in text:
        # Our firmware names itself "UniMotion-…" and sends frames; other NUS devices usually send text.
        found += ["nus-frame", "nus"] if "unimotion" in text else ["nus", "nus-frame"]
    return found
