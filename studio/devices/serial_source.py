"""Serial IMU source (pyserial): ``serial:///dev/ttyACM0?format=csv|witmotion|frame|auto&baud=115200``.

``baud`` defaults to 115200 (9600 for ``format=witmotion``, the modules' factory setting). Other URI
parameters: ``rate`` (nominal Hz if known; otherwise estimated), ``acc_unit``/``gyro_unit``/
``time_unit`` (CSV only, see :class:`~studio.devices.formats.csv_lines.CsvLineParser`), ``probe``
(seconds :meth:`SerialSource.open` listens to detect the format and estimate the rate; samples seen
while probing are kept, not dropped).

The runner thread calls :meth:`read`; no extra thread is needed because pyserial's read blocks in
``select`` with a timeout. Any OS error is turned into a :class:`~studio.devices.faults.DeviceFault`.
"""

from __future__ import annotations

import os
import time

import numpy as np

from studio.devices import faults, uri_params
from studio.devices.base import Source
from studio.devices.formats import FORMATS, Parser, Sample, Timestamper, detect_format, make_parser
from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS, Chunk, StreamInfo

_DETECT_AFTER = 48     # bytes needed before guessing the format
_DETECT_GIVE_UP = 8192  # bytes of unrecognised data before telling the user
_CSV_OPTIONS = ("acc_unit", "gyro_unit", "time_unit")


def available_ports() -> list[str]:
    """Device paths of the serial ports present now (USB first, legacy on-board ttyS ports left out)."""
    from studio.devices.discover_cmd import list_serial_ports

    return [p.device for p in list_serial_ports()]


