"""``studio live --midi PORT --stream SPEC``: in-process against mido's loopback backend (a local receiver)."""

from __future__ import annotations

import argparse
import queue
import time

import mido
import numpy as np
import pytest
from tiny_show import save_tiny_model

from studio import live_cmd, live_stage
from studio.outputs import OutputError, OutputHub
from studio.outputs import midi_loopback
from studio.outputs.config import OutputsConfig

LOOPBACK = "studio.outputs.midi_loopback"


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    """A project with one gesture mapped to a MIDI note, and a tiny model checkpoint."""
    pytest.importorskip("torch")
    from studio.project import Project

    folder = tmp_path_factory.mktemp("stage")
    save_tiny_model(folder)
    project = Project.create(folder / "show.gesture")
    project.add_gesture("wave", "wave the hand side to side",
                        output={"midi": {"kind": "note", "number": 65, "length_ms": 60_000}})
    project.close()
    return folder


@pytest.fixture()
def synth():
    """A receiver that is itself a virtual port the studio connects to by name (like a DAW's input)."""
    midi_loopback.reset()
    got: queue.SimpleQueue = queue.SimpleQueue()
    port = mido.Backend(LOOPBACK, load=True).open_input("Synth In", virtual=True, callback=got.put)
    yield got
    port.close()
    midi_loopback.reset()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    live_cmd.add_arguments(parser)
    return parser.parse_args(argv)


def drain(got: queue.SimpleQueue) -> list:
    out = []
    while not got.empty():
        out.append(got.get())
    return out


def test_live_streams_the_pitch_on_a_cc(show, synth, capsys):
    args = parse([str(show / "show.gesture"), "--device", "simulator?seed=2", "--model", str(show / "model"),
                  "--midi", "Synth In", "--midi-backend", LOOPBACK, "--stream", "pitch:midi:cc=74,channel=3",
                  "--stream-rate", "100", "--seconds", "2", "--heartbeat", "0"])
    assert live_cmd.run(args) == 0
    log = capsys.readouterr().out
    assert "MIDI -> Synth In" in log and "pitch of any device -> MIDI CC 74 (ch 3)" in log
    ccs = [m for m in drain(synth) if m.type == "control_change"]
    assert ccs and all((m.control, m.channel) == (74, 2) for m in ccs)


def test_live_sends_the_gestures_note_and_ends_it_when_stopping(show, synth):
    from studio.project import Project
    from studio.recognition.live import LiveEvent

    args = parse([str(show / "show.gesture"), "--midi", "Synth In", "--midi-backend", LOOPBACK])
    project = Project.open(show / "show.gesture")
    try:
        outs, problems = live_cmd._outputs(args, project, project.gestures())
    finally:
        project.close()
    assert problems == []
    hub = OutputHub(outs)
    pipeline = live_cmd.LivePipeline(recogniser=None, hub=hub, log=lambda _t: None)
    now = time.perf_counter()
    pipeline.on_event(LiveEvent("wave", 0.5, time.time(), {"wave": 0.5}, arrival=now, emitted=now))
    assert hub.flush()
    on = synth.get(timeout=5)
    assert (on.type, on.note, on.velocity) == ("note_on", 65, 64)
    hub.close()  # what `studio live` does on Ctrl-C: the note must not hang
    off = synth.get(timeout=5)
    assert (off.type, off.note) == ("note_off", 65)


def test_a_missing_port_stops_nothing_else_and_is_logged(show, capsys):
    midi_loopback.reset()
    args = parse([str(show / "show.gesture"), "--device", "simulator?seed=2", "--model", str(show / "model"),
                  "--midi", "Ableton In", "--midi-backend", LOOPBACK, "--seconds", "1", "--heartbeat", "0"])
    assert live_cmd.run(args) == 0
    assert "no MIDI port named 'Ableton In'" in capsys.readouterr().out


@pytest.mark.parametrize("spec, words", [
    ("pitch", "SIGNAL:TARGET"),
    ("tilt:osc", "not one of roll"),
    ("pitch:dmx", "target 'dmx'"),
    ("pitch:midi:cc=x", "is not a number"),
    ("pitch:midi:colour=red", "not a stream setting"),
    ("pitch:osc:in_min=3,in_max=3", "is empty"),
    ("pitch:osc:address=/bad address", "space"),
])
def test_bad_stream_switches_are_refused_in_words(spec, words):
    with pytest.raises(OutputError, match=words):
        live_stage.parse_stream(spec)


def test_switches_go_on_top_of_the_project_settings():
    config = OutputsConfig()
    live_stage.apply(parse(["p", "--midi", "virtual", "--midi-channel", "10", "--stream", "roll@left:osc",
                            "--stream", "similarity:websocket:gesture=wave", "--wekinator"]), config)
    assert config.midi.enabled and config.midi.port == "" and config.midi.channel == 10
    s = config.streams
    assert s.enabled and s.wekinator and [x.name for x in s.streams] == ["roll@left:osc", "similarity:websocket"]
    assert s.streams[0].device == "left" and s.streams[1].gesture == "wave"
    with pytest.raises(OutputError, match="1 to 16"):
        live_stage.apply(parse(["p", "--midi-channel", "17"]), OutputsConfig())
    assert np.isclose(s.rate_hz, 50.0)
