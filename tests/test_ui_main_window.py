"""Main window, live plot, device panel and settings, on real widgets offscreen."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from studio.devices.base import DeviceError, Source  # noqa: E402
from studio.signals.stream import Chunk, StreamInfo  # noqa: E402
from studio.ui.app import save_screenshot  # noqa: E402
from studio.ui.live_plot import peak_downsample  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.settings import AppSettings, SettingsStore  # noqa: E402


class SineIMU(Source):
    """A fast, non-realtime 6-axis source whose values the test can predict."""

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.uri = "test:sine"
        self.n = 0
        self.fail_after = fail_after
        self.opened = 0
        self.performed: list[str] = []
        self._lock = threading.Lock()

    @property
    def info(self) -> StreamInfo:
        return StreamInfo(rate_hz=100.0, device="sine test device")

    def open(self) -> None:
        self.opened += 1

    def read(self, timeout: float = 0.1) -> Chunk | None:
        if self.fail_after is not None and self.n >= self.fail_after and self.opened == 1:
            raise DeviceError("The test device went away.", "Plug it back in.", transient=True)
        threading.Event().wait(0.005)
        idx = np.arange(self.n, self.n + 10)
        t = idx / 100.0
        x = np.column_stack([np.sin(t), np.cos(t), 1 + 0 * t, 90 * np.sin(t), 0 * t, -45 + 0 * t])
        self.n += 10
        return Chunk(t, x.astype(np.float32), idx)

    def close(self) -> None:
        pass

    def gesture_names(self) -> list[str]:
        return ["circle_cw", "shake"]

    def perform(self, name: str) -> None:
        self.performed.append(name)


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(SettingsStore(tmp_path / "cfg"))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.controller.disconnect_device()


def test_plot_receives_stream_and_screenshot(window, qtbot, tmp_path):
    window.controller.connect_source(SineIMU())
    qtbot.waitUntil(lambda: window.plot.frames >= 5, timeout=5000)
    data = window.plot.latest_curve_data()
    assert len(data) == 6 and all(d.size > 10 for d in data)
    assert np.allclose(data[2], 1.0)  # acc_z is constant 1 g
    assert np.allclose(data[5], -45.0)
    assert [p.titleLabel.text for p in window.plot.plots] == ["<b>Accelerometer</b>", "<b>Gyroscope</b>"]
    qtbot.waitUntil(lambda: window.device_panel.samples_label.text() != "0", timeout=3000)
    assert "Streaming" in window.device_panel.state_label.text()
    png = tmp_path / "shot.png"
    assert save_screenshot(window, png)
    image = QImage(str(png))
    assert image.width() >= 800 and image.height() >= 500
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)}
    assert len(colours) > 10  # a real picture, not a blank frame


def test_pause_freezes_and_resume_continues(window, qtbot):
    window.controller.connect_source(SineIMU())
    qtbot.waitUntil(lambda: window.plot.frames >= 2, timeout=5000)
    window.plot.pause_button.click()
    assert window.plot.paused and window.plot.pause_button.text() == "Resume"
    frozen = window.plot.frames
    written = window.controller.buffer.written
    qtbot.waitUntil(lambda: window.controller.buffer.written > written + 50, timeout=3000)
    assert window.plot.frames == frozen
    window.plot.pause_button.click()
    qtbot.waitUntil(lambda: window.plot.frames > frozen, timeout=3000)


def test_time_window_changes_range_and_is_remembered(window, qtbot, tmp_path):
    window.controller.connect_source(SineIMU())
    qtbot.waitUntil(lambda: window.plot.frames >= 1, timeout=5000)
    window.plot.window_spin.setValue(4)

    def shows_four_seconds() -> bool:
        # Linked plots settle once the layout has given both views their final width.
        return window.plot.plots[0].getViewBox().viewRange()[0] == pytest.approx([-4.0, 0.0], abs=1e-6)

    qtbot.waitUntil(shows_four_seconds, timeout=3000)
    window.close()
    assert SettingsStore(tmp_path / "cfg").load().time_window_s == 4.0


def test_bad_device_is_shown_not_raised(window, qtbot):
    assert not window.connect_device("nonsense://nowhere")
    assert "Failed" in window.device_panel.state_label.text()
    assert "Unknown device type" in window.device_panel.message_label.text()
    assert window.settings.last_device != "nonsense://nowhere"


def test_transient_fault_shows_reconnecting_then_resumes(window, qtbot):
    source = SineIMU(fail_after=30)
    window.controller.connect_source(source)
    seen = []
    window.controller.state_changed.connect(lambda state, message: seen.append((state, message)))
    qtbot.waitUntil(lambda: any(s == "reconnecting" for s, _ in seen), timeout=5000)
    assert any("went away" in m and "Plug it back in" in m for _, m in seen)
    qtbot.waitUntil(lambda: source.opened >= 2 and window.controller.state.value == "streaming", timeout=5000)
    assert window.controller.counters.reconnects == 1


def test_simulator_gesture_buttons_and_shortcuts(window, qtbot):
    source = SineIMU()
    window.controller.connect_source(source)
    qtbot.waitUntil(lambda: window.device_panel.gesture_box.isVisibleTo(window), timeout=5000)
    assert window.device_panel.gesture_names() == ["circle_cw", "shake"]
    window.perform_menu.actions()[1].trigger()
    assert source.performed == ["shake"]
    assert window.perform_menu.actions()[0].shortcut().toString() == "Ctrl+1"


def test_window_geometry_and_device_persist(qtbot, tmp_path):
    store = SettingsStore(tmp_path / "cfg")
    first = MainWindow(store)
    qtbot.addWidget(first)
    first.show()
    first.resize(first.minimumSizeHint().width(), 560)  # restoreGeometry keeps windows on the 800x600 offscreen screen
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, first.device_dock)
    size = (first.width(), first.height())
    assert size != (1280, 800)
    first.settings.last_device = "serial:///dev/ttyACM0?format=csv"
    first.close()
    second = MainWindow(SettingsStore(tmp_path / "cfg"))
    qtbot.addWidget(second)
    second.show()
    assert second.settings.last_device == "serial:///dev/ttyACM0?format=csv"
    assert (second.width(), second.height()) == size
    assert second.dockWidgetArea(second.device_dock) == Qt.DockWidgetArea.RightDockWidgetArea


def test_settings_are_typed_and_clamped(tmp_path):
    store = SettingsStore(tmp_path)
    settings = AppSettings(time_window_s=500.0, beep=False)
    settings.remember_project("/a.gesture")
    settings.remember_project("/b.gesture")
    settings.remember_project("/a.gesture")
    store.save(settings)
    loaded = SettingsStore(tmp_path).load()
    assert loaded.time_window_s == 60.0  # clamped to its bound
    assert loaded.beep is False and isinstance(loaded.plot_fps, int)
    assert loaded.recent_projects == ["/a.gesture", "/b.gesture"] and loaded.last_project == "/a.gesture"
    assert AppSettings.field_info()["time_window_s"]["title"] == "Plot time window"


def test_peak_downsample_keeps_spikes():
    t = np.arange(10000, dtype=np.float64)
    x = np.zeros((10000, 2), np.float32)
    x[5003, 0] = 7.0
    x[7001, 1] = -3.0
    td, xd = peak_downsample(t, x, 500)
    assert xd.shape[0] <= 1000 and td.shape[0] == xd.shape[0]
    assert xd[:, 0].max() == 7.0 and xd[:, 1].min() == -3.0
    assert np.all(np.diff(td) >= 0)
    same_t, same_x = peak_downsample(t[:600], x[:600], 500)
    assert same_x.shape[0] == 600


def test_simulator_streams_into_plot_and_performs(window, qtbot):
    # paced like a real device: an unpaced stream can keep the GUI thread from painting on a busy machine
    assert window.connect_device("simulator?rate=200&seed=1")
    qtbot.waitUntil(lambda: window.plot.frames >= 3 and window.plot.latest_curve_data()[2].size > 50, timeout=10000)
    acc_z = window.plot.latest_curve_data()[2]
    assert acc_z.size > 50 and 0.5 < float(np.median(acc_z)) < 1.5  # gravity, in g
    assert "circle_cw" in window.device_panel.gesture_names()
    window.device_panel.perform("circle_cw")
    assert window.settings.last_device == "simulator?rate=200&seed=1"


def test_cli_screenshot_and_quit(tmp_path):
    import os
    import subprocess
    import sys

    png = tmp_path / "cli.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_CONFIG_DIR=str(tmp_path / "cfg"))
    proc = subprocess.run([sys.executable, "-m", "studio", "--device", "simulator", "--screenshot", str(png),
                           "--quit-after", "2"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 600
    assert (tmp_path / "cfg" / "studio.ini").read_text().count("last_device=simulator") == 1


def test_preferences_dialog_is_built_from_the_settings(window, qtbot):
    from studio.ui.preferences import PreferencesDialog

    dialog = PreferencesDialog(window.settings, window)
    qtbot.addWidget(dialog)
    assert "last_device" not in dialog.editors
    assert dialog.editors["time_window_s"].maximum() == 60.0
    assert dialog.editors["time_window_s"].toolTip() == "Seconds of signal shown in the live plot."
    dialog.editors["time_window_s"].setValue(5)
    dialog.editors["beep"].setChecked(False)
    dialog.editors["sensitivity"].setValue(0.8)
    window.apply_settings(dialog.result_settings())
    assert window.plot.time_window_s == 5.0 and not window.recorder.beep_check.isChecked()
    assert window.live_view.sensitivity.value() == 80 and window.recognition.sensitivity == 0.8
    assert SettingsStore(window.store.directory).load().time_window_s == 5.0


class AccOnlyIMU(SineIMU):
    """Like a micro:bit: no gyroscope (NaN gyro channels), with a notice saying so, and a gap."""

    @property
    def notices(self):
        from studio.devices import faults

        return [faults.no_gyroscope("The test board")]

    def read(self, timeout: float = 0.1):
        chunk = super().read(timeout)
        chunk.data[:, 3:] = np.nan
        if 200 <= self.n < 220:
            chunk.data[:, 0] = np.nan  # a short gap in one accelerometer channel
        return chunk


def test_device_without_gyroscope_is_plotted_and_explained(window, qtbot):
    window.controller.connect_source(AccOnlyIMU())
    qtbot.waitUntil(lambda: window.plot.frames >= 3 and window.controller.buffer.written > 300, timeout=5000)
    qtbot.waitUntil(lambda: window.device_panel.notice_label.text() != "", timeout=3000)
    data = window.plot.latest_curve_data()
    assert data[1].size > 10 and all(d.size == 0 for d in data[3:])
    assert "not measured" in window.plot.plots[1].titleLabel.text
    assert "not measured" not in window.plot.plots[0].titleLabel.text
    assert "gyroscope" in window.device_panel.notice_label.text().lower()
