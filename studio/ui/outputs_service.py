"""Keeps an :class:`OutputHub` in step with the open project's output settings and gesture mappings.

* The settings live in the project (setting ``"outputs"``); edits are undoable :class:`SetOutputs`
  commands on the project's undo stack.
* Each output kind (OSC, WebSocket, keystrokes) is rebuilt only when its own inputs change, so editing a
  key combo does not drop the WebSocket clients.
* The hub's worker threads report failures through a plain queue (never a Qt object); :meth:`poll`,
  called from a GUI timer, turns them into ``error`` signals and per-output state.
* Keystrokes always start disarmed: arming is a session action, never stored in the project.
* Outputs restored by opening a project start *paused* (nothing is sent, no port is opened) until the
  user resumes them, unless the project says "start outputs with the project": reopening a show file
  must not fire OSC or open a WebSocket server unannounced.
* Continuous streams run in a :class:`StreamEngine` over the running OSC/MIDI/WebSocket outputs; the
  device runner hands it chunks through :attr:`OutputsService.stream_feed` (plain Python).
"""

from __future__ import annotations

import copy
import queue

from PySide6.QtCore import QObject, Signal

from studio.outputs import GestureEvent, KeystrokeOutput, OutputError, OutputHub, OutputsConfig, build_outputs
from studio.outputs.config import SETTINGS_KEY, load_config
from studio.ui.project_model import ProjectModel, ValueCommand

KINDS = ("osc", "websocket", "keystrokes", "midi")
START_WITH_PROJECT_KEY = "outputs_start_with_project"  # project setting: restored outputs start at once
_SECTION_NAMES = {"osc": "OSC", "websocket": "WebSocket", "keystrokes": "Keystrokes", "midi": "MIDI"}
_MAPPING_KEYS = {"osc": "osc", "keystrokes": "key", "midi": "midi"}  # a gesture's output dict entry per kind


class SetOutputs(ValueCommand):
    """Replace the project's output settings (undoable)."""

    def __init__(self, model: ProjectModel, old: OutputsConfig, new: OutputsConfig, text: str) -> None:
        super().__init__(model, text)
        self.old, self.new = old.to_dict(), new.to_dict()

    def apply(self, values: dict) -> None:
        self.project.set_setting(SETTINGS_KEY, values)
        self.model.settings_changed.emit(SETTINGS_KEY)


def _only(config: OutputsConfig, kind: str) -> OutputsConfig:
    """A copy of ``config`` with every output but ``kind`` switched off."""
    single = copy.deepcopy(config)
    for other in KINDS:
        if other != kind:
            getattr(single, other).enabled = False
    return single


class _HubSink:
    """What the recognition thread calls with each event: plain Python holding only the current hub.

    With several devices, ``device`` names the main device and ``owners`` (gesture -> device) drops an
    event of a gesture that belongs to another device; extra devices pass their own ``device``."""

    def __init__(self) -> None:
        self.hub: OutputHub | None = None
        self.device = ""
        self.owners: dict[str, str] = {}

    def __call__(self, event, device: str | None = None) -> None:  # noqa: ANN001 - a LiveEvent, runner thread
        hub = self.hub
        device = self.device if device is None else device
        owner = self.owners.get(event.gesture, "")
        if hub is not None and not (owner and device and owner != device):
            hub.emit(GestureEvent(event.gesture, float(event.confidence), event.t, dict(event.scores), device=device))


class _StreamFeed:
    """What the device runner calls with each chunk: forwards to the current stream engine (plain Python).
    ``device``, ``rate_hz`` and ``channels`` describe the stream and are set from the GUI thread."""

    def __init__(self) -> None:
        self.engine = None
        self.device = ""
        self.rate_hz = 0.0
        self.channels: tuple[str, ...] | None = None

    def __call__(self, chunk) -> None:  # noqa: ANN001 - a Chunk, on the runner thread
        engine = self.engine
        if engine is not None:
            engine.feed(chunk, self.device, self.rate_hz, self.channels)


