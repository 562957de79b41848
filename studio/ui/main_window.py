"""The studio's main window: device panel (left dock), panels in tabs (signals, library, record, live,
quality, outputs), File/Edit/Device/View menus, status bar (with a KEYS ARMED badge while armed).

Two timers drive the display: a fast one (~16 ms) redraws the live plot from the ring buffer and
delivers recognition events, a slow one (250 ms) delivers device status changes and refreshes counters
and the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget, QLabel, QMainWindow, QMenu, QMessageBox, QPushButton, QTabWidget, QVBoxLayout, QWidget,
)

from studio.ui.device_controller import DeviceController
from studio.ui.device_panel import DevicePanel
from studio.ui.feedback import Feedback
from studio.ui.library_panel import LibraryPanel
from studio.ui.live_plot import LivePlot
from studio.ui.live_view import LiveView
from studio.ui.outputs_panel import OutputsPanel
from studio.ui.outputs_service import OutputsService
from studio.ui.device_set import DeviceSet
from studio.ui.more_devices import ExtraPlots, MoreDevicesBox
from studio.ui.stream_wiring import connect_streams
from studio.ui.preferences import PreferencesDialog
from studio.ui.project_menu import ProjectMenu
from studio.ui.project_model import ProjectModel
from studio.ui.quality_panel import QualityPanel
from studio.ui.recognition_service import RecognitionService
from studio.ui.recorder import RecorderPanel
from studio.ui.scroll import VerticalScrollArea
from studio.ui.settings import AppSettings, SettingsStore
from studio.ui.shortcuts import ShortcutSheet, add_action, key_sequences
from studio.ui.theme import ensure_theme, set_role

SLOW_TIMER_MS = 250
MODEL_LOAD_DEADLINE_MS = 1500  # the model starts loading by then even if no device has streamed


class MainWindow(QMainWindow):
    """The studio window. ``ticked`` is emitted after every fast-timer redraw (panels hook in here)."""

    ticked = Signal()

    def __init__(self, store: SettingsStore, model_loader: Callable[[], object] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.settings: AppSettings = store.load()
        ensure_theme(self.settings.high_contrast, self.settings.font_scale)
        self.setWindowTitle("UniMotion Gesture Studio")
        self.setObjectName("MainWindow")
        self.resize(1280, 800)

        self.controller = DeviceController(self)
        self.device_panel = DevicePanel(self.controller)
        self.plot = LivePlot(self.settings.time_window_s)
        self.plot.window_spin.valueChanged.connect(self._on_time_window_changed)

        self.project = ProjectModel(self)
        self.recognition = RecognitionService(self.project, self.controller, model_loader,
                                              self.settings.sensitivity, self)
        self.library = LibraryPanel(self.project)
        self.library.play_requested.connect(self._play_take)
        self.device_panel.phone_requested.connect(self.connect_phone)
        self.recorder = RecorderPanel(self.project, self.controller, self.settings)
        self.live_view = LiveView(self.recognition, self.controller, self.settings)
        self.quality = QualityPanel(self.recognition)
        self.outputs = OutputsService(self.project, parent=self)
        self.outputs_panel = OutputsPanel(self.outputs)
        self.recognition.add_event_sink(self.outputs.sink)  # on the runner thread: no GUI-timer delay
        connect_streams(self.controller, self.recognition, self.outputs)
        self.outputs.error.connect(lambda text: self.notify(f"Output problem: {text}", assertive=True))
        self.quality.report_ready.connect(lambda _r: self.library._show_selected())
        self.project.edit_failed.connect(lambda text: self.notify(text, assertive=True))
        self.recognition.enrolled.connect(lambda name, seconds: self.notify(
            f"Recogniser updated for '{name}' in {seconds * 1000:.0f} ms.", 5000))
        self.library.gesture_selected.connect(self.recorder.select_gesture)
        self.recorder.state_changed.connect(
            lambda state: self.recognition.set_paused(state in ("countdown", "recording")))

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setAccessibleName("Panels")
        self.panels: dict[str, QWidget] = {}
        # several devices: extra devices' plot rows under the main plot, their list in the device dock
        self.devices = DeviceSet(self.project, self.controller, self.recognition, self.outputs, self)
        self.signals_view = ExtraPlots(self.plot, self.devices, self.settings.time_window_s)
        self.more_devices = MoreDevicesBox(self.devices)
        self.add_panel("signals", "Signals", self.signals_view)
        self.add_panel("library", "Library", self.library)
        self.add_panel("record", "Record", self.recorder)
        self.add_panel("live", "Live recognition", self.live_view)
        self.add_panel("quality", "Quality", self.quality)
        self.add_panel("outputs", "Outputs", self.outputs_panel)
        self.setCentralWidget(self.tabs)

        self.device_dock = QDockWidget("Device", self)
        self.device_dock.setObjectName("DeviceDock")
        dock_body = QWidget()
        dock_layout = QVBoxLayout(dock_body)
        dock_layout.setContentsMargins(0, 0, 0, 0)
        dock_layout.addWidget(self.device_panel)
        dock_layout.addWidget(self.more_devices)
        self.device_dock.setWidget(VerticalScrollArea(dock_body))  # large text: scroll, never clip
        self.device_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.device_dock)

        self._build_status_bar()
        self._build_menus()
        self.feedback = Feedback(self)
        self.controller.state_changed.connect(self._on_state_changed)
        self.controller.buffer_changed.connect(self._on_buffer_changed)

        self.fast_timer = QTimer(self)
        self.fast_timer.setInterval(max(5, int(1000 / self.settings.plot_fps)))
        self.fast_timer.timeout.connect(self._on_fast_tick)
        self.slow_timer = QTimer(self)
        self.slow_timer.setInterval(SLOW_TIMER_MS)
        self.slow_timer.timeout.connect(self._on_slow_tick)
        self.fast_timer.start()
        self.slow_timer.start()
        self._model_load_pending = False
        self.restore_layout()

    # -- structure -----------------------------------------------------------------------------
    def add_panel(self, key: str, title: str, widget: QWidget) -> None:
        """Add a tab; ``show_panel(key)`` brings it to the front."""
        self.panels[key] = widget
        self.tabs.addTab(widget, title)

    def notify(self, text: str, ms: int = 10000, assertive: bool = False) -> None:
        """Show ``text`` in the status bar and announce it to screen readers."""
        self.statusBar().showMessage(text, ms)
        self.feedback.say(text, assertive)

    def show_panel(self, key: str, focus: bool = False) -> bool:
        """Bring panel ``key`` to the front; with ``focus``, move the keyboard focus into it and say so."""
        widget = self.panels.get(key)
        if widget is None:
            return False
        self.tabs.setCurrentWidget(widget)
        if focus:
            first = _first_focusable(widget)
            (first or widget).setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.feedback.say(f"{self.tabs.tabText(self.tabs.indexOf(widget)).replace('&', '')} panel.")
        return True

    def _build_status_bar(self) -> None:
        self.state_status = QLabel("Disconnected")
        self.rate_status = QLabel("")
        self.drops_status = QLabel("")
        self.armed_status = QLabel("KEYS ARMED")
        set_role(self.armed_status, "armed")
        self.armed_status.setToolTip("Recognised gestures press real keys; disarm in the Outputs panel")
        self.armed_status.setVisible(False)
        self.outputs.armed_changed.connect(self.armed_status.setVisible)
        # Outputs restored with a project wait for the user: said here whichever panel is shown.
        self.outputs_paused = QPushButton("Outputs paused — resume")
        self.outputs_paused.setToolTip("This project's outputs (OSC, WebSocket, keystrokes) start when resumed; "
                                       "Outputs panel ▸ 'Start outputs with the project' skips the pause")
        self.outputs_paused.clicked.connect(self.outputs.resume)
        self.outputs_paused.setVisible(self.outputs.paused)
        self.outputs.paused_changed.connect(self._on_outputs_paused)
        bar = self.statusBar()
        bar.addPermanentWidget(self.outputs_paused)
        bar.addPermanentWidget(self.armed_status)
        bar.addPermanentWidget(self.rate_status)
        bar.addPermanentWidget(self.drops_status)
        bar.addPermanentWidget(self.state_status)

    def _build_menus(self) -> None:
        self.file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcuts(key_sequences([QKeySequence.StandardKey.Quit, "Ctrl+Q"]))
        quit_action.triggered.connect(self.close)
        self.file_menu.addAction(quit_action)
        self.project_menu = ProjectMenu(self, self.project, self.settings, self.file_menu)

        edit_menu = self.menuBar().addMenu("&Edit")
        undo_action = self.project.undo_stack.createUndoAction(self, "&Undo")
        undo_action.setShortcuts(key_sequences(QKeySequence.StandardKey.Undo))
        redo_action = self.project.undo_stack.createRedoAction(self, "&Redo")
        redo_action.setShortcuts(key_sequences([QKeySequence.StandardKey.Redo, "Ctrl+Shift+Z"]))
        edit_menu.addAction(undo_action)
        edit_menu.addAction(redo_action)
        edit_menu.addSeparator()
        preferences = QAction("&Preferences…", self)
        preferences.setShortcuts(key_sequences([QKeySequence.StandardKey.Preferences, "Ctrl+,"]))
        preferences.triggered.connect(self.edit_preferences)
        edit_menu.addAction(preferences)

        gesture_menu = self.menuBar().addMenu("&Gesture")
        add_action(self, gesture_menu, "&New gesture…", self.new_gesture, "Ctrl+G",
                   "Type a new gesture's name and description in the Library")
        add_action(self, gesture_menu, "Ne&xt gesture", lambda: self.step_gesture(1), ["Ctrl+]", "Alt+PgDown"])
        add_action(self, gesture_menu, "&Previous gesture", lambda: self.step_gesture(-1), ["Ctrl+[", "Alt+PgUp"])
        gesture_menu.addSeparator()
        add_action(self, gesture_menu, "&Record take / stop", self.record_take, "Ctrl+R",
                   "Record takes of the selected gesture (again: stop)")
        add_action(self, gesture_menu, "&Accept take", self.recorder.accept, ["Ctrl+Return", "Ctrl+Enter"])
        add_action(self, gesture_menu, "&Discard take", self.recorder.discard, "Ctrl+Backspace")

        live_menu = self.menuBar().addMenu("&Live")
        self.live_action = add_action(self, live_menu, "&Live recognition", self.recognition.set_live_enabled,
                                      "Ctrl+L", "Start or stop recognising gestures", checkable=True)
        self.live_action.setChecked(self.recognition.live_enabled)
        self.recognition.live_enabled_changed.connect(self.live_action.setChecked)
        add_action(self, live_menu, "&Calibrate from ordinary movement", self._calibrate, "Ctrl+Shift+L")
        add_action(self, live_menu, "&Refine on my takes", self._refine, "Ctrl+Shift+R")
        add_action(self, live_menu, "&Cancel calibration or refine", self.live_view.cancel, "Ctrl+Shift+X")
        add_action(self, live_menu, "&Say status", lambda: self.feedback.say_status(), "Ctrl+I",
                   "Announce the device, recorder and recognition state")

        device_menu = self.menuBar().addMenu("&Device")
        add_action(self, device_menu, "&Connect", self.device_panel._on_connect_clicked, "Ctrl+K")
        add_action(self, device_menu, "&Disconnect", self.controller.disconnect_device, "Ctrl+Shift+K")
        add_action(self, device_menu, "&Scan for devices", lambda: self.device_panel.scan())
        add_action(self, device_menu, "Choose &device", lambda: self._focus(self.device_panel.device_combo),
                   "Ctrl+D")
        add_action(self, device_menu, "Connect a &phone…", self.connect_phone, "Ctrl+Shift+P",
                   "Stream a phone's sensors over the local network (phyphox, SensorServer, Sensor Logger)")
        self.perform_menu = QMenu("Simulator: &perform gesture", self)
        device_menu.addMenu(self.perform_menu)

        view_menu = self.menuBar().addMenu("&View")
        pause = add_action(self, view_menu, "&Pause plot", self.plot.set_paused, "Ctrl+P", checkable=True)
        self.plot.paused_changed.connect(pause.setChecked)
        view_menu.addAction(self.device_dock.toggleViewAction())
        panels = view_menu.addMenu("&Go to panel")
        for i, (key, widget) in enumerate(self.panels.items()):
            title = self.tabs.tabText(self.tabs.indexOf(widget))
            add_action(self, panels, f"{title} panel", lambda k=key: self.show_panel(k, focus=True), f"Alt+{i + 1}")
        view_menu.addSeparator()
        add_action(self, view_menu, "&Larger text", lambda: self.scale_text(1.15),
                   [QKeySequence.StandardKey.ZoomIn, "Ctrl+="])
        add_action(self, view_menu, "&Smaller text", lambda: self.scale_text(1 / 1.15),
                   QKeySequence.StandardKey.ZoomOut)
        add_action(self, view_menu, "&Normal text size", lambda: self.scale_text(0.0), "Ctrl+0")
        self.contrast_action = add_action(self, view_menu, "&High contrast", self.set_high_contrast,
                                          "Ctrl+Shift+H", checkable=True)
        self.contrast_action.setChecked(self.settings.high_contrast)

        help_menu = self.menuBar().addMenu("&Help")
        add_action(self, help_menu, "&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents)
        add_action(self, help_menu, "&About", self._about)

    def _on_outputs_paused(self, paused: bool) -> None:
        self.outputs_paused.setVisible(paused)
        if paused:
            self.notify("Outputs paused: this project's outputs start when you resume them.")

    def _rebuild_perform_menu(self) -> None:
        self.perform_menu.clear()
        for i, name in enumerate(self.device_panel.gesture_names()):
            action = QAction(name.replace("_", " "), self)
            if i < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, n=name: self.device_panel.perform(n))
            self.perform_menu.addAction(action)
            self.addAction(action)  # shortcuts work while the menu is closed
        self.perform_menu.setEnabled(bool(self.perform_menu.actions()))

    # -- keyboard actions ------------------------------------------------------------------------
    def _focus(self, widget: QWidget) -> None:
        widget.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def new_gesture(self) -> None:
        self.show_panel("library")
        self._focus(self.library.new_name)
        self.feedback.say("New gesture: type its name, Tab, its description, then Enter.")

    def step_gesture(self, step: int) -> None:
        """Select the next (``step`` 1) or previous (-1) gesture in the library, and say which."""
        gestures = self.library.gesture_list
        if gestures.count() == 0:
            self.feedback.say("No gestures yet. Control+G adds one.")
            return
        row = max(0, min(gestures.count() - 1, gestures.currentRow() + step))
        gestures.setCurrentRow(row)
        self.feedback.say(f"{gestures.item(row).text()}. Gesture {row + 1} of {gestures.count()}.")

    def record_take(self) -> None:
        """Start a row of takes of the selected gesture, or stop the one under way."""
        if self.recorder.state in ("countdown", "recording"):
            self.recorder.stop()
            return
        self.show_panel("record")
        if self.recorder.state == "review":
            self.feedback.say("A take is waiting for review: Control+Enter accepts, Control+Backspace discards.")
        elif not self.recorder.start():
            self.feedback.say(self.recorder.info_label.text() or "Choose a gesture first.", assertive=True)

    def connect_phone(self) -> None:
        """Steps and a QR code for the phone apps; connects to the address chosen."""
        from studio.ui.phone_dialog import PhoneDialog

        dialog = PhoneDialog(self)
        try:
            if dialog.exec():
                self.connect_device(dialog.uri())
        finally:
            dialog.deleteLater()

    def _calibrate(self) -> None:
        self.show_panel("live")
        if not self.live_view.start_calibration():
            self.feedback.say(self.live_view.calibration_label.text(), assertive=True)

    def _refine(self) -> None:
        self.show_panel("live")
        if self.live_view.start_refine() is None:
            self.feedback.say("The motion model is still loading.", assertive=True)

    def scale_text(self, factor: float) -> None:
        """Make text larger (factor > 1), smaller (< 1), or normal (0)."""
        new = replace(self.settings, font_scale=1.0 if factor == 0 else self.settings.font_scale * factor).clamped()
        self.apply_settings(new)
        self.feedback.say(f"Text size {new.font_scale:.0%}.")

    def set_high_contrast(self, on: bool) -> None:
        if on != self.settings.high_contrast:
            self.apply_settings(replace(self.settings, high_contrast=on))
            self.feedback.say("High contrast on." if on else "High contrast off.")

    def show_shortcuts(self) -> None:
        sheet = ShortcutSheet(self.menuBar(), self)
        sheet.exec()
        sheet.deleteLater()

    def _about(self) -> None:
        QMessageBox.about(self, "UniMotion Gesture Studio",
                          "Stream an IMU, describe a gesture in words, record a few takes and recognise it live.")

    # -- preferences ---------------------------------------------------------------------------
    def edit_preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self)
        if dialog.exec():
            self.apply_settings(dialog.result_settings())

    def apply_settings(self, new: AppSettings) -> None:
        """Take over edited preferences (the panels share this settings object)."""
        for f in fields(new):
            setattr(self.settings, f.name, getattr(new, f.name))
        s = self.settings
        self.contrast_action.setChecked(s.high_contrast)
        self.plot.set_time_window(s.time_window_s)
        self.fast_timer.setInterval(max(5, int(1000 / s.plot_fps)))
        self.live_view.sensitivity.setValue(int(round(s.sensitivity * 100)))
        self.recorder.countdown_spin.setValue(s.countdown_s)
        self.recorder.length_spin.setValue(s.take_seconds)
        self.recorder.mode_combo.setCurrentIndex(0 if s.stop_on_rest else 1)
        self.recorder.beep_check.setChecked(s.beep)
        ensure_theme(s.high_contrast, s.font_scale)  # applies at once: palette, fonts, plots
        self.store.save(s)

    # -- project and model ---------------------------------------------------------------------
    def open_project_at_start(self, path: str | None) -> bool:
        """Open ``--project`` (created if missing), else the last project, else the default one."""
        return self.project_menu.open_at_start(path)

    def load_model(self) -> None:
        """Start loading the motion model in the background (recognition is ready when it is)."""
        self.recognition.load()

    def load_model_after_first_plot(self, at_most_ms: int = MODEL_LOAD_DEADLINE_MS) -> None:
        """Load the model once the plot has drawn the device's first samples (or after ``at_most_ms``
        without any): importing torch on a worker still holds the interpreter for seconds, and the first
        thing a user should see is their device moving, not a frozen empty plot."""
        def start() -> None:
            if self._model_load_pending:
                self._model_load_pending = False
                self.ticked.disconnect(check)
                self.load_model()

        def check() -> None:
            if self.plot.frames > 0:
                QTimer.singleShot(0, start)  # after this frame has been painted

        self._model_load_pending = True
        self.ticked.connect(check)
        QTimer.singleShot(at_most_ms, start)

    def _play_take(self, samples, rate_hz: float, title: str) -> None:  # noqa: ANN001
        self.plot.show_clip(samples, rate_hz, title)
        self.show_panel("signals")

    # -- device --------------------------------------------------------------------------------
    def connect_device(self, uri: str) -> bool:
        """Connect and remember ``uri`` as the last device (only if it could be started)."""
        ok = self.device_panel.connect_uri(uri)
        if ok:
            self.settings.last_device = uri
        return ok

    def _on_buffer_changed(self) -> None:
        if self.controller.info is not None and self.controller.buffer is not None:
            self.plot.set_stream(self.controller.info, self.controller.buffer)
        self._rebuild_perform_menu()

    def _on_state_changed(self, state: str, message: str) -> None:
        self.state_status.setText(state.capitalize())
        if state in ("failed", "reconnecting", "disconnected") and self.recorder.state == "recording":
            self.recorder._check_recording()  # keep or discard the take now, and say which
        if state in ("failed", "reconnecting"):
            self.statusBar().showMessage(message, 10000)

    def _on_fast_tick(self) -> None:
        self.plot.refresh()
        self.signals_view.refresh()
        self.recognition.poll()
        self.ticked.emit()

    def _on_slow_tick(self) -> None:
        self.controller.poll()
        self.devices.poll()
        self.device_panel.update_counters()
        self.outputs.poll()
        self.feedback.poll()
        c = self.controller.counters
        if self.controller.runner is not None:
            self.rate_status.setText(f"{c.rate_hz:.1f} Hz" if c.rate_hz else "")
            self.drops_status.setText(f"dropped {c.dropped} · parse errors {c.parse_errors}")

    def _on_time_window_changed(self, seconds: float) -> None:
        self.settings.time_window_s = float(seconds)

    # -- persistence ---------------------------------------------------------------------------
    def restore_layout(self) -> None:
        geometry, state = self.store.window_layout()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def save_state(self) -> None:
        self.store.save(self.settings)
        self.store.save_window_layout(self.saveGeometry(), self.saveState())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.fast_timer.stop()
        self.slow_timer.stop()
        self.save_state()
        self.controller.disconnect_device()
        self.devices.close()
        self.outputs.close()
        self.feedback.close()
        self.project.close()
        super().closeEvent(event)


def _first_focusable(panel: QWidget) -> QWidget | None:
    """The first control of ``panel`` in tab order that can take the keyboard focus now."""
    widget = panel.nextInFocusChain()
    while widget is not None and widget is not panel:
        if (panel.isAncestorOf(widget) and widget.isEnabled() and widget.isVisibleTo(panel)
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            return widget
        widget = widget.nextInFocusChain()
    return None
