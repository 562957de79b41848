"""Output settings as plain dataclasses, stored as JSON in the project (setting ``"outputs"``).

Per-gesture routing lives in each gesture's ``output`` mapping in the project:
``{"osc": "/lights/wave", "key": "ctrl+alt+right", "midi": {"kind": "note", "number": 60}}`` (all optional;
without ``osc`` the address template is used, without ``key`` the gesture presses nothing, without ``midi``
it sends no MIDI; see :mod:`studio.outputs.midi`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

from studio.outputs.events import Output, OutputError
from studio.outputs.osc import DEFAULT_ADDRESS
from studio.outputs.stream_config import StreamsConfig

SETTINGS_KEY = "outputs"


@dataclass
class OscConfig:
    """OSC over UDP; ``address`` is a template with ``{name}``."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 9000
    address: str = DEFAULT_ADDRESS


@dataclass
class WebSocketConfig:
    """A WebSocket server broadcasting JSON events."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8765


@dataclass
class KeystrokeConfig:
    """Keystrokes per gesture. Deliberately no ``armed`` field: keystrokes always start disarmed."""

    enabled: bool = False


@dataclass
class MidiConfig:
    """MIDI: ``port`` "" opens a virtual port named after the studio (Linux, macOS); else a port by name."""

    enabled: bool = False
    port: str = ""
    channel: int = 1


@dataclass
class OutputsConfig:
    """All output settings. ``allow_remote`` must be True for any host other than this computer."""

    osc: OscConfig = field(default_factory=OscConfig)
    websocket: WebSocketConfig = field(default_factory=WebSocketConfig)
    keystrokes: KeystrokeConfig = field(default_factory=KeystrokeConfig)
    midi: MidiConfig = field(default_factory=MidiConfig)
    streams: StreamsConfig = field(default_factory=StreamsConfig)
    allow_remote: bool = False

    def to_dict(self) -> dict:
        """Plain nested dicts (and lists), as stored in the project."""
        data = asdict(self)
        data["streams"] = self.streams.to_dict()
        return data

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict | None) -> OutputsConfig:
        """Build from stored JSON data; unknown keys are ignored, wrong types raise OutputError."""
        data = data or {}
        if not isinstance(data, dict):
            raise OutputError("The stored output settings are not a JSON object.")
        allow_remote = data.get("allow_remote", False)
        if not isinstance(allow_remote, bool):
            # bool("no") is True: opening the outputs to the network must never follow from a typo
            raise OutputError(f"Output setting allow_remote must be bool, not {allow_remote!r}.")
        return cls(
            osc=_section(OscConfig, data.get("osc")),
            websocket=_section(WebSocketConfig, data.get("websocket")),
            keystrokes=_section(KeystrokeConfig, data.get("keystrokes")),
            midi=_section(MidiConfig, data.get("midi")),
            streams=StreamsConfig.from_dict(data.get("streams")),
            allow_remote=allow_remote,
        )

    @classmethod
    def from_json(cls, text: str) -> OutputsConfig:
        """:meth:`from_dict` from JSON text; OutputError if it is not JSON."""
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise OutputError(f"The output settings are not valid JSON ({exc}).") from None


def _section(kind: type, data: object):
    if data is None:
        return kind()
    if not isinstance(data, dict):
        raise OutputError(f"The {kind.__name__} settings are not a JSON object.")
    defaults = kind()
    values = {}
    for f in fields(kind):
        value = data.get(f.name, getattr(defaults, f.name))
        expected = type(getattr(defaults, f.name))
        if expected is int and isinstance(value, bool) or not isinstance(value, expected):
            raise OutputError(f"Output setting {kind.__name__}.{f.name} must be {expected.__name__}, not {value!r}.")
        values[f.name] = value
    return kind(**values)


def load_config(stored: object) -> tuple[OutputsConfig, list[str]]:
    """The config stored in a project's ``"outputs"`` setting, or defaults plus the reason it was unusable.

    Shared by ``studio live`` and the GUI, so a damaged setting never stops either from starting.
    """
    try:
        return OutputsConfig.from_dict(stored), []
    except OutputError as err:
        return OutputsConfig(), [f"stored output settings ignored: {err}"]


def build_outputs(config: OutputsConfig, mappings: dict[str, dict] | None = None,
                  key_backend: object = None, midi_backend: object = None) -> tuple[list[Output], list[str]]:
    """The enabled outputs for ``config`` and per-gesture ``mappings`` (gesture name -> output dict).

    Returns (outputs, problems): an output whose settings are invalid is left out and its problem listed,
    so one bad setting never stops the others. Start them by adding them to an :class:`OutputHub`.
    ``key_backend`` replaces pynput for keystrokes (tests); the keystroke output always starts disarmed.
    ``midi_backend`` replaces RtMidi (a mido backend or its module name: tests, the benchmark).
    """
    mappings = mappings or {}
    outputs: list[Output] = []
    problems: list[str] = []
    if config.osc.enabled:
        from studio.outputs.osc import OscOutput

        addresses = {name: m["osc"] for name, m in mappings.items() if m.get("osc")}
        _try(problems, outputs, lambda: OscOutput(config.osc.host, config.osc.port, config.osc.address,
                                                  addresses, allow_remote=config.allow_remote))
    if config.websocket.enabled:
        from studio.outputs.websocket import WebSocketOutput

        _try(problems, outputs, lambda: WebSocketOutput(config.websocket.host, config.websocket.port,
                                                        allow_remote=config.allow_remote))
    if config.keystrokes.enabled:
        from studio.outputs.keys import KeystrokeOutput

        keys = {name: m["key"] for name, m in mappings.items() if m.get("key")}
        _try(problems, outputs, lambda: KeystrokeOutput(keys, armed=False, backend=key_backend))
    if config.midi.enabled:
        _try(problems, outputs, lambda: _midi_output(config.midi, mappings, midi_backend))
    return outputs, problems


def _midi_output(config: MidiConfig, mappings: dict[str, dict], backend: object) -> Output:
    from studio.outputs.midi import MidiAction, MidiOutput

    actions, errors = {}, []
    for name, m in mappings.items():
        if m.get("midi"):
            try:
                actions[name] = MidiAction.from_dict(m["midi"])
            except OutputError as exc:
                errors.append(f"{name}: {exc}")
    if errors:
        raise OutputError("Invalid MIDI mappings: " + "; ".join(errors))
    return MidiOutput(config.port, config.channel, actions, backend=backend)


def _try(problems: list[str], outputs: list[Output], make) -> None:
    try:
        outputs.append(make())
    except OutputError as exc:
        problems.append(str(exc))
