"""phyphox (RWTH Aachen, Android and iOS) over its remote-access web server.

The phone serves ``http://PHONE:8080`` (iPhones: port 80) once "Allow remote access" is ticked in an
experiment's menu. The studio reads ``/config`` to learn which buffers the open experiment fills from
the accelerometer (with g) and the gyroscope, starts the measurement with ``/control?cmd=start``
and then polls ``/get`` incrementally, asking each buffer only for the values whose time is past the
last one received (``accX=12.5|acc_time&...&acc_time=12.5``), as phyphox's own web interface does.
Values arrive in m/s² and rad/s on phyphox's experiment clock (seconds).

URI: ``phyphox://192.168.1.20:8080?rate=100&poll=0.04&start=1``.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

from studio.devices.base import DeviceError
from studio.devices.faults import FaultKind
from studio.devices.phone.common import PhoneSource, dropped, phone_fault, restarted, unreachable
from studio.devices.phone.merge import JUMP_BACK_S
from studio.signals.stream import StreamInfo

DEFAULT_PORT = 8080
MAX_TIMEOUT_S = 5.0   # a request never blocks longer, so close() can wait for the reader to end
STALL_PROBE_S = 0.5   # measuring but no new values for this long: check whether phyphox cleared its data
EXPERIMENT_FIX = ("In phyphox open \"Acceleration with g\" (acceleration only) or the studio's own experiment "
                  "(resources/phone/studio-imu.phyphox: acceleration with g and gyroscope), then tick "
                  "\"Allow remote access\" in its menu.")


@dataclass(frozen=True)
class Buffers:
    """The four buffers one 3-axis phyphox sensor writes: x, y, z and its time."""

    x: str
    y: str
    z: str
    t: str

    @property
    def values(self) -> tuple[str, str, str]:
        """The x, y and z buffer names."""
        return (self.x, self.y, self.z)


STOCK_ACC = Buffers("accX", "accY", "accZ", "acc_time")     # "Acceleration with g"
STOCK_GYRO = Buffers("gyrX", "gyrY", "gyrZ", "gyr_time")    # "Gyroscope (rotation rate)"


def buffers_from_config(config: dict) -> dict[str, Buffers]:
    """Sensor name -> its buffers, from phyphox's ``/config`` answer (inputs with x, y, z and t)."""
    found: dict[str, Buffers] = {}
    inputs = config.get("inputs")
    for entry in inputs if isinstance(inputs, list) else []:
        if not isinstance(entry, dict):
            continue
        outputs: dict[str, str] = {}
        for out in entry.get("outputs") or []:
            if isinstance(out, dict):
                outputs.update({k: v for k, v in out.items() if isinstance(v, str)})
        if all(k in outputs for k in "xyzt"):
            found.setdefault(str(entry.get("source", "")), Buffers(*(outputs[k] for k in "xyzt")))
    return found


