"""Settings of the continuous streams (stored in the project's ``"outputs"`` setting under ``"streams"``).

A stream sends one motion value at a steady rate: a device's roll, pitch or yaw (degrees, from the AHRS
filter), all three as ``orientation``, its motion ``energy`` (g), or a gesture's live ``similarity``
(cosine-like, at most 1). Each value is range-mapped (``in_min..in_max`` -> 0..1; OSC and WebSocket
send 0-1 floats, MIDI CC 0-127 or 0-16383 for 14-bit), smoothed (a one-pole low-pass with time constant
``smoothing_ms``) and held inside a ``deadband`` (a change smaller than this fraction of the range is
not sent).

OSC address scheme (``{device}`` and ``{gesture}`` are made OSC-safe):

==========================  ======================================  ============
signal                      default address                         arguments
==========================  ======================================  ============
roll / pitch / yaw          ``/imu/{device}/roll`` (pitch, yaw)     one float 0-1
orientation                 ``/imu/{device}/orientation``           r p y, 0-1 each
energy                      ``/imu/{device}/energy``                one float 0-1
similarity                  ``/gesture/{gesture}/similarity``       one float 0-1
==========================  ======================================  ============

With the Wekinator option every stream's value (0-1, in order, orientation as three) also goes as one
``/wek/inputs`` message of floats to the OSC host on port 6448, Wekinator's default input port.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

from studio.outputs.events import OutputError, check_port

SIGNALS = ("roll", "pitch", "yaw", "orientation", "energy", "similarity")
TARGETS = ("osc", "midi", "websocket")
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "roll": (-180.0, 180.0), "pitch": (-90.0, 90.0), "yaw": (-180.0, 180.0), "orientation": (-180.0, 180.0),
    "energy": (0.0, 2.0), "similarity": (0.0, 1.0),
}
DEFAULT_ADDRESSES: dict[str, str] = {
    "roll": "/imu/{device}/roll", "pitch": "/imu/{device}/pitch", "yaw": "/imu/{device}/yaw",
    "orientation": "/imu/{device}/orientation", "energy": "/imu/{device}/energy",
    "similarity": "/gesture/{gesture}/similarity",
}
UNITS = {"roll": "°", "pitch": "°", "yaw": "°", "orientation": "°", "energy": "g", "similarity": ""}
WEKINATOR_ADDRESS = "/wek/inputs"
WEKINATOR_PORT = 6448
MAX_RATE_HZ = 200.0


@dataclass(frozen=True)
class StreamConfig:
    """One continuous stream; see the module docstring for the meaning of each field."""

    name: str = "pitch"
    signal: str = "pitch"
    gesture: str = ""            # for similarity
    device: str = ""             # "" = the first (or only) device
    target: str = "osc"
    address: str = ""            # OSC; "" = the default scheme above
    cc: int = 1                  # MIDI controller (0-31 when 14-bit)
    channel: int = 1             # MIDI channel 1-16
    fine: bool = False           # 14-bit CC (MSB on cc, LSB on cc + 32)
    in_min: float = -90.0
    in_max: float = 90.0
    smoothing_ms: float = 0.0
    deadband: float = 0.0        # fraction of the output range, 0-0.5
    enabled: bool = True

    @classmethod
    def for_signal(cls, signal: str, name: str = "", **changes: object) -> StreamConfig:
        """A stream of ``signal`` with its default range."""
        low, high = DEFAULT_RANGES.get(signal, (0.0, 1.0))
        values: dict = {"in_min": low, "in_max": high, **changes}
        return cls(name=name or signal, signal=signal, **values)

    def check(self) -> StreamConfig:
        """Refuse settings that cannot work (OutputError naming the stream and the fix)."""
        who = f"Stream '{self.name}'"
        if not self.name.strip():
            raise OutputError("A stream needs a name.")
        if self.signal not in SIGNALS:
            raise OutputError(f"{who}: signal {self.signal!r} is not one of {', '.join(SIGNALS)}.")
        if self.target not in TARGETS:
            raise OutputError(f"{who}: target {self.target!r} is not one of OSC, MIDI, WebSocket.")
        if self.signal == "similarity" and not self.gesture.strip():
            raise OutputError(f"{who}: choose the gesture whose similarity it sends.")
        if self.signal == "orientation" and self.target == "midi":
            raise OutputError(f"{who}: a MIDI CC carries one value; send roll, pitch or yaw as separate streams.")
        if not (math.isfinite(self.in_min) and math.isfinite(self.in_max)):
            raise OutputError(f"{who}: the input range must be two finite numbers.")
        if self.in_min == self.in_max:
            raise OutputError(f"{who}: the input range {self.in_min:g} to {self.in_max:g} is empty; "
                              "make the two ends differ.")
        if not 0.0 <= self.smoothing_ms <= 10_000.0:
            raise OutputError(f"{who}: smoothing must be 0 to 10000 ms, not {self.smoothing_ms:g}.")
        if not 0.0 <= self.deadband <= 0.5:
            raise OutputError(f"{who}: the deadband must be 0 to 0.5 of the range, not {self.deadband:g}.")
        if self.target == "midi":
            if not 1 <= self.channel <= 16:
                raise OutputError(f"{who}: MIDI channel must be 1 to 16, not {self.channel}.")
            top = 31 if self.fine else 119
            if not 0 <= self.cc <= top:
                raise OutputError(f"{who}: controller {self.cc} is out of range "
                                  f"({'0-31 for 14-bit' if self.fine else '0-119'}).")
        if self.target == "osc" and self.address:
            from studio.outputs.osc import check_address

            check_address(self.address.replace("{device}", "d").replace("{gesture}", "g"))
        return self

    def osc_address(self, device: str, gesture: str = "") -> str:
        """The address this stream sends to for ``device`` (and ``gesture``)."""
        from studio.outputs.osc import osc_name

        template = self.address or DEFAULT_ADDRESSES[self.signal]
        return template.replace("{device}", osc_name(device or "imu")).replace("{gesture}", osc_name(gesture))

    def describe(self) -> str:
        """'pitch of any device -> MIDI CC 1 (ch 1)'."""
        what = f"similarity to {self.gesture}" if self.signal == "similarity" else self.signal
        dev = self.device or "any device"
        if self.target == "midi":
            where = f"MIDI CC {self.cc}{'/' + str(self.cc + 32) if self.fine else ''} (ch {self.channel})"
        elif self.target == "osc":
            where = f"OSC {self.osc_address(self.device or 'imu', self.gesture)}"
        else:
            where = "WebSocket"
        return f"{what} of {dev} -> {where}"


@dataclass(frozen=True)
class StreamsConfig:
    """All continuous streams: on/off, the rate, the similarity rate and the Wekinator option."""

    enabled: bool = False
    rate_hz: float = 50.0
    similarity_hz: float = 10.0   # the encoder costs milliseconds per window: similarity updates slower
    wekinator: bool = False
    wekinator_port: int = WEKINATOR_PORT
    streams: tuple[StreamConfig, ...] = field(default_factory=tuple)

    def check(self) -> StreamsConfig:
        """Refuse an unusable rate or stream (OutputError in plain words)."""
        if not (math.isfinite(self.rate_hz) and 1.0 <= self.rate_hz <= MAX_RATE_HZ):
            raise OutputError(f"The stream rate must be 1 to {MAX_RATE_HZ:g} Hz, not {self.rate_hz:g}.")
        if not (math.isfinite(self.similarity_hz) and 0.5 <= self.similarity_hz <= MAX_RATE_HZ):
            raise OutputError(f"The similarity rate must be 0.5 to {MAX_RATE_HZ:g} Hz, not {self.similarity_hz:g}.")
        check_port(self.wekinator_port)
        names = [s.name for s in self.streams]
        if len(set(names)) != len(names):
            raise OutputError("Two streams have the same name; give each its own.")
        for s in self.streams:
            s.check()
        return self

    def to_dict(self) -> dict:
        """Plain data as stored."""
        data = asdict(self)
        data["streams"] = [asdict(s) for s in self.streams]
        return data

    @classmethod
    def from_dict(cls, data: object) -> StreamsConfig:
        """Parse stored data; wrong types raise OutputError (values are checked by :meth:`check`)."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise OutputError("The stream settings are not a JSON object.")
        top = _typed(cls, {k: v for k, v in data.items() if k != "streams"}, skip=("streams",))
        raw = data.get("streams", [])
        if not isinstance(raw, list):
            raise OutputError("The list of streams is not a JSON list.")
        return replace(top, streams=tuple(_typed(StreamConfig, s) for s in raw))


def _typed(kind: type, data: object, skip: tuple[str, ...] = ()):
    if not isinstance(data, dict):
        raise OutputError(f"A {kind.__name__} is not a JSON object.")
    defaults = kind()
    values = {}
    for f in fields(kind):
        if f.name in skip:
            continue
        default = getattr(defaults, f.name)
        value = data.get(f.name, default)
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)   # JSON writes 50.0 as 50
        expected = type(default)
        if (expected is int and isinstance(value, bool)) or not isinstance(value, expected):
            raise OutputError(f"Stream setting {f.name} must be {expected.__name__}, not {value!r}.")
        values[f.name] = value
    return kind(**values)
