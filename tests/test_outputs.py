"""Outputs: real OSC and WebSocket clients on loopback, keystrokes behind a fake, and a hub that survives."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time

import pytest
from fake_keys import FakeKeys

from studio.outputs import (
    GestureEvent, KeystrokeOutput, OscOutput, Output, OutputError, OutputHub, OutputsConfig, WebSocketOutput,
    build_outputs, parse_combo,
)
from studio.outputs.keys import PynputBackend


def _errors():
    seen: list[tuple[Output, str]] = []
    return seen, lambda output, message: seen.append((output, message))


def test_osc_reaches_a_real_server(osc_server):
    port, received = osc_server
    errors, on_error = _errors()
    hub = OutputHub([OscOutput(port=port, addresses={"circle": "/lights/cue/1"})], on_error=on_error)
    try:
        hub.emit(GestureEvent("wave", 0.93))
        address, args = received.get(timeout=5)
        assert address == "/gesture/wave"
        assert args == pytest.approx((0.93,), abs=1e-6) and isinstance(args[0], float)
        hub.emit(GestureEvent("swipe left", 0.5))
        assert received.get(timeout=5)[0] == "/gesture/swipe_left"
        hub.emit(GestureEvent("circle", 0.7))
        assert received.get(timeout=5)[0] == "/lights/cue/1"
    finally:
        hub.close()
    assert errors == []


def test_osc_refuses_bad_settings():
    with pytest.raises(OutputError, match="leaves this computer"):
        OscOutput(host="192.168.1.20")
    assert OscOutput(host="192.168.1.20", allow_remote=True).describe() == "OSC -> 192.168.1.20:9000"
    with pytest.raises(OutputError, match="space"):
        OscOutput(addresses={"wave": "/my wave"})
    with pytest.raises(OutputError, match="address"):
        OscOutput(address="gesture/{name}")
    with pytest.raises(OutputError, match="port"):
        OscOutput(port=70000)


def test_websocket_client_receives_json_event():
    from websockets.sync.client import connect

    output = WebSocketOutput(port=0)
    errors, on_error = _errors()
    hub = OutputHub([output], on_error=on_error)
    try:
        assert output.port != 0
        with connect(f"ws://127.0.0.1:{output.port}") as first, connect(f"ws://127.0.0.1:{output.port}") as second:
            deadline = time.monotonic() + 5
            while output.clients < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert output.clients == 2
            hub.emit(GestureEvent("wave", 0.93, t=1764100000.5, scores={"wave": 0.93, "shake": 0.1}))
            for client in (first, second):
                event = json.loads(client.recv(timeout=5))
                assert event == {"type": "gesture", "gesture": "wave", "confidence": 0.93, "t": 1764100000.5,
                                 "scores": {"wave": 0.93, "shake": 0.1}}
    finally:
        hub.close()
    assert errors == []
    assert output.clients == 0


def test_websocket_clients_that_send_stay_connected_and_closing_is_clean(caplog, capfd):
    """A client sending its own heartbeat is read (and ignored), so its pongs are seen and the keepalive
    never drops it; closing with it connected ends its connection without stray asyncio errors."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    output = WebSocketOutput(port=0, ping_interval=0.1, ping_timeout=0.3)
    output.start()
    try:
        with connect(f"ws://127.0.0.1:{output.port}") as client:
            for i in range(200):  # far more than the server's incoming queue holds unread
                client.send(json.dumps({"type": "heartbeat", "n": i}))
            time.sleep(1.0)  # several keepalive rounds: an unanswered ping would drop the client
            output.send(GestureEvent("wave", 0.9, t=1.0))
            assert json.loads(client.recv(timeout=5))["gesture"] == "wave"
            assert output.clients == 1
            output.close()
            with pytest.raises(ConnectionClosed):
                client.recv(timeout=5)
    finally:
        output.close()
    logged = caplog.text + capfd.readouterr().err
    assert "Task was destroyed" not in logged and "no running event loop" not in logged


def test_websocket_port_in_use_is_reported_not_raised():
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    try:
        with pytest.raises(OutputError, match=f"port {port} is already in use"):
            WebSocketOutput(port=port).start()
        errors, on_error = _errors()
        osc = OscOutput(port=9)
        hub = OutputHub([WebSocketOutput(port=port), osc], on_error=on_error)
        assert hub.outputs == [osc]  # the other output still runs
        assert len(errors) == 1 and "already in use" in errors[0][1]
        hub.close()
    finally:
        blocker.close()


def test_websocket_binds_loopback_unless_allowed():
    with pytest.raises(OutputError, match="other computers"):
        WebSocketOutput(host="0.0.0.0")
    assert WebSocketOutput(host="0.0.0.0", allow_remote=True).host == "0.0.0.0"


@pytest.mark.parametrize("text, modifiers, key", [
    ("ctrl+alt+right", ("ctrl", "alt"), "right"),
    ("Shift + A", ("shift",), "a"),
    ("space", (), "space"),
    ("control+Return", ("ctrl",), "enter"),
    ("cmd+plus", ("cmd",), "+"),
    ("f5", (), "f5"),
])
def test_parse_combo(text, modifiers, key):
    combo = parse_combo(text)
    assert (combo.modifiers, combo.key) == (modifiers, key)


@pytest.mark.parametrize("text, match", [
    ("", "empty"), ("ctrl+", "empty part"), ("ctrl+shift", "only modifiers"), ("ctrl+ctrl+a", "twice"),
    ("hyper+a", "not a modifier"), ("ctrl+banana", "not a key"),
])
def test_parse_combo_rejects(text, match):
    with pytest.raises(OutputError, match=match):
        parse_combo(text)


