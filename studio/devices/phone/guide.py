"""How to connect each phone app, in plain numbered steps, with the URI to use and a QR code.

Qt-free: the "Connect a phone" dialog (:mod:`studio.ui.phone_dialog`) shows what this module says.
For Sensor Logger the phone pushes to this computer, so the QR code carries the push URL (opened in
the phone's browser it confirms the studio is reachable). For phyphox the QR code loads the studio's
experiment into phyphox from a small web server the dialog runs (:class:`ExperimentServer`).
SensorServer serves its own address, which the user reads off the phone.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from studio.shipped import resource_path

EXPERIMENT_FILE = resource_path("phone", "studio-imu.phyphox")
EXPERIMENT_PATH = "/studio-imu.phyphox"


def lan_ip() -> str:
    """This computer's address on the local network (the one a phone on the same Wi-Fi reaches).

    A UDP socket "connected" to a private address makes the OS pick the outgoing interface without
    sending anything; without a network the answer is 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))
            address = probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
    return address if address and not address.startswith("0.") else "127.0.0.1"


def unreachable_warning(computer_ip: str) -> str | None:
    """Words for the user when ``computer_ip`` is one no phone can reach (this computer's own
    loopback address: it is on no network); None when the address is fine."""
    if not computer_ip.startswith("127."):
        return None
    return (f"This computer is on no network a phone can reach: its only address is {computer_ip}, which means "
            "\"this computer\" to the phone itself. Connect this computer to the same Wi-Fi or LAN as the phone, "
            "then open this dialog again.")


@dataclass(frozen=True)
class PhoneApp:
    """One supported app: what it is, where the data flows, and how to set it up."""

    key: str                 # URI scheme
    name: str
    platforms: str
    default_port: int
    listens: bool            # True: the studio listens and the phone pushes to it

    def uri(self, address: str = "", port: int | None = None) -> str:
        """The device URI; for a phone-served app ``address`` is the phone's, for a push app where to listen."""
        host = address or ("0.0.0.0" if self.listens else "PHONE-ADDRESS")
        return f"{self.key}://{host}:{port or self.default_port}"

    def steps(self, computer_ip: str, qr_url: str | None = None, port: int | None = None) -> list[str]:
        """Numbered-ready steps (without numbers) for ``computer_ip``, this computer's LAN address;
        ``port`` is the one the studio listens on for a push app (its default when None)."""
        return _STEPS[self.key](self, computer_ip, qr_url, port or self.default_port)

    def push_url(self, computer_ip: str, port: int | None = None) -> str:
        """The URL a pushing app sends to (Sensor Logger's HTTP Push field)."""
        return f"http://{computer_ip}:{port or self.default_port}/"


def _phyphox_steps(app: PhoneApp, ip: str, qr_url: str | None, port: int) -> list[str]:
    load = (f"In phyphox tap + and \"Add experiment from QR code\", and scan the code shown here (it loads "
            f"\"Studio IMU\", acceleration with g and gyroscope, from {qr_url}). "
            "Or open the built-in \"Acceleration with g\" (no gyroscope)." if qr_url else
            "Open the studio's experiment (resources/phone/studio-imu.phyphox, acceleration with g and gyroscope) "
            "or the built-in \"Acceleration with g\" (no gyroscope).")
    return [
        "Install phyphox (free, Android and iOS) and put the phone on the same Wi-Fi network as this computer.",
        load,
        "In the experiment's menu (three dots) tick \"Allow remote access\". phyphox shows an address such as "
        "http://192.168.1.20:8080.",
        "Type that address below as phyphox://192.168.1.20:8080 (iPhones use port 80) and choose Connect. "
        "The studio starts the measurement itself; keep phyphox open and the screen on.",
    ]


def _sensorserver_steps(app: PhoneApp, ip: str, qr_url: str | None, port: int) -> list[str]:
    return [
        "Install SensorServer (free, Android, from F-Droid or its GitHub releases) and put the phone on the same "
        "Wi-Fi network as this computer.",
        "In the app's settings set the sampling rate to 10000 µs (100 readings a second); the default, "
        "200000 µs, gives only 5.",
        "Tap Start in the app. It shows an address such as ws://192.168.1.20:8080.",
        "Type that address below as sensorserver://192.168.1.20:8080 and choose Connect. Keep the app in the "
        "foreground and the screen on.",
    ]


def _sensorlogger_steps(app: PhoneApp, ip: str, qr_url: str | None, port: int) -> list[str]:
    url = app.push_url(ip, port)
    return [
        "Install Sensor Logger (free, iOS and Android) and put the phone on the same Wi-Fi network as this computer.",
        "In the app turn on Accelerometer and Gyroscope, and Gravity (iPhone) or Total Acceleration (Android), so "
        "tilt is measured. Under Settings turn on \"Standardise Units & Frames\".",
        f"Choose Connect here: the studio starts listening on port {port}.",
        f"In Sensor Logger open the settings (gear icon on the Logger page), turn on HTTP Push and enter {url} "
        "with the shortest batch period. The QR code holds the same address: scanned with the phone's camera "
        "once the studio listens, it opens a page saying so, which proves the phone can reach this computer.",
        "Start a recording in Sensor Logger.",
    ]


_STEPS = {"phyphox": _phyphox_steps, "sensorserver": _sensorserver_steps, "sensorlogger": _sensorlogger_steps}

APPS: dict[str, PhoneApp] = {
    "phyphox": PhoneApp("phyphox", "phyphox", "Android and iOS", 8080, listens=False),
    "sensorserver": PhoneApp("sensorserver", "SensorServer", "Android", 8080, listens=False),
    "sensorlogger": PhoneApp("sensorlogger", "Sensor Logger", "iOS and Android", 8000, listens=True),
}


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code for ``text`` as rows of dark (True) / light modules, quiet zone excluded.

    Raises RuntimeError when the ``segno`` package is missing (install the ``gui`` extra)."""
    try:
        import segno
    except ImportError:
        raise RuntimeError("QR codes need the segno package (pip install segno).") from None
    code = segno.make(text, error="m", micro=False)
    return [[bool(v) for v in row] for row in code.matrix]


class ExperimentServer:
    """Serves the studio's phyphox experiment over HTTP so phyphox can load it from a QR code."""

    def __init__(self, host: str = "0.0.0.0", port: int = 0, path: Path = EXPERIMENT_FILE) -> None:
        body = path.read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                found = self.path.split("?")[0] == EXPERIMENT_PATH
                data = body if found else b"Not found"
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/octet-stream" if found else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()

    def url(self, computer_ip: str) -> str:
        """The address of the experiment file as a phone reaches it through ``computer_ip``."""
        return f"http://{computer_ip}:{self.port}{EXPERIMENT_PATH}"

    def close(self) -> None:
        """Stop serving; safe to call twice."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
