"""OSC output: one UDP message per recognised gesture, Wekinator-style ``/gesture/<name> <confidence>``.

With several devices the device's name follows the confidence as a string argument
(``/gesture/wave 0.93 "left"``), and ``{device}`` may be used in the address template.
"""

from __future__ import annotations

import re

from studio.outputs.events import GestureEvent, Output, OutputError, check_port, is_loopback

DEFAULT_ADDRESS = "/gesture/{name}"
# OSC 1.0 forbids these in address parts (they are pattern characters), and space is unsafe in practice.
_FORBIDDEN = re.compile(r"[\s#*,?\[\]{}]")


def osc_name(gesture: str) -> str:
    """A gesture name made safe for an OSC address part: 'swipe left' -> 'swipe_left'."""
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", gesture.strip()).strip("_") or "gesture"


def check_address(address: str) -> str:
    """Refuse addresses an OSC receiver would reject or misread as a pattern."""
    if not isinstance(address, str) or not address.startswith("/") or address.endswith("/") or "//" in address:
        raise OutputError(f"An OSC address must look like '/gesture/wave', not {address!r}.")
    if _FORBIDDEN.search(address):
        raise OutputError(f"The OSC address {address!r} contains a space or one of # * , ? [ ] {{ }}.")
    return address


class OscOutput(Output):
    """Send ``address <confidence: float>`` to ``host:port`` over UDP.

    ``address`` is a template with ``{name}`` (the OSC-safe gesture name); ``addresses`` maps a gesture
    name to its own address (from the gesture's output mapping) and wins over the template. Sending to
    another machine (a lighting desk) needs ``allow_remote=True`` so nothing leaves the computer by default.
    """

    name = "OSC"

    def __init__(self, host: str = "127.0.0.1", port: int = 9000, address: str = DEFAULT_ADDRESS,
                 addresses: dict[str, str] | None = None, allow_remote: bool = False) -> None:
        if not allow_remote and not is_loopback(host):
            raise OutputError(f"OSC to {host} leaves this computer; allow remote outputs to send there.")
        self.host, self.port = host, check_port(port)
        check_address(address.replace("{name}", "x").replace("{device}", "d"))
        self.address = address
        self.addresses = {k: check_address(v) for k, v in (addresses or {}).items()}
        self._client = None

    def address_for(self, gesture: str, device: str = "") -> str:
        """The OSC address an event for ``gesture`` (performed on ``device``) is sent to."""
        template = self.addresses.get(gesture) or self.address
        return template.replace("{name}", osc_name(gesture)).replace("{device}", osc_name(device or "imu"))

    def start(self) -> None:
        from pythonosc.udp_client import SimpleUDPClient

        try:
            self._client = SimpleUDPClient(self.host, self.port)
        except OSError as exc:
            raise OutputError(f"OSC cannot send to {self.host}:{self.port}: {exc.strerror or exc}.") from None

    def send(self, event: GestureEvent) -> None:
        if self._client is None:
            self.start()
        try:
            args: list = [float(event.confidence)]
            if event.device:
                args.append(event.device)
            self._client.send_message(self.address_for(event.gesture, event.device), args)
        except OSError as exc:
            raise OutputError(f"OSC to {self.host}:{self.port} failed: {exc.strerror or exc}.") from None

    def send_values(self, address: str, values) -> None:  # noqa: ANN001 - floats
        """One message of floats to ``address`` (continuous streams, from their own thread)."""
        client = self._client
        if client is None:
            raise OutputError("OSC is not running.")
        try:
            client.send_message(address, [float(v) for v in values])
        except OSError as exc:
            raise OutputError(f"OSC to {self.host}:{self.port} failed: {exc.strerror or exc}.") from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def describe(self) -> str:
        return f"OSC -> {self.host}:{self.port}"