class _FakeKey:
    """Stands in for pynput.keyboard.Key: named keys are attributes."""

    ctrl, alt, shift, cmd, right, space = "Key.ctrl", "Key.alt", "Key.shift", "Key.cmd", "Key.right", "Key.space"


class _FakeKeyboardModule:
    """Stands in for the ``pynput.keyboard`` module at the library boundary."""

    Key = _FakeKey

    class KeyCode:
        @staticmethod
        def from_char(char: str) -> str:
            return f"char:{char}"

    class Controller:
        def __init__(self) -> None:
            self.log: list[tuple[str, str]] = []

        def press(self, key) -> None:
            self.log.append(("press", key))

        def release(self, key) -> None:
            self.log.append(("release", key))


def test_keystrokes_only_when_armed():
    backend = FakeKeys()
    output = KeystrokeOutput({"wave": "ctrl+alt+right", "tap": "space"}, backend=backend)
    assert output.armed is False and "not armed" in output.describe()
    output.send(GestureEvent("wave", 0.9))
    assert backend.calls == []
    output.arm()
    assert output.armed and "ARMED" in output.describe()
    output.send(GestureEvent("wave", 0.9))
    output.send(GestureEvent("unmapped", 0.9))
    output.send(GestureEvent("tap", 0.9))
    assert backend.calls == ["+ctrl", "+alt", "+right", "-right", "-alt", "-ctrl", "+space", "-space"]
    output.disarm()
    output.send(GestureEvent("tap", 0.9))
    assert len(backend.calls) == 8


def test_keystrokes_through_pynput_boundary():
    fake = _FakeKeyboardModule()
    backend = PynputBackend(keyboard=fake)
    output = KeystrokeOutput({"wave": "shift+x", "push": "cmd+right"}, armed=True, backend=backend)
    hub = OutputHub([output])
    hub.emit(GestureEvent("wave", 0.9))
    hub.emit(GestureEvent("push", 0.9))
    assert hub.flush()
    hub.close()
    assert backend._controller.log == [
        ("press", "Key.shift"), ("press", "char:x"), ("release", "char:x"), ("release", "Key.shift"),
        ("press", "Key.cmd"), ("press", "Key.right"), ("release", "Key.right"), ("release", "Key.cmd"),
    ]


def test_keystrokes_invalid_combo_listed():
    with pytest.raises(OutputError, match="wave: .*not a key"):
        KeystrokeOutput({"wave": "ctrl+nothing", "tap": "space"})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="display detection is X11/Wayland specific")
def test_keystrokes_without_display_reports_plainly(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    output = KeystrokeOutput({"wave": "space"})
    with pytest.raises(OutputError, match="^keystrokes unavailable: no display$"):
        output.arm()
    assert output.armed is False


class Exploding(Output):
    name = "exploding"

    def send(self, event):
        raise RuntimeError("peer gone")


class Recording(Output):
    name = "recording"

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.events: list[GestureEvent] = []
        self.gate = gate

    def send(self, event):
        if self.gate is not None:
            self.gate.wait(10)
        self.events.append(event)


def test_hub_survives_a_raising_output():
    errors, on_error = _errors()
    good = Recording()
    hub = OutputHub([Exploding(), good], on_error=on_error)
    for i in range(5):
        hub.emit(GestureEvent("wave", i / 10))
    assert hub.flush()
    assert [e.confidence for e in good.events] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert len(errors) == 1  # the same failure is reported once, not per event
    assert errors[0][1] == "exploding failed: RuntimeError: peer gone"
    assert hub.stats()[0] == {"output": "exploding", "sent": 0, "failed": 5, "dropped": 0}
    hub.close()


def test_hub_never_blocks_on_a_slow_output():
    gate = threading.Event()
    slow, fast = Recording(gate), Recording()
    errors, on_error = _errors()
    hub = OutputHub([slow, fast], on_error=on_error, queue_size=8)
    for i in range(50):
        hub.emit(GestureEvent("wave", 0.5))  # would hang here if emit waited for the slow output
        deadline = time.monotonic() + 5
        while len(fast.events) < i + 1 and time.monotonic() < deadline:
            time.sleep(0.001)
    assert len(fast.events) == 50  # the fast output is not held up by the slow one
    gate.set()
    assert hub.flush()
    stats = hub.stats()
    assert stats[1] == {"output": "recording", "sent": 50, "failed": 0, "dropped": 0}
    assert stats[0]["dropped"] >= 41 and stats[0]["sent"] + stats[0]["dropped"] == 50
    assert len(slow.events) == stats[0]["sent"]
    assert any("falling behind" in message for _, message in errors)
    hub.close()


def test_config_round_trip_and_build(osc_server):
    config = OutputsConfig()
    assert OutputsConfig.from_json(config.to_json()) == config
    config.osc.enabled, config.osc.port = True, osc_server[0]
    config.websocket.enabled, config.websocket.host = True, "10.0.0.5"
    config.keystrokes.enabled = True
    again = OutputsConfig.from_json(config.to_json())
    assert again == config
    outputs, problems = build_outputs(again, {"wave": {"osc": "/w", "key": "ctrl+right"}})
    assert [type(o).__name__ for o in outputs] == ["OscOutput", "KeystrokeOutput"]
    assert len(problems) == 1 and "other computers" in problems[0]
    assert outputs[1].armed is False and str(outputs[1].combos["wave"]) == "ctrl+right"
    with pytest.raises(OutputError, match="port must be int"):
        OutputsConfig.from_dict({"osc": {"port": "9000"}})
    assert OutputsConfig.from_dict({"osc": {"port": 1}, "future": 1}).osc.port == 1
    with pytest.raises(OutputError, match="allow_remote must be bool"):
        OutputsConfig.from_dict({"allow_remote": "no"})
    assert OutputsConfig.from_dict({"allow_remote": True}).allow_remote is True
