"""Continuous streams: configuration, mapping, and delivery over OSC, MIDI CC and Wekinator's /wek/inputs."""

from __future__ import annotations

import queue
import threading

import mido
import numpy as np
import pytest

from studio.outputs import GestureEvent, OscOutput, OutputError, OutputHub
from studio.outputs import midi_loopback
from studio.outputs.config import OutputsConfig
from studio.outputs.events import Output
from studio.outputs.local_receiver import OscReceiver
from studio.outputs.midi import PORT_NAME, MidiOutput
from studio.outputs.stream_config import StreamConfig, StreamsConfig
from studio.outputs.streams import StreamEngine
from studio.signals.stream import Chunk


def tilted(pitch_deg: float, n: int = 100, rate: float = 100.0, t0: float = 0.0) -> Chunk:
    """A still device pitched by ``pitch_deg`` (NWU: nose down is positive pitch for -x gravity)."""
    p = np.radians(pitch_deg)
    acc = np.tile([-np.sin(p), 0.0, np.cos(p)], (n, 1))
    return Chunk(t0 + np.arange(n) / rate, np.hstack([acc, np.zeros((n, 3))]))


@pytest.fixture()
def receiver():
    r = OscReceiver()
    yield r
    r.close()


@pytest.fixture()
def osc(receiver):
    out = OscOutput("127.0.0.1", receiver.port)
    out.start()
    yield out
    out.close()


def engine_for(streams, outputs, **kw) -> StreamEngine:
    return StreamEngine(StreamsConfig(enabled=True, rate_hz=100.0, streams=tuple(streams), **kw), outputs)


def test_pitch_is_mapped_onto_0_1_over_osc(receiver, osc):
    engine = engine_for([StreamConfig.for_signal("pitch")], {"osc": osc})
    engine.feed(tilted(30.0))
    engine.start()
    try:
        address, args = receiver.next("/imu/imu/pitch")
        assert args[0] == pytest.approx((30 + 90) / 180, abs=0.01)
    finally:
        engine.close()
    raw, mapped = engine.values()["pitch"]
    assert raw[0] == pytest.approx(30.0, abs=0.5) and mapped[0] == pytest.approx(2 / 3, abs=0.01)


def test_orientation_sends_three_values_and_energy_is_near_zero_at_rest(receiver, osc):
    streams = [StreamConfig.for_signal("orientation"), StreamConfig.for_signal("energy", in_min=0.0, in_max=1.0)]
    engine = engine_for(streams, {"osc": osc})
    engine.feed(tilted(0.0), device="left")
    engine.start()
    try:
        _, rpy = receiver.next("/imu/left/orientation")
        _, energy = receiver.next("/imu/left/energy")
    finally:
        engine.close()
    assert len(rpy) == 3 and rpy[0] == pytest.approx(0.5, abs=0.01) and rpy[1] == pytest.approx(0.5, abs=0.01)
    assert energy[0] == pytest.approx(0.0, abs=0.01)


def test_pitch_to_a_midi_cc_arrives_on_a_local_receiver():
    midi_loopback.reset()
    out = MidiOutput(backend="studio.outputs.midi_loopback")
    out.start()
    got: queue.SimpleQueue = queue.SimpleQueue()
    synth = mido.Backend("studio.outputs.midi_loopback", load=True).open_input(PORT_NAME, callback=got.put)
    engine = engine_for([StreamConfig.for_signal("pitch", target="midi", cc=74, channel=2)], {"midi": out})
    engine.feed(tilted(-45.0))
    engine.start()
    try:
        msg = got.get(timeout=5)
    finally:
        engine.close()
        synth.close()
        out.close()
    assert (msg.type, msg.channel, msg.control) == ("control_change", 1, 74)
    assert msg.value == round((-45 + 90) / 180 * 127)


def test_similarity_uses_the_recogniser_and_its_own_rate(receiver, osc):
    calls: queue.SimpleQueue = queue.SimpleQueue()

    def similarities(window, rate_hz, channels):
        calls.put((window.shape, rate_hz, channels))
        return {"wave": 0.8, "tap": 0.1}

    engine = engine_for([StreamConfig.for_signal("similarity", name="wave sim", gesture="wave")], {"osc": osc},
                        similarity_hz=20.0)
    engine.set_similarity(similarities)
    engine.feed(tilted(0.0, n=300))
    engine.start()
    try:
        _, args = receiver.next("/gesture/wave/similarity")
        shape, rate, channels = calls.get(timeout=5)
    finally:
        engine.close()
    assert args[0] == pytest.approx(0.8)
    assert shape == (256, 6) and rate == pytest.approx(100.0) and channels[0] == "acc_x"


