"""SensorServer (umer0586, Android) over its WebSocket server.

The app serves ``ws://PHONE:8080``. One connection to
``/sensors/connect?types=["android.sensor.accelerometer","android.sensor.gyroscope"]`` streams both
sensors; each message is ``{"values": [x, y, z], "timestamp": <ns since boot>, "accuracy": n,
"type": "android.sensor.accelerometer"}`` in m/s² (gravity included) and rad/s, Android's units.
A phone without a gyroscope makes the app close that connection with code 4001 ("sensor of type
... not found"); the studio then connects to ``/sensor/connect?type=android.sensor.accelerometer``
alone (messages without ``type``). Needs the ``websockets`` package.

URI: ``sensorserver://192.168.1.20:8080?rate=100``.
"""

from __future__ import annotations

import inspect
import json
import threading
from urllib.parse import quote

import numpy as np

from studio.devices.faults import FaultKind
from studio.devices.phone.common import PhoneSource, dropped, phone_fault, unreachable

DEFAULT_PORT = 8080
ACC = "android.sensor.accelerometer"
GYRO = "android.sensor.gyroscope"
KINDS = {ACC: ("acc", "m/s^2"), GYRO: ("gyro", "rad/s")}
CLOSE_SENSOR_NOT_FOUND = 4001
CLOSE_UNSUPPORTED = 4002
CLOSE_MESSAGES = {4002: "the app does not support this request", 4004: "the server was stopped on the phone",
                  4005: "the connection was closed in the app"}
FIRST_MESSAGE_S = 1.0    # how long open() listens for the app refusing a sensor


class SensorServerSource(PhoneSource):
    """Reads accelerometer and gyroscope messages from SensorServer's WebSocket."""

    app_name = "SensorServer"
    slow_fix = ("In SensorServer's settings set the sampling rate to 10000 µs (100 Hz); its default, "
                "200000 µs, gives 5 readings a second.")

    def __init__(self, host: str, port: int = DEFAULT_PORT, rate_hz: float = 100.0, timeout_s: float = 3.0) -> None:
        super().__init__(f"{host}:{port}", rate_hz)
        self.base = f"ws://{host}:{port}"
        self.timeout_s = timeout_s
        self._ws = None
        self._single_type: str | None = None   # set when streaming one sensor per connection

    def _url(self) -> str:
        if self._single_type:
            return f"{self.base}/sensor/connect?type={self._single_type}"
        return f"{self.base}/sensors/connect?types=" + quote(json.dumps([ACC, GYRO], separators=(",", ":")))

    def _connect(self) -> None:
        try:
            from websockets.exceptions import ConnectionClosed
        except ImportError:
            raise phone_fault("SensorServer needs the websockets package, which is not installed.",
                              "pip install websockets (it comes with the studio's 'outputs' extra).",
                              kind=FaultKind.BAD_CONFIG) from None

        self._single_type = None
        while True:
            ws = self._open_socket()
            try:
                first = ws.recv(timeout=FIRST_MESSAGE_S)
            except TimeoutError:
                first = None   # sensors can take a moment; the reader waits for them
            except ConnectionClosed as closed:
                ws.close()
                code, reason = _close_info(closed)
                if code == CLOSE_SENSOR_NOT_FOUND and "gyroscope" in reason and self._single_type is None:
                    self._single_type, self.has_gyro = ACC, False
                    continue
                if code == CLOSE_UNSUPPORTED and self._single_type is None:   # a version without /sensors
                    self._single_type, self.has_gyro = ACC, False
                    self.notice(phone_fault("This SensorServer version streams one sensor per connection: "
                                            "only acceleration is used.", "Update SensorServer for the gyroscope."))
                    continue
                if code == CLOSE_SENSOR_NOT_FOUND:
                    raise phone_fault("SensorServer says this phone has no accelerometer.",
                                      "Use another phone.", kind=FaultKind.WRONG_PROFILE) from None
                why = CLOSE_MESSAGES.get(code, f"closed: {code} {reason}".strip())
                raise unreachable("SensorServer", self.base, why) from None
            self._ws = ws
            if first is not None:
                self._take(first)
            return

    def _open_socket(self):  # noqa: ANN202 - a websockets ClientConnection
        from websockets.exceptions import InvalidHandshake, InvalidURI
        from websockets.sync.client import connect

        # websockets >= 17.1 wants a context manager unless asked for a plain connection (legacy=True)
        plain = {"legacy": True} if "legacy" in inspect.signature(connect).parameters else {}
        try:
            return connect(self._url(), open_timeout=self.timeout_s, close_timeout=1.0, max_size=2**20, **plain)
        except InvalidURI:
            raise phone_fault(f"{self.base} is not a valid address.", "For example sensorserver://192.168.1.20:8080.",
                              kind=FaultKind.BAD_CONFIG) from None
        except InvalidHandshake as err:
            raise phone_fault(f"{self.base} answers, but not like SensorServer ({err}).",
                              "Check the address and port the app shows after you tap Start.",
                              kind=FaultKind.BAD_CONFIG) from None
        except (OSError, TimeoutError) as err:
            why = "connection refused" if isinstance(err, ConnectionRefusedError) else (
                "timed out" if isinstance(err, TimeoutError) else str(err))
            raise unreachable("SensorServer", self.base, why) from None

    def _reader(self, stop: threading.Event) -> None:
        from websockets.exceptions import ConnectionClosed

        ws = self._ws
        while not stop.is_set():
            try:
                message = ws.recv(timeout=0.1)
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                if stop.is_set():
                    return
                code, reason = _close_info(closed)
                raise dropped("SensorServer", self.base, CLOSE_MESSAGES.get(code, reason or "closed")) from None
            self._take(message)

    def _take(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
            kind, unit = KINDS[data.get("type", self._single_type)]
            values = np.asarray(data["values"], np.float64)[:3]
            t = float(data["timestamp"]) * 1e-9
            if values.shape != (3,):
                raise ValueError("fewer than 3 values")
        except (ValueError, KeyError, TypeError, AttributeError):
            self.parse_error()
            return
        self.put(kind, np.array([t]), values.reshape(1, 3), unit)

    def _disconnect(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            ws.close()


def _close_info(closed: BaseException) -> tuple[int | None, str]:
    frame = getattr(closed, "rcvd", None)
    return (frame.code, frame.reason) if frame is not None else (None, "")


def from_uri(uri) -> SensorServerSource:  # noqa: ANN001 - a registry.DeviceURI
    """Build the source for ``sensorserver://HOST[:PORT]?rate=100``."""
    from studio.devices.phone.uri import host_port
    from studio.devices.uri_params import check_params, number

    check_params(uri.params, ("rate", "timeout"), where=uri.text)
    host, port = host_port(uri, DEFAULT_PORT, "sensorserver://192.168.1.20:8080")
    return SensorServerSource(host, port, number(uri.params, "rate", 100.0, 1.0, 1000.0),
                              number(uri.params, "timeout", 3.0, 0.1, 30.0))