class PhyphoxSource(PhoneSource):
    """Polls phyphox's remote-access interface for accelerometer (with g) and gyroscope data."""

    app_name = "phyphox"

    def __init__(self, host: str, port: int = DEFAULT_PORT, rate_hz: float = 100.0, poll_s: float = 0.04,
                 start: bool = True, timeout_s: float = 2.0) -> None:
        super().__init__(f"{host}:{port}", rate_hz)
        self.base = f"http://{host}:{port}"
        self.poll_s = poll_s
        self.start = start
        self.timeout_s = min(timeout_s, MAX_TIMEOUT_S)
        self.join_s = self.timeout_s + poll_s + 1.0
        self.title = ""
        self.acc: Buffers = STOCK_ACC
        self.gyro: Buffers | None = STOCK_GYRO
        self.measuring: bool | None = None
        self._session: str | None = None
        self._after: dict[str, float | None] = {}

    @property
    def info(self) -> StreamInfo:
        """The stream, named after the experiment open in phyphox."""
        title = f"phyphox: {self.title}" if self.title else "phyphox"
        return StreamInfo(rate_hz=self.rate_hz, device=f"{title} ({self.address})")

    @property
    def notices(self) -> list:  # list[DeviceFault], as in the base class
        """The base class's notices, and whether phyphox is paused."""
        paused = [phone_fault("phyphox is paused.", "Press the play button in phyphox to measure again.")]
        return super().notices + (paused if self.measuring is False else [])

    def _fetch(self, path: str) -> dict:
        """GET ``path`` and decode its JSON object (raises URLError/OSError when nothing answers,
        ValueError when something answers that is not phyphox)."""
        # A fresh connection per request: phyphox's small server does not cope with keep-alive.
        try:
            with urllib.request.urlopen(self.base + path, timeout=self.timeout_s) as reply:
                body = reply.read()
        except http.client.HTTPException as err:
            if isinstance(err, ConnectionError):   # RemoteDisconnected: closed without an answer
                raise
            raise ValueError(f"{path.split('?')[0]} is not HTTP as phyphox speaks it: {type(err).__name__}") from None
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            raise ValueError(f"{path.split('?')[0]} is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path.split('?')[0]} is not a JSON object")
        return data

    def _connect(self) -> None:
        try:
            config = self._fetch("/config")
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise self._not_phyphox(f"HTTP {err.code} for /config") from None
            config = {}  # phyphox before 1.1.8 has no /config: assume the stock buffer names
        except (urllib.error.URLError, OSError) as err:
            raise unreachable("phyphox", self.base, _why(err)) from None
        except ValueError as err:
            raise self._not_phyphox(str(err)) from None
        if "inputs" in config and not isinstance(config["inputs"], list):
            raise self._not_phyphox("/config has no list of inputs")
        self.title = str(config.get("localTitle") or config.get("title") or "")
        self._pick_buffers(config)
        try:
            times = [b.t for b in (self.acc, self.gyro) if b is not None]
            latest = self._fetch("/get?" + "&".join(quote(t) for t in times))
            status = latest.get("status") if isinstance(latest.get("status"), dict) else {}
            if self.start and not status.get("measuring"):
                started = self._fetch("/control?cmd=start")
                if started.get("result") is False:
                    self.notice(phone_fault("phyphox did not start the measurement.",
                                            "Press the play button in phyphox."))
        except (urllib.error.URLError, OSError) as err:
            raise unreachable("phyphox", self.base, _why(err)) from None
        except ValueError as err:
            raise self._not_phyphox(str(err)) from None
        self._session = status.get("session")
        # Start from the newest value already there: history from before connecting is not streamed.
        self._after = {t: _last_value(latest, t) for t in times}

    def _pick_buffers(self, config: dict) -> None:
        sensors = buffers_from_config(config)
        if not config.get("inputs"):
            self.acc, self.gyro = STOCK_ACC, STOCK_GYRO  # checked against the first /get instead
            return
        if "accelerometer" not in sensors:
            without_g = " It measures acceleration without gravity." if "linear_acceleration" in sensors else ""
            raise phone_fault(
                f"The phyphox experiment \"{self.title or '?'}\" has no accelerometer (with g) buffers.{without_g}",
                EXPERIMENT_FIX, kind=FaultKind.WRONG_PROFILE)
        self.acc = sensors["accelerometer"]
        self.gyro = sensors.get("gyroscope")
        if self.gyro is None:
            self.has_gyro = False

    def _not_phyphox(self, why: str) -> DeviceError:
        return phone_fault(f"{self.base} answers, but not like phyphox's remote access ({why}).",
                           "Check the address and port shown under \"Allow remote access\" in phyphox.",
                           kind=FaultKind.BAD_CONFIG)

    def _query(self) -> str:
        parts = []
        for sensor in (self.acc, self.gyro):
            if sensor is None:
                continue
            after = self._after.get(sensor.t)
            for name in sensor.values:
                parts.append(f"{quote(name)}=" + ("full" if after is None else f"{after!r}|{quote(sensor.t)}"))
            parts.append(f"{quote(sensor.t)}=" + ("full" if after is None else repr(after)))
        return "/get?" + "&".join(parts)

    def _reader(self, stop: threading.Event) -> None:
        stalled_since = time.monotonic()
        while not stop.is_set():
            began = time.monotonic()
            try:
                reply = self._fetch(self._query())
                if stop.is_set():   # closed while the request ran: the answer belongs to no one
                    return
                newest = self._after.get(self.acc.t)
                self._take(reply)
                if self._after.get(self.acc.t) != newest or not self.measuring:
                    stalled_since = began
                elif began - stalled_since > STALL_PROBE_S:
                    stalled_since = began
                    self._check_cleared()
            except urllib.error.HTTPError:
                self.parse_error()
            except (urllib.error.URLError, OSError) as err:
                raise dropped("phyphox", self.base, _why(err)) from None
            except ValueError:
                self.parse_error()
            stop.wait(max(0.0, self.poll_s - (time.monotonic() - began)))

    def _check_cleared(self) -> None:
        """Measuring, yet nothing past the last time received: if the newest time phyphox holds is
        well before it, the data was cleared ("Clear data", a timed run restarting) and the
        experiment clock began again at 0, so only reconnecting finds the new values."""
        after = self._after.get(self.acc.t)
        if after is None:
            return
        latest = _last_value(self._fetch("/get?" + quote(self.acc.t)), self.acc.t)
        if latest is not None and latest < after - JUMP_BACK_S:
            raise restarted("phyphox", f"its data was cleared: time went back from {after:.1f} s to {latest:.1f} s")

    def _take(self, reply: dict) -> None:
        status = reply.get("status") if isinstance(reply.get("status"), dict) else {}
        if isinstance(status.get("measuring"), bool):
            self.measuring = status["measuring"]
        if self._session is not None and status.get("session") not in (None, self._session):
            raise phone_fault("phyphox switched to another experiment.", "Reconnecting to read its buffers.",
                              transient=True)
        buffers = reply.get("buffer")
        if not isinstance(buffers, dict):
            self.parse_error()
            return
        for kind, sensor in (("acc", self.acc), ("gyro", self.gyro)):
            if sensor is None:
                continue
            missing = [n for n in (*sensor.values, sensor.t) if n not in buffers]
            if missing and kind == "acc":
                raise phone_fault(f"The experiment open in phyphox has no buffer(s) {', '.join(missing)}.",
                                  EXPERIMENT_FIX, kind=FaultKind.WRONG_PROFILE)
            if missing:  # an experiment without a gyroscope (checked once, on the first reply)
                self.gyro, self.has_gyro = None, False
                continue
            self._take_sensor(kind, sensor, buffers)

    def _take_sensor(self, kind: str, sensor: Buffers, buffers: dict) -> None:
        try:
            columns = [np.asarray(buffers[n]["buffer"], dtype=np.float64) for n in (sensor.t, *sensor.values)]
        except (KeyError, TypeError, ValueError):  # a non-list, or a value that is not a number
            self.parse_error()
            return
        n = min(c.size for c in columns)
        if any(c.ndim != 1 for c in columns):
            self.parse_error()
            return
        if n == 0:
            return
        t = columns[0][:n]
        xyz = np.stack([c[:n] for c in columns[1:]], axis=1)
        ok = np.isfinite(t) & np.isfinite(xyz).all(axis=1)
        if ok.any():
            self._after[sensor.t] = float(np.max(t[np.isfinite(t)]))
            self.put(kind, t[ok], xyz[ok], "m/s^2" if kind == "acc" else "rad/s")


def _last_value(reply: dict, name: str) -> float | None:
    """The single value phyphox sends for a buffer asked without a threshold (None if empty or absent)."""
    try:
        value = reply["buffer"][name]["buffer"][-1]
        return float(value) if value is not None and np.isfinite(float(value)) else None
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _why(err: BaseException) -> str:
    reason = getattr(err, "reason", err)
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    return str(reason) or type(reason).__name__


def from_uri(uri) -> PhyphoxSource:  # noqa: ANN001 - a registry.DeviceURI
    """Build the source for ``phyphox://HOST[:PORT]?rate=100&poll=0.04&start=1``."""
    from studio.devices.phone.uri import host_port
    from studio.devices.uri_params import check_params, flag, number

    check_params(uri.params, ("rate", "poll", "start", "timeout"), where=uri.text)
    host, port = host_port(uri, DEFAULT_PORT, "phyphox://192.168.1.20:8080")
    p = uri.params
    return PhyphoxSource(host, port, number(p, "rate", 100.0, 1.0, 1000.0), number(p, "poll", 0.04, 0.005, 1.0),
                         flag(p, "start", True), number(p, "timeout", 2.0, 0.1, MAX_TIMEOUT_S))
