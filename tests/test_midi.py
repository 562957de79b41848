"""MIDI output through mido's backend seam: the in-process loopback backend stands in for ALSA/CoreMIDI."""

from __future__ import annotations

import queue

import mido
import pytest

from studio.outputs import GestureEvent, OutputError, OutputHub
from studio.outputs.config import OutputsConfig, build_outputs
from studio.outputs.midi import PORT_NAME, MidiAction, MidiOutput, output_names, velocity
from studio.outputs import midi_loopback

LOOPBACK = "studio.outputs.midi_loopback"


@pytest.fixture()
def bus():
    midi_loopback.reset()
    yield mido.Backend(LOOPBACK, load=True)
    midi_loopback.reset()


class Receiver:
    """A synth listening on a MIDI port: collects messages on a queue."""

    def __init__(self, backend, name: str = PORT_NAME, virtual: bool = False) -> None:
        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        self.port = backend.open_input(name, virtual=virtual, callback=self.messages.put)

    def take(self, n: int) -> list:
        return [self.messages.get(timeout=5) for _ in range(n)]

    def empty(self) -> bool:
        return self.messages.empty()


def test_note_on_then_note_off_after_its_length(bus):
    out = MidiOutput(channel=3, actions={"wave": MidiAction("note", 64, length_ms=30)}, backend=LOOPBACK)
    out.start()
    synth = Receiver(bus)
    out.send(GestureEvent("wave", 1.0))
    on, off = synth.take(2)
    assert (on.type, on.channel, on.note, on.velocity) == ("note_on", 2, 64, 127)
    assert (off.type, off.channel, off.note) == ("note_off", 2, 64)
    assert out.notes_sounding == 0
    out.close()


def test_every_note_on_gets_its_note_off_when_the_output_closes(bus):
    out = MidiOutput(actions={"wave": MidiAction("note", 60, length_ms=60_000),
                              "tap": MidiAction("note", 62, length_ms=60_000, channel=10)}, backend=LOOPBACK)
    out.start()
    synth = Receiver(bus)
    out.send(GestureEvent("wave", 0.5))
    out.send(GestureEvent("tap", 0.0))
    ons = synth.take(2)
    assert [(m.note, m.channel, m.velocity) for m in ons] == [(60, 0, 64), (62, 9, 1)]
    assert out.notes_sounding == 2
    out.close()  # long before the notes' length: they must still end
    offs = synth.take(2)
    assert sorted((m.type, m.note, m.channel) for m in offs) == [("note_off", 60, 0), ("note_off", 62, 9)]
    out.close()  # idempotent
    assert synth.empty()


def test_a_retriggered_note_is_ended_first(bus):
    out = MidiOutput(actions={"wave": MidiAction("note", 60, length_ms=60_000)}, backend=LOOPBACK)
    out.start()
    synth = Receiver(bus)
    out.send(GestureEvent("wave", 1.0))
    out.send(GestureEvent("wave", 1.0))
    assert [m.type for m in synth.take(3)] == ["note_on", "note_off", "note_on"]
    out.close()
    assert [m.type for m in synth.take(1)] == ["note_off"]


def test_cc_and_program_change_and_14_bit_cc(bus):
    out = MidiOutput(channel=16, actions={"up": MidiAction("cc", 20, value=99), "pick": MidiAction("program", 5)},
                     backend=LOOPBACK)
    out.start()
    synth = Receiver(bus)
    out.send(GestureEvent("up", 0.9))
    out.send(GestureEvent("pick", 0.9))
    out.send(GestureEvent("unmapped", 0.9))
    out.send_cc(1, 7, 0.5)
    out.send_cc(2, 1, 1.0, fine=True)
    cc, pc, coarse, msb, lsb = synth.take(5)
    assert (cc.type, cc.channel, cc.control, cc.value) == ("control_change", 15, 20, 99)
    assert (pc.type, pc.channel, pc.program) == ("program_change", 15, 5)
    assert (coarse.channel, coarse.control, coarse.value) == (0, 7, 64)
    assert (msb.control, msb.value, lsb.control, lsb.value) == (1, 127, 33, 127)
    out.close()


