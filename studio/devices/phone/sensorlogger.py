"""Sensor Logger (Kelvin Choi, iOS and Android) by HTTP Push: the phone POSTs, the studio listens.

In the app's settings, "HTTP Push" gets the URL ``http://THIS-COMPUTER:8000/``; while recording it
POSTs batches ``{"messageId": n, "sessionId": "...", "deviceId": "...", "payload": [{"name":
"accelerometer", "time": <epoch ns>, "values": {"x": .., "y": .., "z": ..}}, ...]}``. Units: m/s² and
rad/s. Which stream carries gravity differs: on Android ``totalacceleration`` is the raw
accelerometer (with g) and ``accelerometer`` is without g; iOS sends ``accelerometer`` (without g)
and ``gravity``. The studio uses ``totalacceleration`` when present, else ``accelerometer`` +
``gravity``; acceleration with no way to add gravity back streams with a notice.

URI: ``sensorlogger://0.0.0.0:8000?rate=100`` (the address and port to listen on).
"""

from __future__ import annotations

import errno
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from studio.devices.faults import FaultKind
from studio.devices.phone.common import Link, PhoneSource, phone_fault

DEFAULT_PORT = 8000
MAX_BODY = 32 * 2**20   # a batch with camera frames can be large; more than this is refused


def parse_batch(body: bytes) -> tuple[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """``(sessionId, {name: (t seconds (n,), xyz (n, 3))})`` for the x/y/z sensors in one push.

    Raises ValueError for a body that is not Sensor Logger's JSON; skips single readings that lack
    numbers (returned as part of the count in ``{"": ...}`` only when nothing was usable)."""
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("payload"), list):
        raise ValueError("no payload list")
    rows: dict[str, list[tuple[float, float, float, float]]] = {}
    bad = 0
    for item in data["payload"]:
        try:
            name = str(item["name"]).lower()
            if name not in ("accelerometer", "totalacceleration", "gravity", "gyroscope"):
                continue
            values = item["values"]
            rows.setdefault(name, []).append((float(item["time"]) * 1e-9, float(values["x"]),
                                              float(values["y"]), float(values["z"])))
        except (KeyError, TypeError, ValueError):
            bad += 1
    if bad and not rows:
        raise ValueError(f"{bad} unreadable readings")
    out = {}
    for name, table in rows.items():
        arr = np.asarray(table, np.float64)
        arr = arr[np.isfinite(arr).all(axis=1)]
        out[name] = (arr[:, 0], arr[:, 1:])
    return str(data.get("sessionId", "")), out


