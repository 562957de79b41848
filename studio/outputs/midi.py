"""MIDI output (mido over python-rtmidi): a note, a CC value or a program change per gesture.

By default the studio opens a *virtual* output port named ``UniMotion Studio`` (Linux ALSA, macOS
CoreMIDI) that Ableton Live, Logic, QLab or a lighting desk select as an input. Windows cannot create
virtual ports: there a loopback driver (loopMIDI is the usual one) provides a port that is chosen by name.

Each gesture's mapping lives in its output dict under ``"midi"``:
``{"kind": "note", "number": 60, "length_ms": 250}`` (velocity from the confidence),
``{"kind": "cc", "number": 20, "value": 127}`` or ``{"kind": "program", "number": 5}``;
an optional ``"channel"`` (1-16) overrides the output's channel.

Every note on is followed by its note off: after its length, or at once when the output closes
(outputs stopped, project closed, app quit) -- a hanging note is the classic live-show failure.
"""

from __future__ import annotations

import heapq
import sys
import threading
import time
from dataclasses import dataclass

from studio.outputs.events import GestureEvent, Output, OutputError

PORT_NAME = "UniMotion Studio"
RTMIDI_BACKEND = "mido.backends.rtmidi"
KINDS = ("note", "cc", "program")
NO_VIRTUAL_PORTS = ("Windows cannot create a virtual MIDI port: install a loopback driver such as "
                    "loopMIDI, create a port there and choose it by name here.")


def check_channel(channel: object) -> int:
    """A MIDI channel as people number them, 1-16 (0-15 on the wire)."""
    if isinstance(channel, bool) or not isinstance(channel, int) or not 1 <= channel <= 16:
        raise OutputError(f"A MIDI channel is a whole number from 1 to 16, not {channel!r}.")
    return channel


