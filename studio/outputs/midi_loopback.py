"""An in-process MIDI backend for mido: virtual ports that other ports in this process connect to.

mido loads a backend by module name (``mido.Backend("studio.outputs.midi_loopback")``), so this module
is what the MIDI output's tests and ``studio bench outputs`` use where the computer has no MIDI system
(no ALSA sequencer, no CoreMIDI): the output goes through mido's real message and port classes, and a
receiver in the same process gets every message, the way a synth connected to a virtual port would.

Semantics follow ALSA/CoreMIDI virtual ports: an *output* opened with ``virtual=True`` is a source
that inputs open by name; an *input* opened with ``virtual=True`` is a destination that outputs open by
name. Opening a name nobody created raises ``OSError``, as the RtMidi backend does.
"""

from __future__ import annotations

import queue
import threading

from mido.ports import BaseInput, BaseOutput

_lock = threading.RLock()  # re-entrant: a port garbage-collected under it closes itself
_sources: dict[str, list["Input"]] = {}       # virtual output name -> inputs listening to it
_destinations: dict[str, "Input"] = {}        # virtual input name -> that input


def get_devices(**_: object) -> list[dict]:
    """Ports that can be opened by name: virtual outputs (as inputs) and virtual inputs (as outputs)."""
    with _lock:
        return ([{"name": n, "is_input": True, "is_output": False} for n in _sources]
                + [{"name": n, "is_input": False, "is_output": True} for n in _destinations])


def reset() -> None:
    """Forget every port (tests start from a clean bus)."""
    with _lock:
        _sources.clear()
        _destinations.clear()


class Input(BaseInput):
    """Receives from a virtual output of this process, or is itself a virtual destination."""

    def _open(self, virtual: bool = False, callback=None, **_: object) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._virtual = virtual
        self.callback = callback
        with _lock:
            if virtual:
                if self.name in _destinations:
                    raise OSError(f"a MIDI port named {self.name!r} already exists")
                _destinations[self.name] = self
            elif self.name in _sources:
                _sources[self.name].append(self)
            else:
                raise OSError(f"unknown MIDI port {self.name!r}")

    def deliver(self, msg) -> None:  # noqa: ANN001 - a mido Message
        """Called by a connected output (on the sender's thread)."""
        callback = self.callback
        if callback is not None:
            callback(msg)
        else:
            self._queue.put(msg)

    def _receive(self, block: bool = True):  # noqa: ANN202
        try:
            return self._queue.get(block=block, timeout=0.1 if block else None)
        except queue.Empty:
            return None

    def _close(self) -> None:
        with _lock:
            if self._virtual:
                _destinations.pop(self.name, None)
            elif self in _sources.get(self.name, []):
                _sources[self.name].remove(self)


class Output(BaseOutput):
    """Sends to the inputs listening to it (virtual) or to a virtual destination by name."""

    def _open(self, virtual: bool = False, **_: object) -> None:
        self._virtual = virtual
        with _lock:
            if virtual:
                if self.name in _sources:
                    raise OSError(f"a MIDI port named {self.name!r} already exists")
                _sources[self.name] = []
            elif self.name not in _destinations:
                raise OSError(f"unknown MIDI port {self.name!r}")

    def _send(self, msg) -> None:  # noqa: ANN001
        with _lock:
            targets = list(_sources.get(self.name, [])) if self._virtual else [_destinations.get(self.name)]
        for target in targets:
            if target is not None:
                target.deliver(msg)

    def _close(self) -> None:
        if self._virtual:
            with _lock:
                _sources.pop(self.name, None)