class _Handler(BaseHTTPRequestHandler):
    server_version = "UniMotionStudio"
    timeout = 10                   # a phone that stops mid-request must not hold a thread forever
    source: "SensorLoggerSource"   # set on a subclass per listener
    link: Link                     # the connection this listener was opened for

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length <= 0 or length > MAX_BODY:
            self.source.parse_error()
            self._reply(400, b'{"error": "a JSON body is required"}')
            return
        try:
            body = self.rfile.read(length)
        except OSError:   # timed out on a phone that went away mid-request (or reset): drop the request
            self.source.parse_error()
            self.close_connection = True
            return
        try:
            self.source.take_batch(*parse_batch(body), link=self.link)
        except (ValueError, UnicodeDecodeError):
            self.source.parse_error()
            self._reply(400, b'{"error": "not Sensor Logger JSON"}')
            return
        self._reply(200, b'{"ok": true}')

    def do_GET(self) -> None:  # noqa: N802
        # A phone's browser opening the push URL (from the QR code) sees that the studio is reachable.
        self._reply(200, b"UniMotion Gesture Studio is listening for Sensor Logger HTTP Push here. "
                         b"Paste this page's address into Sensor Logger > Settings > Data Streaming > HTTP Push.",
                    "text/plain; charset=utf-8")

    def _reply(self, code: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep the terminal quiet; counts are in stats
        pass


class SensorLoggerSource(PhoneSource):
    """Listens for Sensor Logger's HTTP Push batches on ``host:port``."""

    app_name = "Sensor Logger"
    slow_fix = "In Sensor Logger's settings raise the sampling frequency of the accelerometer and gyroscope."

    def __init__(self, host: str = "0.0.0.0", port: int = DEFAULT_PORT, rate_hz: float = 100.0) -> None:
        super().__init__(f"{host}:{port}", rate_hz)
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._session: str | None = None
        self._gravity: tuple[np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()

    @property
    def bound_port(self) -> int:
        """The port actually listened on (differs from ``port`` when that was 0)."""
        return self._server.server_address[1] if self._server else self.port

    def _connect(self) -> None:
        handler = type("Handler", (_Handler,), {"source": self, "link": self._link})
        try:
            self._server = ThreadingHTTPServer((self.host, self.port), handler)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                other = f"sensorlogger://{self.host}:{self.port + 1}"
                raise phone_fault(f"Port {self.port} on this computer is in use by another program.",
                                  f"Close it, or listen on another port (e.g. {other}) and type that port into "
                                  "Sensor Logger's HTTP Push URL.", kind=FaultKind.BUSY) from None
            if err.errno in (errno.EACCES, errno.EPERM):
                raise phone_fault(f"Not allowed to listen on port {self.port}.", "Use a port above 1024, e.g. 8000.",
                                  kind=FaultKind.PERMISSION) from None
            raise phone_fault(f"Cannot listen on {self.host}:{self.port} ({err.strerror or err}).",
                              "Use 0.0.0.0 (all networks) or this computer's own address.",
                              kind=FaultKind.BAD_CONFIG) from None
        self._server.daemon_threads = True
        self._session, self._gravity = None, None

    def _reader(self, stop: threading.Event) -> None:
        server = self._server
        stopper = threading.Thread(target=lambda: (stop.wait(), server.shutdown()), daemon=True)
        stopper.start()
        server.serve_forever(poll_interval=0.1)

    def _disconnect(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.server_close()

    def take_batch(self, session: str, streams: dict[str, tuple[np.ndarray, np.ndarray]],
                   link: Link | None = None) -> None:
        """Hand one pushed batch to the stream (called on the listener's request threads, which
        pass the ``link`` of the connection their listener belongs to)."""
        with self._lock:
            target = self.feeding(link)
            if self._session is not None and session != self._session:
                target.put(phone_fault("Sensor Logger started a new recording.", "Restarting the stream.",
                                       transient=True))
                return
            self._session = session
            if "gyroscope" in streams:
                self.put("gyro", *streams["gyroscope"], "rad/s")
            if "gravity" in streams:
                self._gravity = streams["gravity"]
            if "totalacceleration" in streams:
                self.put("acc", *streams["totalacceleration"], "m/s^2")
            elif "accelerometer" in streams:
                t, acc = streams["accelerometer"]
                if self._gravity is not None and self._gravity[0].size:
                    gt, g = self._gravity
                    acc = acc + np.stack([np.interp(t, gt, g[:, c]) for c in range(3)], axis=1)
                else:
                    self.notice(phone_fault("Sensor Logger sends acceleration without gravity.",
                                            "Turn on the Gravity sensor (iOS) or Total Acceleration (Android) in "
                                            "Sensor Logger, so tilt is measured too."))
                self.put("acc", t, acc, "m/s^2")


def from_uri(uri) -> SensorLoggerSource:  # noqa: ANN001 - a registry.DeviceURI
    """Build the listener for ``sensorlogger://[HOST][:PORT]?rate=100`` (default 0.0.0.0:8000)."""
    from studio.devices.phone.uri import host_port
    from studio.devices.uri_params import check_params, number

    check_params(uri.params, ("rate",), where=uri.text)
    host, port = ("0.0.0.0", DEFAULT_PORT)
    if uri.target.strip("/"):
        host, port = host_port(uri, DEFAULT_PORT, "sensorlogger://0.0.0.0:8000")
    return SensorLoggerSource(host, port, number(uri.params, "rate", 100.0, 1.0, 1000.0))