def test_deadband_holds_a_steady_value(receiver, osc):
    engine = engine_for([StreamConfig.for_signal("pitch", deadband=0.05)], {"osc": osc})
    engine.feed(tilted(10.0))
    engine.start()
    try:
        receiver.next("/imu/imu/pitch")
        engine.feed(tilted(10.5, t0=1.0))          # under the deadband: not sent
        engine.feed(tilted(40.0, n=400, t0=2.0))   # well over it: sent
        _, args = receiver.next("/imu/imu/pitch")
    finally:
        engine.close()
    assert args[0] > (25 + 90) / 180


def test_wekinator_gets_every_stream_as_one_wek_inputs_message(receiver, osc):
    streams = [StreamConfig.for_signal("roll"), StreamConfig.for_signal("pitch")]
    engine = engine_for(streams, {"osc": osc}, wekinator=True, wekinator_port=receiver.port)
    engine.feed(tilted(30.0))
    engine.start()
    try:
        _, args = receiver.next("/wek/inputs")
    finally:
        engine.close()
    assert len(args) == 2 and args[1] == pytest.approx(2 / 3, abs=0.01)


def test_a_stuck_stream_output_never_delays_gesture_events(receiver, osc):
    release = threading.Event()

    class StuckOsc(OscOutput):
        def send_values(self, address, values):
            release.wait(10)   # a receiver that blocks the stream thread

    stuck = StuckOsc("127.0.0.1", receiver.port)
    stuck.start()
    engine = engine_for([StreamConfig.for_signal("pitch")], {"osc": stuck})
    engine.feed(tilted(0.0))
    engine.start()
    hub = OutputHub([osc])
    try:
        hub.emit(GestureEvent("wave", 0.9))
        address, args = receiver.next("/gesture/wave")
        assert args[0] == pytest.approx(0.9)
    finally:
        release.set()
        engine.close()
        hub.close()
        stuck.close()


def test_a_stream_to_an_output_that_is_off_is_listed():
    engine = engine_for([StreamConfig.for_signal("pitch", target="midi")], {})
    assert engine.problems and "MIDI" in engine.problems[0] and "not running" in engine.problems[0]


@pytest.mark.parametrize("stream, words", [
    (StreamConfig.for_signal("pitch", in_min=5.0, in_max=5.0), "is empty"),
    (StreamConfig.for_signal("pitch", address="/imu/bad address"), "space"),
    (StreamConfig.for_signal("pitch", address="imu/pitch"), "must look like"),
    (StreamConfig.for_signal("similarity"), "choose the gesture"),
    (StreamConfig.for_signal("orientation", target="midi"), "one value"),
    (StreamConfig.for_signal("pitch", target="midi", cc=40, fine=True), "0-31 for 14-bit"),
    (StreamConfig.for_signal("pitch", deadband=0.9), "deadband"),
])
def test_bad_stream_settings_are_refused_in_words(stream, words):
    with pytest.raises(OutputError, match=words):
        StreamsConfig(streams=(stream,)).check()


def test_rate_and_names_are_checked_and_settings_round_trip():
    with pytest.raises(OutputError, match="1 to 200 Hz"):
        StreamsConfig(rate_hz=0.0).check()
    with pytest.raises(OutputError, match="same name"):
        StreamsConfig(streams=(StreamConfig.for_signal("pitch"), StreamConfig.for_signal("pitch"))).check()
    config = OutputsConfig(streams=StreamsConfig(enabled=True, rate_hz=100.0, streams=(
        StreamConfig.for_signal("pitch", target="midi", cc=1), StreamConfig.for_signal("energy"))))
    back = OutputsConfig.from_json(config.to_json())
    assert back.streams == config.streams and back.to_dict() == config.to_dict()
    with pytest.raises(OutputError, match="in_min must be float"):
        StreamsConfig.from_dict({"streams": [{"in_min": "low"}]})


def test_output_base_has_no_stream_methods_by_accident():
    assert not hasattr(Output, "send_values")


def test_websocket_gets_one_frame_per_tick_with_every_stream():
    import json

    from websockets.sync.client import connect

    from studio.outputs import WebSocketOutput

    ws = WebSocketOutput("127.0.0.1", 0)
    ws.start()
    streams = [StreamConfig.for_signal("pitch", target="websocket"),
               StreamConfig.for_signal("orientation", name="rpy", target="websocket")]
    engine = engine_for(streams, {"websocket": ws})
    try:
        with connect(f"ws://127.0.0.1:{ws.port}") as client:
            engine.feed(tilted(30.0), device="left")
            engine.start()
            frame = json.loads(client.recv(timeout=5))
    finally:
        engine.close()
        ws.close()
    assert frame["type"] == "streams" and frame["values"]["pitch"] == pytest.approx(2 / 3, abs=0.01)
    assert len(frame["values"]["rpy"]) == 3
