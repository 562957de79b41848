"""Several devices in the GUI: the main device (the Device panel's) plus any number of named extra ones.

Each extra device has its own :class:`DeviceController` (runner thread, ring buffer, status, reconnects:
one dropping out never disturbs another), its own plot row, and its own :class:`LiveRecogniser` over the
shared recogniser; its events go to the outputs with its name, and its samples feed the continuous
streams under its name. The project remembers the device names, URIs and which gesture belongs to which
device (setting ``"devices"``, :mod:`studio.project.device_map`), as undoable edits.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from studio.devices.base import DeviceError
from studio.project import device_map
from studio.project.device_map import DeviceMap, DeviceMapError
from studio.ui.device_controller import DeviceController
from studio.ui.project_model import ProjectModel, ValueCommand

MAIN_DEFAULT = "imu1"


class SetDevices(ValueCommand):
    """Replace the project's device names, URIs and gesture bindings (undoable)."""

    def __init__(self, model: ProjectModel, old: DeviceMap, new: DeviceMap, text: str) -> None:
        super().__init__(model, text)
        self.old, self.new = old.to_dict(), new.to_dict()

    def apply(self, values: dict) -> None:
        self.project.set_setting(device_map.SETTINGS_KEY, values)
        self.model.settings_changed.emit(device_map.SETTINGS_KEY)


class _DeviceFeed:
    """The extra device's runner-thread side: its live recogniser, the outputs sink and the stream feed,
    all plain Python (never a Qt object)."""

    def __init__(self, name: str, sink, stream_feed) -> None:  # noqa: ANN001
        self.name = name
        self.sink = sink
        self.stream_feed = stream_feed
        self.live = None
        self.paused = False
        self.rate_hz = 0.0
        self.channels: tuple[str, ...] | None = None
        self.last_event = None

    def on_event(self, event) -> None:  # noqa: ANN001 - a LiveEvent
        self.last_event = (event.gesture, float(event.confidence), time.monotonic())
        self.sink(event, device=self.name)

    def __call__(self, chunk) -> None:  # noqa: ANN001 - a Chunk, on the runner thread
        engine = self.stream_feed.engine
        if engine is not None:
            engine.feed(chunk, self.name, self.rate_hz, self.channels)
        live = self.live
        if live is not None and not self.paused and live.recogniser.classes:
            live.feed(chunk)


class ExtraDevice:
    """One extra device: its name, controller, feed and (set by the view) plot."""

    def __init__(self, name: str, controller: DeviceController, feed: _DeviceFeed) -> None:
        self.name = name
        self.controller = controller
        self.feed = feed
        self.plot = None
        self._runner = None    # the runner the feed listens to
        self._plotted = None   # the buffer the plot shows