def _check_7bit(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 127:
        raise OutputError(f"A MIDI {what} is a whole number from 0 to 127, not {value!r}.")
    return value


@dataclass(frozen=True)
class MidiAction:
    """What one gesture sends: ``kind`` note/cc/program, its ``number``, the CC ``value``, the note's
    ``length_ms`` and an optional ``channel`` (1-16; 0 = the output's channel)."""

    kind: str = "note"
    number: int = 60
    value: int = 127
    length_ms: int = 250
    channel: int = 0

    @classmethod
    def from_dict(cls, data: object) -> MidiAction:
        """Parse a gesture's ``"midi"`` mapping; OutputError in plain words when it is unusable."""
        if not isinstance(data, dict):
            raise OutputError(f"A gesture's MIDI mapping must be an object like "
                              f"{{'kind': 'note', 'number': 60}}, not {data!r}.")
        kind = data.get("kind", "note")
        if kind not in KINDS:
            raise OutputError(f"MIDI kind {kind!r} is not one of note, cc, program.")
        what = {"note": "note number", "cc": "controller number", "program": "program number"}[kind]
        number = _check_7bit(data.get("number", 60), what)
        value = _check_7bit(data.get("value", 127), "CC value")
        length = data.get("length_ms", 250)
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 60_000:
            raise OutputError(f"A note length is a whole number of milliseconds from 1 to 60000, not {length!r}.")
        channel = data.get("channel", 0)
        if channel != 0:
            check_channel(channel)
        return cls(kind, number, value, length, channel)

    def to_dict(self) -> dict:
        """The stored form (only the fields that matter for the kind)."""
        out: dict = {"kind": self.kind, "number": self.number}
        if self.kind == "note":
            out["length_ms"] = self.length_ms
        if self.kind == "cc":
            out["value"] = self.value
        if self.channel:
            out["channel"] = self.channel
        return out

    def describe(self) -> str:
        """'note 60 (250 ms)', 'CC 20 = 127', 'program 5'."""
        if self.kind == "note":
            return f"note {self.number} ({self.length_ms} ms)"
        if self.kind == "cc":
            return f"CC {self.number} = {self.value}"
        return f"program {self.number}"


def velocity(confidence: float) -> int:
    """Note velocity 1-127 from a confidence in [0, 1] (0 would read as a note off to many receivers)."""
    c = min(1.0, max(0.0, float(confidence))) if confidence == confidence else 0.0
    return max(1, min(127, int(round(1 + 126 * c))))


def _load_backend(backend: object):  # noqa: ANN202 - a mido.Backend
    try:
        import mido
    except ImportError:
        raise OutputError("MIDI is unavailable: the mido package is not installed "
                          "(pip install mido python-rtmidi).") from None
    if backend is None or isinstance(backend, str):
        backend = mido.Backend(backend or RTMIDI_BACKEND, load=False)
    try:
        backend.load()
    except ImportError as exc:
        raise OutputError(f"MIDI is unavailable: its backend could not be loaded ({exc}). "
                          "Install python-rtmidi.") from None
    return backend


def _no_midi_system(exc: BaseException) -> OutputError:
    text = str(exc).strip() or type(exc).__name__
    if "ALSA" in text or "sequencer" in text:
        return OutputError("No MIDI system on this computer: the ALSA sequencer is missing (/dev/snd/seq). "
                           "Load the snd-seq kernel module, or run the studio where MIDI is available.")
    return OutputError(f"The MIDI system cannot be used: {text}.")


def output_names(backend: object = None) -> list[str]:
    """The MIDI output ports this computer offers (OutputError when there is no MIDI system)."""
    backend = _load_backend(backend)
    try:
        return list(backend.get_output_names())
    except OSError as exc:
        raise _no_midi_system(exc) from None


class MidiOutput(Output):
    """Send each gesture's :class:`MidiAction` on ``port`` ("" = a virtual port named :data:`PORT_NAME`).

    ``backend`` is a mido backend or its module name (default: RtMidi); tests and the benchmark pass
    ``studio.outputs.midi_loopback``. Note offs are sent by a small timer thread.
    """

    name = "MIDI"

    def __init__(self, port: str = "", channel: int = 1, actions: dict[str, MidiAction] | None = None,
                 backend: object = None, platform: str = sys.platform) -> None:
        self.port_name = port.strip() if isinstance(port, str) else ""
        self.channel = check_channel(channel)
        self.actions = dict(actions or {})
        self._backend_spec = backend
        self._platform = platform
        self._port = None
        self._pending: list[tuple[float, int, int, int]] = []   # (due, seq, channel0, note), a heap
        self._seq = 0
        self._cond = threading.Condition()
        self._timer: threading.Thread | None = None
        self._closing = False
        self.sent_messages = 0

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Open the port; a missing MIDI system, backend or port raises OutputError in plain words."""
        if self._port is not None:
            return
        backend = _load_backend(self._backend_spec)
        virtual = not self.port_name
        if virtual and self._platform == "win32":
            raise OutputError(NO_VIRTUAL_PORTS)
        try:
            if virtual:
                self._port = backend.open_output(PORT_NAME, virtual=True)
            else:
                names = list(backend.get_output_names())
                if self.port_name not in names:
                    offered = ", ".join(repr(n) for n in names) or "none"
                    hint = " A loopback driver such as loopMIDI provides one." if self._platform == "win32" else ""
                    raise OutputError(f"There is no MIDI port named {self.port_name!r} (ports here: {offered}).{hint}")
                self._port = backend.open_output(self.port_name)
        except OSError as exc:
            raise _no_midi_system(exc) from None
        self._closing = False
        self._timer = threading.Thread(target=self._run_timer, name="midi-note-off", daemon=True)
        self._timer.start()

    def close(self) -> None:
        """Send every pending note off now, then close the port (idempotent)."""
        with self._cond:
            self._closing = True
            pending, self._pending = self._pending, []
            self._cond.notify_all()
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.join(2.0)
        port, self._port = self._port, None
        if port is None:
            return
        for _, _, channel0, note in sorted(pending):
            self._send(port, "note_off", channel=channel0, note=note, velocity=0)
        try:
            port.close()
        except Exception:  # the notes are off; a failing close must not stop the others closing
            pass

    def describe(self) -> str:
        where = self.port_name or f"virtual port '{PORT_NAME}'"
        return f"MIDI -> {where}, channel {self.channel}"

    # -- sending -------------------------------------------------------------------------------
    def send(self, event: GestureEvent) -> None:
        action = self.actions.get(event.gesture)
        if action is None:
            return
        port = self._require_port()
        channel0 = (action.channel or self.channel) - 1
        if action.kind == "note":
            with self._cond:
                # the same note again while it sounds: end it first so receivers count one note on per off
                if any(c == channel0 and n == action.number for _, _, c, n in self._pending):
                    self._pending = [p for p in self._pending if not (p[2] == channel0 and p[3] == action.number)]
                    heapq.heapify(self._pending)
                    self._send(port, "note_off", channel=channel0, note=action.number, velocity=0)
                self._send(port, "note_on", channel=channel0, note=action.number,
                           velocity=velocity(event.confidence))
                self._seq += 1
                heapq.heappush(self._pending, (time.monotonic() + action.length_ms / 1000.0, self._seq,
                                               channel0, action.number))
                self._cond.notify_all()
        elif action.kind == "cc":
            self._send(port, "control_change", channel=channel0, control=action.number, value=action.value)
        else:
            self._send(port, "program_change", channel=channel0, program=action.number)

    def send_cc(self, channel: int, control: int, value: float, fine: bool = False) -> None:
        """A continuous controller from a value in [0, 1]: 7-bit, or 14-bit as MSB on ``control`` (0-31)
        and LSB on ``control + 32``. Called from the continuous-stream thread."""
        port = self._require_port()
        v = min(1.0, max(0.0, float(value)))
        if fine:
            full = int(round(v * 16383))
            self._send(port, "control_change", channel=channel - 1, control=control, value=full >> 7)
            self._send(port, "control_change", channel=channel - 1, control=control + 32, value=full & 0x7F)
        else:
            self._send(port, "control_change", channel=channel - 1, control=control, value=int(round(v * 127)))

    @property
    def notes_sounding(self) -> int:
        """Notes on whose note off is still to come."""
        with self._cond:
            return len(self._pending)

    def _require_port(self):  # noqa: ANN202
        port = self._port
        if port is None:
            raise OutputError("The MIDI port is not open.")
        return port

    def _send(self, port, kind: str, **fields: int) -> None:  # noqa: ANN001
        import mido

        try:
            port.send(mido.Message(kind, **fields))
        except OSError as exc:
            raise OutputError(f"MIDI sending failed: {exc}.") from None
        self.sent_messages += 1

    def _run_timer(self) -> None:
        while True:
            with self._cond:
                if self._closing:
                    return
                if not self._pending:
                    self._cond.wait()
                    continue
                due = self._pending[0][0] - time.monotonic()
                if due > 0:
                    self._cond.wait(due)
                    continue
                _, _, channel0, note = heapq.heappop(self._pending)
                port = self._port
                if port is None:
                    continue
                try:
                    # under the lock, so a retrigger of the same note cannot slip in between
                    self._send(port, "note_off", channel=channel0, note=note, velocity=0)
                except OutputError:  # the port went away; close() has nothing left to switch off
                    pass
