"""File menu: New / Open / Save As / recent projects, gesture-set import and export, CSV export.

Projects autosave (every change is committed by the project itself), so there is no "Save". Which
project opens at start: ``--project PATH`` (created if missing), else the last one, else a default
project in the studio's config folder, so a first start is immediately usable.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox

from studio.project import ProjectError, exchange
from studio.ui.project_model import ProjectModel
from studio.ui.settings import AppSettings, config_dir

PROJECT_FILTER = "Gesture projects (*.gesture);;All files (*)"
SET_FILTER = "Gesture sets (*.gestureset.json);;All files (*)"


def default_project_path() -> Path:
    return config_dir() / "projects" / "My gestures.gesture"


class ProjectMenu:
    """Builds the File menu of ``window`` and opens/creates projects through ``model``."""

    def __init__(self, window: QMainWindow, model: ProjectModel, settings: AppSettings, menu: QMenu) -> None:
        self.window, self.model, self.settings, self.menu = window, model, settings, menu
        self.recent_menu = QMenu("Open &recent", window)
        entries = [
            ("&New project…", QKeySequence.StandardKey.New, self.new_project),
            ("&Open project…", QKeySequence.StandardKey.Open, self.open_project_dialog),
            (None, None, None),
            ("Save project &as…", QKeySequence.StandardKey.SaveAs, self.save_as_dialog),
            (None, None, None),
            ("&Import gesture set…", None, self.import_set_dialog),
            ("&Export gesture set…", None, self.export_set_dialog),
            ("Export takes as &CSV…", None, self.export_csv_dialog),
            (None, None, None),
        ]
        first = menu.actions()[0] if menu.actions() else None
        for text, key, slot in entries:
            if text is None:
                menu.insertSeparator(first)
                continue
            action = QAction(text, window)
            if key is not None:
                action.setShortcut(QKeySequence(key))
            action.triggered.connect(slot)
            menu.insertAction(first, action)
            if text.startswith("&Open project"):
                menu.insertMenu(first, self.recent_menu)
        model.project_changed.connect(self._on_project_changed)
        self._rebuild_recent()

    # -- opening -------------------------------------------------------------------------------
    def open_at_start(self, path: str | None) -> bool:
        """Open ``path`` (creating it if missing), else the last project, else the default one."""
        candidates = [Path(path)] if path else []
        if not path and self.settings.last_project:
            candidates.append(Path(self.settings.last_project))
        if not path:
            candidates.append(default_project_path())
        for candidate in candidates:
            if self.open_or_create(candidate, quiet=not path):
                return True
        return False

    def open_or_create(self, path: Path, quiet: bool = False) -> bool:
        try:
            if path.exists():
                self.model.open(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.model.create(path)
        except (ProjectError, OSError) as err:
            self._error("The project could not be opened", str(err), quiet)
            return False
        return True

    def _error(self, title: str, text: str, quiet: bool = False) -> None:
        self.window.notify(f"{title}: {text}", 15000)
        if not quiet and self.window.isVisible() and not getattr(self.window, "headless", False):
            QMessageBox.warning(self.window, title, text)

    def _on_project_changed(self) -> None:
        path = self.model.path
        title = "UniMotion Gesture Studio"
        self.window.setWindowTitle(f"{path.stem} — {title}" if path else title)
        if path is not None:
            self.settings.remember_project(str(path))
        self._rebuild_recent()

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.settings.recent_projects:
            action = self.recent_menu.addAction(Path(p).name)
            action.setToolTip(p)
            action.triggered.connect(lambda _=False, path=p: self.open_or_create(Path(path)))
        self.recent_menu.setEnabled(bool(self.settings.recent_projects))

    # -- dialogs -------------------------------------------------------------------------------
    def _start_dir(self) -> str:
        return str(self.model.path.parent) if self.model.path else str(Path.home())

    def new_project(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "New project", self._start_dir(), PROJECT_FILTER)
        if path:
            path = path if path.endswith(".gesture") else path + ".gesture"
            try:
                self.model.create(path)
            except ProjectError as err:
                self._error("The project could not be created", str(err))

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open project", self._start_dir(), PROJECT_FILTER)
        if path:
            try:
                self.model.open(path)
            except ProjectError as err:
                self._error("The project could not be opened", str(err))

    def save_as_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save project as", self._start_dir(), PROJECT_FILTER)
        if path:
            path = path if path.endswith(".gesture") else path + ".gesture"
            try:
                self.model.save_as(path)
            except ProjectError as err:
                self._error("The project could not be saved", str(err))

    def import_set_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import gesture set", self._start_dir(), SET_FILTER)
        if path and self.model.project is not None:
            try:
                added = exchange.import_set(path, self.model.project)
            except ProjectError as err:
                self._error("The gesture set could not be imported", str(err))
                return
            self.model.undo_stack.clear()  # imported rows are not on the undo stack
            self.model.notify(gestures=True, takes_of=-1)
            self.window.notify(f"Imported {len(added)} gesture(s).", 8000)

    def export_set_dialog(self) -> None:
        if self.model.project is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Export gesture set", self._start_dir(), SET_FILTER)
        if path:
            try:
                written = exchange.export_set(self.model.project, path)
            except ProjectError as err:
                self._error("The gesture set could not be exported", str(err))
                return
            self.window.notify(f"Exported to {written}.", 8000)

    def export_csv_dialog(self) -> None:
        if self.model.project is None:
            return
        folder = QFileDialog.getExistingDirectory(self.window, "Export takes as CSV", self._start_dir())
        if folder:
            try:
                files = exchange.export_takes_csv(self.model.project, folder)
            except ProjectError as err:
                self._error("The takes could not be exported", str(err))
                return
            self.window.notify(f"Wrote {len(files)} file(s) to {folder}.", 8000)
