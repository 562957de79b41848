"""OSC input: accelerometer and gyroscope arriving as OSC messages over UDP (phone apps, other tools).

URI: ``osc://0.0.0.0:9000?preset=zigsim`` or an explicit layout, e.g.
``osc://0.0.0.0:9000?acc=/accxyz&acc_unit=g&gyro=/gyro&gyro_unit=rad/s`` or, for one message carrying
both, ``acc=/imu&acc_args=0,1,2&gyro=/imu&gyro_args=3,4,5``.

Settings: ``acc``, ``gyro``, ``gravity`` are address patterns (``*`` matches any characters, so
``*/accel`` matches ZIG SIM's ``/ZIGSIM/<device id>/accel``); ``*_args`` are the three argument
positions of x, y, z (default 0,1,2); ``acc_unit`` g, mg, m/s^2 and ``gyro_unit`` deg/s, rad/s;
``gravity`` is added to the acceleration for apps that send it apart (acceleration without gravity);
``acc_sign=-1`` flips acceleration for apps that follow Apple's Core Motion convention (a phone lying
face up reads -1 g on z; the studio's canonical +1 g); ``rate`` is the grid the readings are put on
(default 100 Hz). Times are arrival times: OSC messages carry none that apps fill reliably.

Presets (from each app's published format):

* ``zigsim`` -- ZIG SIM (1→10, iOS and Android): ``/(deviceUUID)/accel`` user acceleration in G,
  ``/(deviceUUID)/gravity`` in G, ``/(deviceUUID)/gyro`` in rad/s, each x y z; Core Motion signs.
* ``touchosc`` -- TouchOSC (mk1) with Options ▸ Accelerometer (/xyz): ``/accxyz`` x y z in g, no
  gyroscope; Core Motion signs on iOS.
* ``studio`` -- this studio's own layout for bridges and scripts: ``/imu/acc`` x y z in g and
  ``/imu/gyro`` x y z in deg/s.

Like the phone sources, the readings go onto one grid through the shared merger, with the measured
rate, missing-gyroscope and no-data notices; unreadable datagrams are counted as parse errors, and
messages at addresses that no setting matches are named in a notice.
"""

from __future__ import annotations

import errno
import fnmatch
import socket
import threading
from dataclasses import dataclass, replace

import numpy as np

from studio.devices.faults import FaultKind, bad_config
from studio.devices.phone.common import PhoneSource, phone_fault
from studio.signals.units import canonical_unit

DEFAULT_PORT = 9000
MAX_DATAGRAM = 65535


@dataclass(frozen=True)
class OscLayout:
    """Where the readings are in the incoming messages (see the module docstring)."""

    acc: str = "/imu/acc"
    gyro: str = "/imu/gyro"
    gravity: str = ""
    acc_args: tuple[int, int, int] = (0, 1, 2)
    gyro_args: tuple[int, int, int] = (0, 1, 2)
    gravity_args: tuple[int, int, int] = (0, 1, 2)
    acc_unit: str = "g"
    gyro_unit: str = "deg/s"
    acc_sign: float = 1.0


PRESETS: dict[str, OscLayout] = {
    "zigsim": OscLayout(acc="*/accel", gyro="*/gyro", gravity="*/gravity", acc_unit="g", gyro_unit="rad/s",
                        acc_sign=-1.0),
    "touchosc": OscLayout(acc="/accxyz", gyro="", acc_unit="g", acc_sign=-1.0),
    "studio": OscLayout(),
}