class SerialSource(Source):
    """Reads an IMU over a serial port (or any pyserial URL such as ``loop://``)."""

    def __init__(self, port: str, fmt: str = "auto", baud: int = 115200, rate_hz: float = 0.0,
                 probe_s: float = 0.3, options: dict[str, str] | None = None) -> None:
        super().__init__()
        if fmt not in FORMATS + ("auto",):
            raise faults.bad_config(f"Unknown serial format {fmt!r}.", f"Use one of: auto, {', '.join(FORMATS)}.")
        self.port, self.fmt, self.baud = port, fmt, int(baud)
        self.nominal_rate = float(rate_hz)
        self.probe_s = probe_s
        self.options = dict(options or {})
        self.uri = f"serial://{port}?format={fmt}&baud={self.baud}"
        self._ser = None
        self._parser: Parser | None = None
        self._detected: str | None = None
        self._channels: tuple[str, ...] = CANONICAL_CHANNELS
        self._raw = b""
        self._pending: list[Sample] = []
        self._was_open = False
        self._errors_before = 0
        self._clock = Timestamper(self.nominal_rate)

    @property
    def info(self) -> StreamInfo:
        return StreamInfo(CANONICAL_CHANNELS, tuple(CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS),
                          self.rate_hz, f"serial {self.port} ({self.detected_format or self.fmt})")

    @property
    def rate_hz(self) -> float:
        """Nominal rate if given, else estimated from device timestamps or arrival times (0 = unknown)."""
        return self._clock.rate_hz

    @property
    def detected_format(self) -> str | None:
        """The format in use: the URI's, or the one ``auto`` recognised (None until data arrived)."""
        return self._detected or (None if self.fmt == "auto" else self.fmt)

    @property
    def channels_present(self) -> tuple[str, ...]:
        """Canonical channels the device actually sends (the others are NaN in every chunk)."""
        return self._channels

    @property
    def notices(self) -> list[faults.DeviceFault]:
        """Non-fatal things the user should know (e.g. no gyroscope)."""
        if self.stats.samples and "gyro_x" not in self._channels:
            return [faults.no_gyroscope(f"The device on {self.port}")]
        return []

    def open(self) -> None:
        import serial

        if self._ser is not None:
            return
        parser = None if self.fmt == "auto" else self._make_parser(self.fmt)
        if "://" not in self.port and not os.path.exists(self.port):
            # After streaming, a vanished port is an unplugged cable (retry); before, a wrong name.
            raise faults.unplugged(self.port) if self._was_open else faults.missing(self.port, self._ports())
        try:
            # exclusive: a second program opening the port gets a clear "busy" instead of stolen bytes
            # (POSIX flock; Windows ports are exclusive anyway).
            extra = {"exclusive": True} if os.name == "posix" else {}
            self._ser = serial.serial_for_url(self.port, baudrate=self.baud, timeout=0.05, **extra)
        except (OSError, serial.SerialException, ValueError) as exc:
            raise faults.from_serial_error(exc, self.port, was_open=self._was_open,
                                           available=self._ports()) from exc
        self._was_open = True
        self._raw, self._pending = b"", []
        self._clock.reset()
        self._parser = parser
        deadline = time.monotonic() + self.probe_s
        try:
            while time.monotonic() < deadline and len(self._pending) < 50:
                self._pending.extend(self._pull(min(0.05, max(0.0, deadline - time.monotonic()))))
        except faults.DeviceFault:
            self.close()
            raise

    def _make_parser(self, fmt: str) -> Parser:
        opts = {k: v for k, v in self.options.items() if k in _CSV_OPTIONS} if fmt == "csv" else {}
        try:
            return make_parser(fmt, **opts)
        except (KeyError, ValueError) as exc:
            raise faults.bad_config(f"Bad unit in {self.uri}: {exc}.",
                                    "Units: g, mg, m/s^2 (acc); deg/s, rad/s (gyro); s, ms, us (time).") from None

    def _ports(self) -> list[str]:
        try:
            return available_ports()
        except Exception:  # listing is only a hint in a message; never let it mask the real fault
            return []

    def _pull(self, timeout: float) -> list[Sample]:
        """Read what the port has (waiting up to ``timeout`` for the first byte) and parse it."""
        import serial

        ser = self._ser
        try:
            if ser.timeout != timeout:  # setting it reconfigures the port (tcsetattr): only on change
                ser.timeout = timeout
            data = ser.read(max(1, ser.in_waiting))
            if data and ser.in_waiting:
                data += ser.read(ser.in_waiting)
        except (OSError, serial.SerialException) as exc:
            raise faults.from_serial_error(exc, self.port, was_open=True) from exc
        if not data:
            return []
        if self._parser is None:
            self._raw += data
            if len(self._raw) < _DETECT_AFTER:
                return []
            fmt = detect_format(self._raw)
            if fmt is None:
                if len(self._raw) > _DETECT_GIVE_UP:
                    raise faults.bad_config(
                        f"The data on {self.port} is not in a format the studio knows.",
                        f"Check the baud rate (now {self.baud}) or pick the format (csv, witmotion, frame).")
                return []
            self._parser = self._make_parser(fmt)
            self._detected = fmt
            data, self._raw = self._raw, b""
        return self._parser.feed(data)

    def read(self, timeout: float = 0.1) -> Chunk | None:
        if self._ser is None:
            raise faults.unplugged(self.port)
        samples, self._pending = self._pending, []
        if not samples:
            samples = self._pull(timeout)
        if not samples:
            return None
        return self._chunk(samples, time.monotonic())

    def _chunk(self, samples: list[Sample], now: float) -> Chunk:
        t = self._clock.stamp(samples, now)
        data = np.array([s.values for s in samples], np.float32)
        seq = np.array([s.seq for s in samples], np.int64)
        self.stats.samples += len(samples)
        if self._parser is not None:
            self._channels = self._parser.channels
        self.stats.parse_errors = self._errors_before + (self._parser.errors if self._parser else 0)
        return Chunk(np.array(t), data, seq)

    def close(self) -> None:
        if self._parser is not None:
            self._errors_before += self._parser.errors
            self.stats.parse_errors = self._errors_before
            self._parser = None
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except Exception:  # closing a vanished port may fail; it is gone either way
                pass


def from_uri(uri) -> SerialSource:
    """Factory for ``serial://PATH?format=...&baud=...&rate=...`` (see the module docstring)."""
    params = dict(uri.params)
    if not uri.target:
        raise faults.bad_config("No serial port given.", "Use e.g. serial:///dev/ttyACM0?format=csv.")
    try:
        # WitMotion modules ship at 9600 baud; everything else we know defaults to 115200.
        baud = int(params.pop("baud", 9600 if params.get("format") == "witmotion" else 115200))
        rate = float(params.pop("rate", 0.0))
        probe = float(params.pop("probe", 0.3))
    except ValueError as exc:
        raise faults.bad_config(f"Bad number in {uri.text!r}: {exc}.") from exc
    fmt = params.pop("format", "auto")
    uri_params.check_params(params, ("format", "baud", "rate", "probe", *_CSV_OPTIONS), "serial option", uri.text)
    return SerialSource(uri.target, fmt, baud, rate, probe, params)
