"""Several devices at once: names in every output, gestures bound to a device, one dropping out alone."""

from __future__ import annotations

import argparse
import time

import pytest

from source_reading import wait_until

from studio import live_cmd, live_stage
from studio.devices.base import DeviceError, Source
from studio.devices.registry import open_source
from studio.devices.runner import State, StreamRunner
from studio.outputs import GestureEvent, OscOutput, OutputError, OutputHub
from studio.outputs.local_receiver import OscReceiver
from studio.project.device_map import DeviceMap, DeviceMapError, parse_device_arg
from studio.recognition.live import LiveEvent


@pytest.fixture()
def receiver():
    r = OscReceiver()
    yield r
    r.close()


def parse(argv):
    parser = argparse.ArgumentParser()
    live_cmd.add_arguments(parser)
    return parser.parse_args(argv)


def test_device_map_binds_gestures_by_id_and_round_trips():
    m = DeviceMap().with_device("left", "ble://AA").with_device("right").bind(3, "left")
    assert m.names == ["left", "right"] and m.device_of(3) == "left" and m.device_of(4) == ""
    assert m.allows(3, "left") and not m.allows(3, "right") and m.allows(4, "right")
    assert DeviceMap.from_dict(m.to_dict()) == m
    assert m.bind(3, "").device_of(3) == ""
    with pytest.raises(DeviceMapError, match="short word"):
        m.with_device("left hand")
    with pytest.raises(DeviceMapError, match="same name"):
        DeviceMap.from_dict({"devices": [{"name": "a"}, {"name": "a"}]})


def test_device_switches_are_named_and_checked():
    assert [(d.name, d.uri) for d in live_stage.devices(parse(["p"]), None)] == [("", "simulator")]
    one = live_stage.devices(parse(["p", "--device", "simulator?rate=200&seed=1"]), None)
    assert [(d.name, d.uri) for d in one] == [("", "simulator?rate=200&seed=1")]
    two = live_stage.devices(parse(["p", "--device", "left=simulator?seed=1", "--device", "serial:///dev/ttyACM0"]),
                             None)
    assert [(d.name, d.uri) for d in two] == [("left", "simulator?seed=1"), ("imu2", "serial:///dev/ttyACM0")]
    with pytest.raises(OutputError, match="same name"):
        live_stage.devices(parse(["p", "--device", "a=simulator", "--device", "a=simulator"]), None)
    assert parse_device_arg("ble://AA:BB?profile=nus", 0).name == "imu1"


def test_events_carry_the_device_and_respect_which_gesture_belongs_where(receiver):
    osc = OscOutput("127.0.0.1", receiver.port)
    hub = OutputHub([osc])
    owners = {"kick": "ankle"}
    wrist = live_cmd.LivePipeline(None, hub, log=lambda _t: None, device="wrist", owners=owners)
    ankle = live_cmd.LivePipeline(None, hub, log=lambda _t: None, device="ankle", owners=owners)
    now = time.perf_counter()

    def event(name):
        return LiveEvent(name, 0.8, time.time(), {name: 0.8}, arrival=now, emitted=now)

    try:
        wrist.on_event(event("kick"))    # belongs to the ankle: not reported from the wrist
        wrist.on_event(event("wave"))    # any device
        ankle.on_event(event("kick"))
        assert receiver.next() == ("/gesture/wave", (pytest.approx(0.8), "wrist"))
        assert receiver.next() == ("/gesture/kick", (pytest.approx(0.8), "ankle"))
    finally:
        hub.close()
    assert (wrist.n_events, ankle.n_events) == (1, 1)
    assert GestureEvent("wave", 1.0, device="left").to_dict()["device"] == "left"
    assert OscOutput(address="/{device}/gesture/{name}").address_for("wave", "left") == "/left/gesture/wave"


class DropsOnce(Source):
    """A simulator that goes away once (a transient fault, like a BLE link lost) and comes back."""

    def __init__(self, uri: str, after_reads: int) -> None:
        super().__init__()
        self.inner = open_source(uri)
        self.after = after_reads
        self.reads = 0
        self.dropped_once = False

    @property
    def info(self):
        return self.inner.info

    def open(self) -> None:
        self.inner.open()

    def read(self, timeout: float = 0.1):
        self.reads += 1
        if self.reads == self.after and not self.dropped_once:
            self.dropped_once = True
            raise DeviceError("The device went out of range.", transient=True)
        return self.inner.read(timeout)

    def close(self) -> None:
        self.inner.close()


def test_a_device_that_drops_out_is_reconnected_without_disturbing_the_other():
    flaky = DropsOnce("simulator?rate=200&seed=1", after_reads=20)
    steady_source = open_source("simulator?rate=200&seed=2")
    counts = {"flaky": 0, "steady": 0}
    states: list[State] = []
    flaky_runner = StreamRunner(flaky, on_chunk=lambda c: counts.__setitem__("flaky", counts["flaky"] + len(c)),
                                on_status=lambda s, m: states.append(s), backoff=(0.05,))
    steady = StreamRunner(steady_source, on_chunk=lambda c: counts.__setitem__("steady", counts["steady"] + len(c)))
    flaky_runner.start()
    steady.start()
    try:
        assert wait_until(lambda: State.RECONNECTING in states, 10)
        during = counts["steady"]
        assert wait_until(lambda: counts["steady"] > during + 100, 10)   # the other kept streaming
        assert wait_until(lambda: flaky_runner.state == State.STREAMING and flaky_runner.reconnects == 1, 10)
        before = counts["flaky"]
        assert wait_until(lambda: counts["flaky"] > before + 100, 10)
    finally:
        flaky_runner.stop()
        steady.stop()
    assert steady.reconnects == 0 and steady.drops.dropped == 0


def test_studio_live_runs_two_devices_and_names_them_in_the_streams(receiver, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from studio.model.checkpoint import save_checkpoint
    from studio.model.config import PRESETS
    from studio.model.encoder import MotionTextModel
    from studio.project import Project

    torch.manual_seed(0)
    save_checkpoint(tmp_path / "model", MotionTextModel(PRESETS["tiny"].model), PRESETS["tiny"], 0)
    project = Project.create(tmp_path / "show.gesture")
    project.add_gesture("wave", "wave the hand")
    project.close()
    args = parse([str(tmp_path / "show.gesture"), "--model", str(tmp_path / "model"),
                  "--device", "left=simulator?seed=1&rate=200", "--device", "right=simulator?seed=2&rate=200",
                  "--osc", f"127.0.0.1:{receiver.port}", "--stream", "pitch@left:osc", "--stream", "pitch@right:osc",
                  "--seconds", "2", "--heartbeat", "0"])
    assert live_cmd.run(args) == 0
    seen = set()
    while not receiver.messages.empty():
        seen.add(receiver.messages.get()[1])
    assert {"/imu/left/pitch", "/imu/right/pitch"} <= seen
    assert "devices: left, right" in capsys.readouterr().out
