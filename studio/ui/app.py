"""``studio`` without a subcommand: the GUI, plus the headless switches used for demos and checks.

``--screenshot PATH`` writes a PNG of the main window once it has drawn data (or when quitting, if
``--quit-after`` is given); ``--quit-after SECONDS`` closes the window and exits 0; ``--quit-when-ready``
quits once the device is plotted and the model is ready, and ``--trace-startup PATH`` writes the times of
those milestones (see :mod:`studio.ui.startup`).

Start-up order: the window is built and shown and the device connected first; the model loads on a
worker after the first samples are plotted (:meth:`MainWindow.load_model_after_first_plot`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from studio.shipped import resource_path
from studio.ui.main_window import MainWindow
from studio.ui.settings import SettingsStore
from studio.ui.startup import StartupTrace
from studio.ui.theme import apply_theme
from studio.ui.workers import MainThreadGC, wait_for_jobs

ICON_DIR = resource_path("icons")
READY_FRAMES = 30  # redraws with data before an unattended screenshot counts as "showing something"
READY_TIMEOUT_S = 8.0


def application() -> QApplication:
    """The running QApplication, created and themed on first use."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("UniMotion Gesture Studio")
        app.setOrganizationName("UniMotion")
        icon = ICON_DIR / "studio-256.png"
        if icon.is_file():
            app.setWindowIcon(QIcon(str(icon)))
        apply_theme(app)
    return app


def save_screenshot(widget: QWidget, path: str | Path) -> bool:
    """Grab ``widget`` into a PNG at ``path`` (parent folders created); True if written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return bool(widget.grab().save(str(path), "PNG"))


def build_window(args: argparse.Namespace, store: SettingsStore | None = None) -> MainWindow:
    """The main window, connected to ``args.device`` (else the last device, else the simulator)."""
    window = MainWindow(store or SettingsStore())
    window.open_project_at_start(getattr(args, "project", None))
    window.show()
    window.connect_device(getattr(args, "device", None) or window.settings.last_device or "simulator")
    window.load_model_after_first_plot()
    panel = getattr(args, "panel", None)
    if panel and not window.show_panel(panel):
        window.notify(f"No panel called {panel!r}; showing signals.")
    return window


def run_gui(args: argparse.Namespace) -> int:
    """Open the studio; returns the process exit code."""
    app = application()
    collector = MainThreadGC(parent=app)  # garbage collection only on the GUI thread
    window = build_window(args)
    screenshot = getattr(args, "screenshot", None)
    if screenshot:
        window.resize(1280, 800)  # the same size every time, whatever layout was remembered
    quit_after = getattr(args, "quit_after", None)
    quit_when_ready = getattr(args, "quit_when_ready", False)

    def finish() -> None:
        if screenshot:
            ok = save_screenshot(window, screenshot)
            print(f"screenshot {'written to' if ok else 'FAILED:'} {screenshot}", file=sys.stderr)
        window.close()
        app.quit()

    trace_path = getattr(args, "trace_startup", None)
    if trace_path or quit_when_ready:
        StartupTrace(window, trace_path, on_ready=finish if quit_when_ready else None)
    if quit_after is not None:
        QTimer.singleShot(int(max(0.0, quit_after) * 1000), finish)
    elif screenshot and not quit_when_ready:
        started = time.monotonic()
        poll = QTimer(window)

        def shoot_when_ready() -> None:
            if window.plot.frames >= READY_FRAMES or time.monotonic() - started > READY_TIMEOUT_S:
                poll.stop()
                save_screenshot(window, screenshot)

        poll.timeout.connect(shoot_when_ready)
        poll.start(100)
    code = int(app.exec())
    collector.stop()
    wait_for_jobs()
    return code