def test_a_chosen_port_by_name_and_a_missing_one(bus):
    synth = Receiver(bus, "loopMIDI Port", virtual=True)
    assert "loopMIDI Port" in output_names(LOOPBACK)
    out = MidiOutput("loopMIDI Port", actions={"wave": MidiAction("cc", 1)}, backend=LOOPBACK)
    out.start()
    out.send(GestureEvent("wave", 1.0))
    assert synth.take(1)[0].control == 1
    out.close()
    with pytest.raises(OutputError, match="no MIDI port named 'Ableton In'.*loopMIDI Port"):
        MidiOutput("Ableton In", backend=LOOPBACK).start()


def test_windows_is_told_to_use_a_loopback_driver(bus):
    with pytest.raises(OutputError, match="loopMIDI"):
        MidiOutput("", backend=LOOPBACK, platform="win32").start()


def test_no_midi_system_is_said_plainly():
    class NoSequencer:
        """What mido's RtMidi backend does on a machine without /dev/snd/seq."""

        def load(self):
            pass

        def open_output(self, *a, **k):
            raise OSError("MidiOutAlsa::initialize: error creating ALSA sequencer client object.")

        def get_output_names(self):
            raise OSError("MidiOutAlsa::initialize: error creating ALSA sequencer client object.")

    with pytest.raises(OutputError, match="No MIDI system on this computer"):
        MidiOutput(backend=NoSequencer()).start()
    with pytest.raises(OutputError, match="No MIDI system"):
        output_names(NoSequencer())


@pytest.mark.parametrize("bad, words", [
    ({"kind": "chord"}, "not one of note, cc, program"),
    ({"kind": "note", "number": 128}, "from 0 to 127"),
    ({"kind": "note", "length_ms": 0}, "milliseconds"),
    ({"kind": "cc", "channel": 17}, "from 1 to 16"),
    ("C4", "must be an object"),
])
def test_bad_mappings_are_refused_in_words(bad, words):
    with pytest.raises(OutputError, match=words):
        MidiAction.from_dict(bad)


def test_config_round_trip_and_build_reports_bad_mappings(bus):
    config = OutputsConfig.from_dict({"midi": {"enabled": True, "port": "", "channel": 2}})
    assert OutputsConfig.from_dict(config.to_dict()).midi.channel == 2
    outs, problems = build_outputs(config, {"wave": {"midi": {"kind": "note", "number": 61}}},
                                   midi_backend=LOOPBACK)
    assert problems == [] and outs[0].actions["wave"].number == 61
    outs, problems = build_outputs(config, {"wave": {"midi": {"kind": "note", "number": 300}}},
                                   midi_backend=LOOPBACK)
    assert outs == [] and "wave" in problems[0] and "0 to 127" in problems[0]
    with pytest.raises(OutputError, match="channel"):
        OutputsConfig.from_dict({"midi": {"channel": "one"}})


def test_hub_close_ends_notes(bus):
    out = MidiOutput(actions={"wave": MidiAction("note", 60, length_ms=60_000)}, backend=LOOPBACK)
    hub = OutputHub([out])
    synth = Receiver(bus)
    hub.emit(GestureEvent("wave", 0.8))
    assert synth.take(1)[0].type == "note_on"
    hub.close()
    assert synth.take(1)[0].type == "note_off"


def test_velocity_from_confidence():
    assert [velocity(c) for c in (0.0, 0.5, 1.0, 2.0, -1.0, float("nan"))] == [1, 64, 127, 127, 1, 1]
    assert MidiAction.from_dict(MidiAction("cc", 3, value=5).to_dict()) == MidiAction("cc", 3, value=5)