class OscInputSource(PhoneSource):
    """Listens for OSC datagrams on ``host:port`` and streams the readings ``layout`` locates."""

    app_name = "OSC input"
    slow_fix = "Raise the send rate in the sending app's settings."
    join_s = 1.0

    def __init__(self, host: str = "0.0.0.0", port: int = DEFAULT_PORT, layout: OscLayout | None = None,
                 rate_hz: float = 100.0) -> None:
        super().__init__(f"{host}:{port}", rate_hz)
        self.host, self.port = host, port
        self.layout = layout or OscLayout()
        self._socket: socket.socket | None = None
        self._gravity: np.ndarray | None = None
        self._unmatched: dict[str, int] = {}
        self.matched = 0

    @property
    def bound_port(self) -> int:
        """The UDP port listened on (the one chosen by the system when the URI said port 0)."""
        return self._socket.getsockname()[1] if self._socket is not None else self.port

    @property
    def notices(self):  # noqa: ANN201 - list of DeviceFault
        out = super().notices
        if self._unmatched and not self.matched:
            seen = ", ".join(sorted(self._unmatched)[:4])
            out.append(phone_fault(f"OSC messages arrive, but at addresses the studio is not told to read: {seen}.",
                                   "Set acc= and gyro= in the device URI to those addresses, or pick a preset.",
                                   kind=FaultKind.BAD_CONFIG))
        return out

    def _connect(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, self.port))
        except OSError as err:
            sock.close()
            if err.errno == errno.EADDRINUSE:
                raise phone_fault(f"UDP port {self.port} on this computer is in use by another program.",
                                  f"Close it, or listen on another port (e.g. osc://{self.host}:{self.port + 1}) "
                                  "and send there.", kind=FaultKind.BUSY) from None
            if err.errno in (errno.EACCES, errno.EPERM):
                raise phone_fault(f"Not allowed to listen on UDP port {self.port}.", "Use a port above 1024.",
                                  kind=FaultKind.PERMISSION) from None
            raise phone_fault(f"Cannot listen on {self.host}:{self.port} ({err.strerror or err}).",
                              "Use 0.0.0.0 (all networks) or this computer's own address.",
                              kind=FaultKind.BAD_CONFIG) from None
        sock.settimeout(0.1)
        self._socket = sock
        self._gravity = None
        self._unmatched.clear()

    def _disconnect(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()

    def _reader(self, stop: threading.Event) -> None:
        from pythonosc.osc_packet import OscPacket, ParseError

        sock = self._socket
        while not stop.is_set():
            try:
                data, _ = sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError:
                if stop.is_set():
                    return
                raise
            try:
                messages = [timed.message for timed in OscPacket(data).messages]
            except (ParseError, ValueError, IndexError):
                self.parse_error()
                continue
            now = np.array([self.clock()])
            for message in messages:
                self.take(message.address, list(message.params), now)

    def take(self, address: str, args: list, t: np.ndarray) -> None:
        """Hand one message's readings over (the reader thread; tests call it directly)."""
        lay = self.layout
        used = False
        try:
            if lay.gravity and fnmatch.fnmatchcase(address, lay.gravity):
                self._gravity = _xyz(args, lay.gravity_args)
                used = True
            if lay.gyro and fnmatch.fnmatchcase(address, lay.gyro):
                self.put("gyro", t, _xyz(args, lay.gyro_args), lay.gyro_unit)
                used = True
            if lay.acc and fnmatch.fnmatchcase(address, lay.acc):
                used = True
                acc = _xyz(args, lay.acc_args)
                if lay.gravity:
                    if self._gravity is None:
                        return   # acceleration without gravity means little until gravity is known
                    acc = acc + self._gravity
                self.put("acc", t, lay.acc_sign * acc, lay.acc_unit)
        except (IndexError, TypeError, ValueError):
            self.parse_error()
            return
        if used:
            self.matched += 1
        elif len(self._unmatched) < 64:
            self._unmatched[address] = self._unmatched.get(address, 0) + 1


def _xyz(args: list, index: tuple[int, int, int]) -> np.ndarray:
    values = np.array([float(args[i]) for i in index], np.float64)
    if not np.isfinite(values).all():
        raise ValueError("non-finite reading")
    return values.reshape(1, 3)


def _indices(text: str, name: str) -> tuple[int, int, int]:
    try:
        values = tuple(int(p) for p in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 0:
        raise bad_config(f"OSC setting {name}={text!r} must be three argument positions.", f"For example {name}=0,1,2.")
    return values  # type: ignore[return-value]


def _pattern(text: str, name: str) -> str:
    text = text.strip()
    if text and not (text.startswith("/") or text.startswith("*")) or any(c.isspace() for c in text):
        raise bad_config(f"OSC setting {name}={text!r} is not an OSC address.",
                         f"Addresses start with '/', e.g. {name}=/accxyz (use * for any part, e.g. */accel).")
    return text


def from_uri(uri) -> OscInputSource:  # noqa: ANN001 - a registry.DeviceURI
    """Build the listener for ``osc://[HOST][:PORT]?preset=...&acc=...`` (default 0.0.0.0:9000)."""
    from studio.devices.phone.uri import host_port
    from studio.devices.uri_params import check_params, number

    known = ("preset", "rate", "acc", "gyro", "gravity", "acc_args", "gyro_args", "gravity_args", "acc_unit",
             "gyro_unit", "acc_sign")
    params = dict(uri.params)
    check_params(params, known, "OSC input setting", uri.text)
    preset = params.get("preset", "studio").strip().lower()
    if preset not in PRESETS:
        raise bad_config(f"Unknown OSC preset {preset!r}.", f"Known presets: {', '.join(PRESETS)}.")
    layout = PRESETS[preset]
    changes: dict = {}
    for name in ("acc", "gyro", "gravity"):
        if name in params:
            changes[name] = _pattern(params[name], name)
    for name in ("acc_args", "gyro_args", "gravity_args"):
        if name in params:
            changes[name] = _indices(params[name], name)
    for name, quantity in (("acc_unit", "g"), ("gyro_unit", "deg/s")):
        if name in params:
            unit = params[name].strip()
            try:
                ok = canonical_unit(unit) == quantity
            except ValueError:
                ok = False
            if not ok:
                choices = "g, mg, m/s^2" if quantity == "g" else "deg/s, rad/s, mdeg/s"
                raise bad_config(f"OSC setting {name}={unit!r} is not a unit the studio knows here.",
                                 f"Use one of {choices}.")
            changes[name] = unit
    if "acc_sign" in params:
        sign = number(params, "acc_sign", 1.0, -1.0, 1.0, what="OSC input setting")
        if sign not in (-1.0, 1.0):
            raise bad_config(f"OSC setting acc_sign={params['acc_sign']!r} must be 1 or -1.", "For example acc_sign=-1.")
        changes["acc_sign"] = sign
    layout = replace(layout, **changes)
    if not layout.acc:
        raise bad_config("The OSC input has no accelerometer address.", "Set acc=, e.g. acc=/accxyz.")
    host, port = ("0.0.0.0", DEFAULT_PORT)
    if uri.target.strip("/"):
        host, port = host_port(uri, DEFAULT_PORT, "osc://0.0.0.0:9000")
    return OscInputSource(host, port, layout, number(params, "rate", 100.0, 1.0, 1000.0, what="OSC input setting"))