class DeviceSet(QObject):
    """Signals: ``devices_changed()`` (added, removed, renamed, rebound), ``status_changed()``."""

    devices_changed = Signal()
    status_changed = Signal()

    def __init__(self, model: ProjectModel, main: DeviceController, recognition, outputs,  # noqa: ANN001
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.main = main
        self.recognition = recognition
        self.outputs = outputs
        self.extra: dict[str, ExtraDevice] = {}
        self.map = DeviceMap()
        self.problems: list[str] = []
        model.project_changed.connect(self._on_project_changed)
        model.settings_changed.connect(lambda key: self._load() if key == device_map.SETTINGS_KEY else None)
        model.gestures_changed.connect(self._update_owners)
        self._on_project_changed()

    # -- names and bindings --------------------------------------------------------------------
    @property
    def main_name(self) -> str:
        """The main device's name: the first stored device, "" while it is the only one and unnamed."""
        return self.map.devices[0].name if self.map.devices else ""

    @property
    def names(self) -> list[str]:
        return self.map.names

    def _store(self, new: DeviceMap, text: str) -> bool:
        if self.model.project is None:
            self.problems = ["Open or create a project to name its devices."]
            self.status_changed.emit()
            return False
        if new.to_dict() == self.map.to_dict():
            return False
        return self.model.run(SetDevices(self.model, self.map, new, text))

    def bind(self, gesture_id: int, device: str) -> bool:
        """Make a gesture belong to ``device`` ("" = any device), as one undoable edit."""
        gesture = self.model.project.gesture(gesture_id) if self.model.project else None
        if gesture is None:
            return False
        text = f"{gesture.name} belongs to {device}" if device else f"{gesture.name} belongs to any device"
        return self._store(self.map.bind(gesture_id, device), text)

    def _on_project_changed(self) -> None:
        for name in list(self.extra):
            self._disconnect(name)
        self._load()

    def _load(self) -> None:
        project = self.model.project
        self.map, self.problems = (device_map.load(project) if project is not None else (DeviceMap(), []))
        self.outputs.sink.device = self.main_name if len(self.map.devices) > 1 else ""
        self.outputs.stream_feed.device = self.outputs.sink.device
        for name in list(self.extra):
            if name not in self.map.names[1:]:
                self._disconnect(name)
        self._update_owners()
        self.connect_all()   # a reopened show reconnects every device it names
        self.devices_changed.emit()

    def _update_owners(self) -> None:
        project = self.model.project
        owners = {}
        if project is not None:
            owners = {g.name: self.map.device_of(g.id) for g in project.gestures() if self.map.device_of(g.id)}
        self.outputs.sink.owners = owners

    # -- extra devices -------------------------------------------------------------------------
    def add(self, name: str, uri: str) -> bool:
        """Add and connect an extra device (undoable: the project remembers it). Plain-words problems
        (bad name, name taken, bad URI) are put in :attr:`problems` and nothing changes."""
        name, uri = name.strip(), uri.strip()
        try:
            device_map.check_name(name)
            if name in self.map.names or (not self.map.devices and name == MAIN_DEFAULT):
                raise DeviceMapError(f"A device named {name!r} is already in this project; choose another name.")
            if not uri:
                raise DeviceMapError("Give the device's URI, e.g. simulator?seed=2 or ble://ADDRESS?profile=nus.")
            from studio.devices.registry import open_source

            open_source(uri)   # refuse a malformed URI before storing anything
        except (DeviceMapError, DeviceError) as err:
            self.problems = [str(err)]
            self.status_changed.emit()
            return False
        new = self.map if self.map.devices else self.map.with_device(MAIN_DEFAULT, self.main.uri)
        self.problems = []
        return self._store(new.with_device(name, uri), f"Add device {name}")

    def remove(self, name: str) -> bool:
        """Disconnect and forget an extra device (its gestures go back to any device); undoable."""
        if name not in self.map.names[1:]:
            return False
        devices = tuple(d for d in self.map.devices if d.name != name)
        gestures = {g: d for g, d in self.map.gestures.items() if d != name}
        if len(devices) == 1 and not gestures:
            devices = ()
        return self._store(DeviceMap(devices, gestures), f"Remove device {name}")

    def connect_all(self) -> list[str]:
        """Connect every stored extra device that is not running; returns the problems."""
        problems = []
        for entry in self.map.devices[1:]:
            if entry.name in self.extra or not entry.uri:
                continue
            controller = DeviceController(self)
            feed = _DeviceFeed(entry.name, self.outputs.sink, self.outputs.stream_feed)
            try:
                controller.connect_device(entry.uri)
            except DeviceError as err:
                problems.append(f"{entry.name}: {err}")
                continue
            self.extra[entry.name] = ExtraDevice(entry.name, controller, feed)
        self.problems = problems
        if problems or self.extra:
            self.devices_changed.emit()
        return problems

    def _disconnect(self, name: str) -> None:
        device = self.extra.pop(name, None)
        if device is not None:
            device.controller.disconnect_device()
            device.controller.deleteLater()

    def close(self) -> None:
        """Disconnect every extra device (quit, project closed)."""
        for name in list(self.extra):
            self._disconnect(name)

    # -- GUI timer -----------------------------------------------------------------------------
    def poll(self) -> None:
        """Deliver each extra device's status, attach its feed to new streams, follow pause and model."""
        changed = False
        recogniser = self.recognition.recogniser
        for device in self.extra.values():
            c = device.controller
            before = (c.state, c.counters.samples)
            c.poll()
            feed = device.feed
            feed.paused = self.recognition.paused or not self.recognition.live_enabled
            runner, info = c.runner, c.info
            if runner is not None and info is not None and runner is not device._runner:
                feed.rate_hz, feed.channels = info.rate_hz, info.channels
                runner.add_chunk_listener(feed)
                device._runner = runner
            if device.plot is not None and c.buffer is not None and c.buffer is not device._plotted:
                device.plot.set_stream(info, c.buffer)
                device._plotted = c.buffer
            if c.state.value == "reconnecting" and feed.live is not None:
                feed.live.reset()   # a movement cut by the drop must not be stitched to what follows
            if recogniser is not None and info is not None and (feed.live is None or
                                                               feed.live.recogniser is not recogniser):
                from studio.recognition.live import LiveRecogniser

                feed.live = LiveRecogniser(recogniser, rate_hz=info.rate_hz or 100.0, channels=info.channels,
                                           on_event=feed.on_event)
            changed = changed or before != (c.state, c.counters.samples)
        if changed:
            self.status_changed.emit()

    def status(self, name: str) -> str:
        """One line for an extra device: state, rate, drops, reconnects and its last gesture."""
        device = self.extra.get(name)
        if device is None:
            return "not connected"
        c = device.controller
        text = f"{c.state.value}, {c.counters.rate_hz:.0f} Hz, dropped {c.counters.dropped}, " \
               f"reconnects {c.counters.reconnects}"
        last = device.feed.last_event
        if last is not None:
            text += f" · last: {last[0]} {last[1]:.0%}"
        if c.state.value in ("reconnecting", "failed"):
            text += f" · {c.message}"
        return text