class OutputsService(QObject):
    """Signals: ``status_changed()`` (state, clients or arming changed), ``error(message)`` (an output
    failed; recognition goes on), ``armed_changed(bool)``."""

    status_changed = Signal()
    error = Signal(str)
    armed_changed = Signal(bool)
    paused_changed = Signal(bool)

    def __init__(self, model: ProjectModel, key_backend: object = None, parent: QObject | None = None,
                 midi_backend: object = None) -> None:
        super().__init__(parent)
        self.model = model
        self.key_backend = key_backend  # tests put a fake here; None = pynput when armed
        self.midi_backend = midi_backend  # tests: "studio.outputs.midi_loopback"; None = RtMidi
        self.stream_feed = _StreamFeed()  # give to the device runner (add_chunk_listener)
        self.streams = None               # the running StreamEngine, if any
        self.stream_problems: list[str] = []
        self._stream_signature: object = None
        self._similarity = None
        self.config = OutputsConfig()
        self.problems: list[str] = []
        self._errors: queue.SimpleQueue = queue.SimpleQueue()  # filled by the hub's threads
        self._hub: OutputHub | None = None
        self.sink = _HubSink()  # give to RecognitionService.add_event_sink
        self._outputs: dict[str, object] = {}
        self._signatures: dict[str, object] = {}
        self._state: dict[str, tuple[str, str]] = {}
        self._clients = 0
        self.paused = False
        model.project_changed.connect(self._on_project_changed)
        model.gestures_changed.connect(self.rebuild)
        model.settings_changed.connect(lambda key: self.rebuild() if key == SETTINGS_KEY else None)
        self._on_project_changed()

    # -- configuration -------------------------------------------------------------------------
    def set_config(self, config: OutputsConfig, text: str = "Change outputs") -> bool:
        """Store ``config`` in the project as one undoable edit (False when no project is open)."""
        if self.model.project is None or config.to_dict() == self.config.to_dict():
            return False
        self.model.run(SetOutputs(self.model, self.config, config, text))
        return True

    def _on_project_changed(self) -> None:
        self.close()
        project = self.model.project
        config, _ = load_config(project.get_setting(SETTINGS_KEY, None)) if project is not None else (None, [])
        restored = config is not None and any(getattr(config, kind).enabled for kind in KINDS)
        self._set_paused(restored and not self.start_with_project)
        self.rebuild()

    @property
    def start_with_project(self) -> bool:
        """Whether this project's outputs start as soon as it is opened (else they start paused)."""
        project = self.model.project
        return bool(project is not None and project.get_setting(START_WITH_PROJECT_KEY, False))

    def set_start_with_project(self, on: bool) -> None:
        """Remember in the project whether its outputs start when it is opened."""
        if self.model.project is not None and on != self.start_with_project:
            self.model.project.set_setting(START_WITH_PROJECT_KEY, bool(on))
            self.status_changed.emit()

    def resume(self) -> None:
        """Start the paused outputs."""
        if self.paused:
            self._set_paused(False)
            self.rebuild()

    def _set_paused(self, paused: bool) -> None:
        if paused != self.paused:
            self.paused = paused
            self.paused_changed.emit(paused)

    def rebuild(self) -> None:
        """Bring the outputs in line with the project (each kind rebuilt only if its inputs changed)."""
        project = self.model.project
        if project is None:
            self.config, self.problems = OutputsConfig(), []
            self.close()
            self.status_changed.emit()
            return
        self.config, self.problems = load_config(project.get_setting(SETTINGS_KEY, None))
        mappings = {g.name: dict(g.output or {}) for g in project.gestures()}
        if self._hub is None:
            errors = self._errors  # the callback runs on the hub's threads: it captures a plain queue only
            self._hub = OutputHub(on_error=lambda output, message: errors.put((output, message)))
            self.sink.hub = self._hub
        for kind in KINDS:
            section = getattr(self.config, kind)
            key = _MAPPING_KEYS.get(kind)
            used = {n: m.get(key) for n, m in mappings.items() if m.get(key)} if key else {}
            signature = (repr(section), self.config.allow_remote, repr(sorted(used.items())))
            if self.paused and section.enabled:
                self._state[kind] = ("paused", "Paused since the project was opened: resume to start it.")
                self._signatures.pop(kind, None)  # built on resume
                continue
            if self._signatures.get(kind) == signature:
                continue
            previous, self._signatures[kind] = self._signatures.get(kind), signature
            if kind == "midi" and previous is not None and previous[:2] == signature[:2] \
                    and self._remap_midi(mappings):
                continue  # a new mapping must not recreate the port: receivers would lose their connection
            self._stop_streams()   # they may send through the output about to be replaced
            self._stream_signature = None
            self._replace(kind, mappings)
        self._rebuild_streams()
        self.poll()
        self.status_changed.emit()

    def _remap_midi(self, mappings: dict[str, dict]) -> bool:
        """Give the running MIDI output new gesture mappings in place; False if it must be rebuilt."""
        from studio.outputs.midi import MidiAction, MidiOutput

        output = self._outputs.get("midi")
        if not isinstance(output, MidiOutput):
            return False
        try:
            actions = {n: MidiAction.from_dict(m["midi"]) for n, m in mappings.items() if m.get("midi")}
        except OutputError as err:
            self._state["midi"] = ("error", f"Invalid MIDI mapping: {err}")
            return True
        output.actions = actions
        self._state["midi"] = ("ok", "")
        return True

    def _replace(self, kind: str, mappings: dict[str, dict]) -> None:
        was_armed = kind == "keystrokes" and self.armed
        old = self._outputs.pop(kind, None)
        if old is not None:
            self._hub.remove(old)
        if not getattr(self.config, kind).enabled:
            self._state[kind] = ("off", "Off.")
            if was_armed:
                self.armed_changed.emit(False)
            return
        outs, problems = build_outputs(_only(self.config, kind), mappings, key_backend=self.key_backend,
                                       midi_backend=self.midi_backend)
        if problems or not outs:
            self._state[kind] = ("error", "Not started: " + " ".join(problems or ["no output was built."]))
            if was_armed:
                self.armed_changed.emit(False)
            return
        output = outs[0]
        self._state[kind] = ("ok", "")
        if self._hub.add(output):
            self._outputs[kind] = output
        if was_armed:
            self.arm(True)

    # -- continuous streams --------------------------------------------------------------------
    def _rebuild_streams(self) -> None:
        """(Re)start the stream engine when its settings or the outputs it sends through changed."""
        config = self.config.streams
        targets = {k: self._outputs[k] for k in ("osc", "midi", "websocket") if k in self._outputs}
        signature = (repr(config), tuple((k, id(v)) for k, v in sorted(targets.items())), self.config.osc.host)
        if signature == self._stream_signature:
            return
        self._stream_signature = signature
        self._stop_streams()
        self.stream_problems = []
        if not config.enabled:
            return
        from studio.outputs.streams import StreamEngine

        errors = self._errors
        try:
            engine = StreamEngine(config, targets, similarity=self._similarity,
                                  wekinator_host=self.config.osc.host,
                                  on_error=lambda message: errors.put((None, message)))
        except OutputError as err:
            self.stream_problems = [f"Streams not started: {err}"]
            return
        self.stream_problems = list(engine.problems)
        engine.start()
        self.streams = engine
        self.stream_feed.engine = engine

    def _stop_streams(self) -> None:
        engine, self.streams = self.streams, None
        self.stream_feed.engine = None
        if engine is not None:
            engine.close()

    def set_stream_source(self, device: str, rate_hz: float, channels: tuple[str, ...] | None) -> None:
        """Describe the stream the runner feeds (called when a device connects)."""
        feed = self.stream_feed
        feed.device, feed.rate_hz, feed.channels = device, float(rate_hz or 0.0), channels

    def set_similarity(self, fn) -> None:  # noqa: ANN001 - Recogniser.similarities or None
        """What similarity streams score windows with (the recogniser, once loaded)."""
        self._similarity = fn
        if self.streams is not None:
            self.streams.set_similarity(fn)

    def stream_values(self) -> dict:
        """Per stream name: (raw values, mapped 0-1 values), for the live preview."""
        return self.streams.values() if self.streams is not None else {}

    # -- live events ---------------------------------------------------------------------------
    def send(self, event) -> None:  # noqa: ANN001 - a LiveEvent
        """Hand a recognised gesture to every running output; returns at once, never raises.
        (Live recognition calls :attr:`sink` directly on its own thread; this is the same thing.)"""
        self.sink(event)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until queued events are delivered (tests, clean shutdown)."""
        return self._hub.flush(timeout) if self._hub is not None else True

    def poll(self) -> None:
        """Report failures queued by the hub's threads and refresh client counts (GUI timer)."""
        changed = False
        while True:
            try:
                output, message = self._errors.get_nowait()
            except queue.Empty:
                break
            kind = self._kind_of(output)
            if kind is not None:
                self._state[kind] = ("error", message)
            self.error.emit(message)
            changed = True
        ws = self._outputs.get("websocket")
        clients = ws.clients if ws is not None else 0
        if clients != self._clients:
            self._clients, changed = clients, True
        if changed:
            self.status_changed.emit()

    def _kind_of(self, output: object) -> str | None:
        for kind, out in self._outputs.items():
            if out is output:
                return kind
        for kind in KINDS:
            if getattr(output, "name", None) == _SECTION_NAMES[kind]:
                return kind
        return None

    # -- state for the panel -------------------------------------------------------------------
    def running(self, kind: str) -> bool:
        return kind in self._outputs

    @property
    def clients(self) -> int:
        """WebSocket clients connected at the last :meth:`poll`."""
        return self._clients

    def state(self, kind: str) -> tuple[str, str]:
        """(level, text) for ``kind``: level is off, ok, idle (keystrokes ready, not armed), error or armed;
        text is plain words."""
        level, text = self._state.get(kind, ("off", "Off."))
        output = self._outputs.get(kind)
        if output is None:
            return level, text or "Not running."
        running = output.describe()
        if kind == "websocket":
            running += f" · {self._clients} client{'s' if self._clients != 1 else ''} connected"
        if kind == "keystrokes":
            if self.armed:
                level = "armed"
            elif level == "ok":
                level = "idle"
            if not output.combos:
                running += " (give gestures a key combo in the Library)"
        if level == "error":
            return level, f"{running}. Last problem: {text}"
        return level, running + "."

    # -- keystrokes ----------------------------------------------------------------------------
    @property
    def armed(self) -> bool:
        output = self._outputs.get("keystrokes")
        return isinstance(output, KeystrokeOutput) and output.armed

    def arm(self, on: bool) -> bool:
        """Arm (or disarm) keystrokes; False with the reason in the keystroke state when it cannot."""
        output = self._outputs.get("keystrokes")
        if not isinstance(output, KeystrokeOutput):
            if on:
                self._state["keystrokes"] = (self._state.get("keystrokes", ("off", ""))[0],
                                             "Enable keystroke output before arming it.")
            self.status_changed.emit()
            self.armed_changed.emit(False)
            return not on
        if on:
            try:
                output.arm()
            except OutputError as err:
                self._state["keystrokes"] = ("error", str(err))
                self.error.emit(str(err))
        else:
            output.disarm()
        self.status_changed.emit()
        self.armed_changed.emit(output.armed)
        return output.armed == on

    def close(self) -> None:
        """Stop every output (quit, project switch); keystrokes end disarmed."""
        was_armed = self.armed
        self._stop_streams()   # before the hub closes the outputs it sends through
        self._stream_signature = None
        self.sink.hub = None  # the recognition thread stops emitting before the hub closes
        if self._hub is not None:
            self._hub.close()
        self._hub = None
        self._outputs.clear()
        self._signatures.clear()
        self._state.clear()
        self._clients = 0
        if was_armed:
            self.armed_changed.emit(False)
