"""Local fakes of the phone apps, speaking their real formats on 127.0.0.1 (ephemeral ports), for the
tests and ``studio bench phone`` (no phone needed).

- :class:`FakePhyphox`: phyphox's remote-access server (``/config``, ``/control``, incremental
  ``/get`` with phyphox's threshold rules and its ``0.#######E0`` number format).
- :class:`FakeSensorServer`: SensorServer's WebSocket (``/sensors/connect?types=[...]`` and
  ``/sensor/connect?type=...``, close code 4001 for a missing sensor).
- :func:`sensor_logger_batch` / :func:`post`: Sensor Logger's HTTP Push body and a client POSTing it.

Each fake phone measures a steady pose: acceleration (0, 0, 9.80665) m/s² (1 g on z) plus a slow
wave on x, and a rotation of pi rad/s (180 deg/s) about x, so unit conversion can be checked exactly.
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

G = 9.80665
BOOT_NS = 3_925_657_519_043_709   # SensorServer's timestamps count from the phone's boot


def acc_at(t: float) -> tuple[float, float, float]:
    return (0.5 * math.sin(2 * math.pi * 0.5 * t), 0.0, G)


def gyro_at(t: float) -> tuple[float, float, float]:
    return (math.pi, 0.0, -0.5 * math.pi)


def java_sci(value: float) -> str:
    """A number the way phyphox writes it (Java DecimalFormat ``0.#######E0``), e.g. ``9.80665E0``."""
    if value is None or not math.isfinite(value):
        return "null"
    mantissa, exponent = f"{value:.7e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa}E{int(exponent)}"


class _Sampled:
    """A sensor sampled at ``rate`` Hz with a little deterministic jitter, on the experiment clock."""

    def __init__(self, rate: float, phase: float, fn) -> None:  # noqa: ANN001
        self.rate, self.phase, self.fn = rate, phase, fn
        self.t: list[float] = []
        self.cols: list[list[float]] = [[], [], []]

    def advance(self, now: float) -> None:
        k = len(self.t)
        while True:
            t = (k + self.phase) / self.rate + 0.0015 * math.sin(k * 1.3)
            if t > now:
                return
            self.t.append(t)
            for c, v in zip(self.cols, self.fn(t)):
                c.append(v)
            k += 1


class FakePhyphox:
    """phyphox's remote access for an experiment with accelerometer (+ gyroscope unless ``gyro=False``).

    ``inputs`` overrides the experiment's sensor list (e.g. only "linear_acceleration"); ``drop``
    makes every request fail by closing the connection unanswered; ``garbage_every`` answers every
    Nth ``/get`` with text that is not JSON; ``config=False`` is a phyphox without ``/config``.
    """

    def __init__(self, rate: float = 100.0, gyro: bool = True, inputs: tuple[str, ...] | None = None,
                 config: bool = True, measuring: bool = False) -> None:
        self.rate = rate
        self.inputs = inputs or (("accelerometer", "gyroscope") if gyro else ("accelerometer",))
        self.has_config = config
        self.drop = False
        self.garbage_every = 0
        self.gets = 0
        self.session = "a1b2c3"
        self.started_at: float | None = time.monotonic() if measuring else None
        self.elapsed = 0.0
        self.acc = _Sampled(rate, 0.0, acc_at)
        self.gyr = _Sampled(rate * 1.03, 0.37, gyro_at)   # a slightly different rate, as on real phones
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def uri(self) -> str:
        return f"phyphox://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def buffers(self) -> dict[str, tuple[list[float], _Sampled | None]]:
        out = {}
        if "accelerometer" in self.inputs:
            out.update(zip(("acc_time", "accX", "accY", "accZ"), (self.acc.t, *self.acc.cols)))
        if "gyroscope" in self.inputs:
            out.update(zip(("gyr_time", "gyrX", "gyrY", "gyrZ"), (self.gyr.t, *self.gyr.cols)))
        if "linear_acceleration" in self.inputs:
            out.update({"lin_time": [], "linX": [], "linY": [], "linZ": []})
        return out

    def tick(self) -> int:
        """Let the fake phone measure up to now (it otherwise does so on each request); returns the
        number of accelerometer readings it holds."""
        with self.lock:
            if self.started_at is not None:
                self.elapsed = time.monotonic() - self.started_at
                self.acc.advance(self.elapsed)
                self.gyr.advance(self.elapsed)
            return len(self.acc.t)

    def clear(self) -> None:
        """phyphox's "Clear data" while measuring: the buffers empty, the experiment clock starts at 0
        again, the session stays the same."""
        with self.lock:
            self.acc = _Sampled(self.rate, 0.0, acc_at)
            self.gyr = _Sampled(self.rate * 1.03, 0.37, gyro_at)
            self.elapsed, self.started_at = 0.0, time.monotonic()

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        if self.drop:
            req.close_connection = True
            return  # no answer at all: the client sees the connection closed
        parts = urlsplit(req.path)
        self.tick()
        with self.lock:
            if parts.path == "/config" and self.has_config:
                body = json.dumps(self.config())
            elif parts.path == "/control":
                cmd = dict(parse_qsl(parts.query)).get("cmd")
                if cmd == "start" and self.started_at is None:
                    self.started_at = time.monotonic() - self.elapsed
                body = json.dumps({"result": cmd in ("start", "stop")})
            elif parts.path == "/get":
                self.gets += 1
                if self.garbage_every and self.gets % self.garbage_every == 0:
                    body = "{\"buffer\": {oops"
                else:
                    body = self.get(parse_qsl(parts.query, keep_blank_values=True))
            else:
                req.send_response(404)
                req.end_headers()
                return
        data = body.encode()
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def config(self) -> dict:
        names = {"accelerometer": ("accX", "accY", "accZ", "acc_time"),
                 "gyroscope": ("gyrX", "gyrY", "gyrZ", "gyr_time"),
                 "linear_acceleration": ("linX", "linY", "linZ", "lin_time")}
        inputs = [{"source": s, "outputs": [{axis: name} for axis, name in zip("xyzt", names[s])]} for s in self.inputs]
        buffers = [{"name": n, "size": 0} for s in self.inputs for n in names[s]]
        return {"crc32": "1f2e3d4c", "title": "Studio IMU", "localTitle": "Studio IMU", "category": "UniMotion",
                "localCategory": "UniMotion", "buffers": buffers, "inputs": inputs, "export": []}

    def get(self, params: list[tuple[str, str]]) -> str:
        """phyphox's /get: single (no value), full, or values whose reference is past a threshold."""
        buffers = self.buffers()
        out, seen = [], set()
        for name, value in params:
            if name in seen or name not in buffers:
                continue
            seen.add(name)
            data = buffers[name]
            if value == "":
                mode, values = "single", data[-1:] or [None]
            elif value == "full":
                mode, values = "full", data
            else:
                threshold, _, ref = value.partition("|")
                th = float(threshold)
                if th != 0:
                    th += 10 ** math.floor(math.log10(abs(th) / 1e7))
                reference = buffers.get(ref or name, data)
                n = min(len(data), len(reference))
                mode, values = "partial", [data[i] for i in range(n) if reference[i] > th]
            numbers = ",".join(java_sci(v) for v in values)
            out.append(f'"{name}":{{"size":0,"updateMode":"{mode}", "buffer":[{numbers}]}}')
        status = (f'"session":"{self.session}", "measuring":{str(self.started_at is not None).lower()}, '
                  '"timedRun":false, "countDown":0')
        return '{"buffer":{\n' + ",\n".join(out) + "\n},\n\"status\":{\n" + status + "\n}\n}\n"


class FakeSensorServer:
    """SensorServer's WebSocket server: streams acc + gyro messages at ``rate`` Hz per sensor in
    real time. ``gyro=False`` refuses the gyroscope with close code 4001, as the app does on a phone
    without one; ``drop_after`` closes each connection after that many messages (code 1011);
    ``multi=False`` is an old version that knows only ``/sensor/connect`` (code 4002 otherwise)."""

    def __init__(self, rate: float = 100.0, gyro: bool = True, drop_after: int | None = None,
                 multi: bool = True) -> None:
        from websockets.sync.server import serve

        self.rate, self.gyro, self.drop_after, self.multi = rate, gyro, drop_after, multi
        self.connections = 0
        self.paths: list[str] = []
        self.boot_s = BOOT_NS * 1e-9
        self.started_at = 0.0    # time.monotonic() when the latest connection began streaming
        self.server = serve(self._handler, "127.0.0.1", 0)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def uri(self) -> str:
        return f"sensorserver://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()

    def _handler(self, ws) -> None:  # noqa: ANN001
        from websockets.exceptions import ConnectionClosed

        self.connections += 1
        parts = urlsplit(ws.request.path)
        self.paths.append(ws.request.path)
        query = dict(parse_qsl(parts.query))
        if parts.path == "/sensors/connect" and self.multi:
            types = json.loads(query["types"])
            tagged = True
        elif parts.path == "/sensor/connect":
            types, tagged = [query["type"]], False
        else:
            ws.close(4002, "unsupported request")
            return
        if "android.sensor.gyroscope" in types and not self.gyro:
            ws.close(4001, "sensor of type android.sensor.gyroscope not found")
            return
        boot_ns = BOOT_NS
        start, sent, k = time.monotonic(), 0, 0
        self.started_at = start
        try:
            while True:
                due = int((time.monotonic() - start) * self.rate)
                while k <= due:
                    t = k / self.rate
                    for kind in types:
                        fn = acc_at if kind.endswith("accelerometer") else gyro_at
                        stamp = boot_ns + int(t * 1e9) + (0 if fn is acc_at else 4_000_000)
                        msg = {"values": list(fn(t)), "timestamp": stamp, "accuracy": 3}
                        if tagged:
                            msg["type"] = kind
                        ws.send(json.dumps(msg))
                        sent += 1
                        if self.drop_after is not None and sent >= self.drop_after:
                            ws.close(1011, "phone went to sleep")
                            return
                    k += 1
                time.sleep(0.005)
        except ConnectionClosed:
            return


def sensor_logger_batch(t0_ns: int, n: int, rate: float = 100.0, session: str = "s-1", message_id: int = 0,
                        total: bool = True, gravity: bool = False, gyro: bool = True, start: int = 0) -> bytes:
    """One Sensor Logger HTTP Push body with ``n`` readings per sensor from reading ``start`` on.

    ``total``: Android's "totalacceleration" (with g); otherwise "accelerometer" (without g) and,
    with ``gravity``, iOS's "gravity" stream."""
    payload = []
    for i in range(start, start + n):
        t = i / rate
        ns = t0_ns + int(round(t * 1e9))
        ax, ay, az = acc_at(t)
        if total:
            payload.append({"name": "totalacceleration", "time": ns, "values": {"x": ax, "y": ay, "z": az}})
        payload.append({"name": "accelerometer", "time": ns, "values": {"x": ax, "y": ay, "z": 0.0}})
        if gravity:
            payload.append({"name": "gravity", "time": ns + 1000, "values": {"x": 0.0, "y": 0.0, "z": G}})
        if gyro:
            gx, gy, gz = gyro_at(t)
            payload.append({"name": "gyroscope", "time": ns + 2_000_000, "values": {"x": gx, "y": gy, "z": gz}})
    payload.append({"name": "battery", "time": t0_ns, "values": {"batteryLevel": 0.8}})
    return json.dumps({"messageId": message_id, "sessionId": session, "deviceId": "dev-1", "payload": payload}).encode()


def post(url: str, body: bytes, timeout: float = 5.0) -> int:
    """POST ``body`` as Sensor Logger does; returns the HTTP status."""
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status
    except urllib.error.HTTPError as err:
        return err.code
