"""What outputs receive (a recognised gesture) and the interface every output implements."""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass, field


class OutputError(Exception):
    """An output cannot start or send; ``str(error)`` is a plain message for the person running the show."""


@dataclass(frozen=True)
class GestureEvent:
    """A recognised gesture: its name, confidence in [0, 1], wall-clock time, all class scores and the
    name of the device it was performed on ("" with a single unnamed device)."""

    gesture: str
    confidence: float
    t: float = field(default_factory=time.time)
    scores: dict = field(default_factory=dict)
    device: str = ""

    def to_dict(self) -> dict:
        """The JSON shape sent to WebSocket clients (non-finite scores become null; ``device`` only when
        the event has one, so a single device's events look as they always did)."""
        data = {
            "type": "gesture",
            "gesture": self.gesture,
            "confidence": _finite(self.confidence),
            "t": self.t,
            "scores": {str(k): _finite(v) for k, v in self.scores.items()},
        }
        if self.device:
            data["device"] = self.device
        return data


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


class Output:
    """Base class: ``start()`` acquires resources (may raise OutputError), ``send(event)`` delivers one
    event (may raise; the hub reports it), ``close()`` releases everything and is idempotent."""

    name = "output"

    def start(self) -> None:
        """Acquire sockets, servers or devices. Default: nothing to do."""

    def send(self, event: GestureEvent) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release resources. Default: nothing to do."""

    def describe(self) -> str:
        """One line for the status bar, e.g. 'OSC -> 127.0.0.1:9000'."""
        return self.name


def is_loopback(host: str) -> bool:
    """True for 'localhost' and loopback addresses; other names and addresses count as remote."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(port: object) -> int:
    """A valid TCP/UDP port number (0 = let the system choose), or OutputError."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise OutputError(f"A port must be a whole number from 0 to 65535, not {port!r}.")
    return port
