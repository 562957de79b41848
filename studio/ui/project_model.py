"""The GUI's handle on the open project: change signals for the views and one undo stack.

Every edit goes through an undoable command (:mod:`studio.ui.undo`) that calls :class:`Project`
methods; the project commits each change to disk at once, so there is no separate "save".
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.project import Project, ProjectError


class ProjectModel(QObject):
    """Signals: ``project_changed()`` (opened, created, closed, saved as), ``gestures_changed()``,
    ``takes_changed(gesture_id)`` (-1: several gestures), ``settings_changed(key)`` (a project setting),
    ``edit_failed(message)``."""

    project_changed = Signal()
    gestures_changed = Signal()
    takes_changed = Signal(int)
    settings_changed = Signal(str)
    edit_failed = Signal(str)  # an undo or redo the project refused (shown in the status bar)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.undo_stack = QUndoStack(self)

    # -- files ---------------------------------------------------------------------------------
    @property
    def path(self) -> Path | None:
        return self.project.path if self.project else None

    def _set_project(self, project: Project | None) -> None:
        if self.project is not None and self.project is not project:
            self.project.close()
        self.project = project
        self.undo_stack.clear()  # commands refer to ids in the previous file
        self.project_changed.emit()
        self.gestures_changed.emit()
        self.takes_changed.emit(-1)

    def create(self, path: str | Path) -> Project:
        """Create and open a new project; ProjectError (e.g. file exists) leaves the current one open."""
        project = Project.create(path)
        self._set_project(project)
        return project

    def open(self, path: str | Path) -> Project:
        """Open ``path``; a corrupt or foreign file raises ProjectError and the current one stays open."""
        project = Project.open(path)
        self._set_project(project)
        return project

    def save_as(self, path: str | Path) -> None:
        self._require().save_as(path)
        self.project_changed.emit()

    def close(self) -> None:
        self._set_project(None)

    def _require(self) -> Project:
        if self.project is None:
            raise ProjectError("No project is open: create one with File ▸ New project.")
        return self.project

    # -- edits ---------------------------------------------------------------------------------
    def run(self, command: "ProjectCommand") -> bool:
        """Do ``command`` now and put it on the undo stack; a refused edit raises ProjectError and
        leaves both the project and the stack unchanged."""
        command.first_do()
        command.done_once = True
        self.undo_stack.push(command)
        return True

    def notify(self, gestures: bool = False, takes_of: int | None = None) -> None:
        if gestures:
            self.gestures_changed.emit()
        if takes_of is not None:
            self.takes_changed.emit(takes_of)


class ProjectCommand(QUndoCommand):
    """An undoable edit. Subclasses implement ``first_do`` (may raise ProjectError), ``redo_again``
    and ``undo_it``; QUndoStack.push calls redo(), which skips the work already done by first_do."""

    def __init__(self, model: ProjectModel, text: str) -> None:
        super().__init__(text)
        self.model = model
        self.done_once = False

    @property
    def project(self) -> Project:
        return self.model._require()

    def redo(self) -> None:
        if self.done_once:
            self.done_once = False
            return
        self._guard(self.redo_again)

    def undo(self) -> None:
        self._guard(self.undo_it)

    def _guard(self, action) -> None:  # noqa: ANN001
        # Exceptions cannot cross Qt's C++ undo machinery; a failure (e.g. the name was taken meanwhile
        # by a later edit) is reported and the stack left consistent by making the command obsolete.
        try:
            action()
        except ProjectError as err:
            self.setObsolete(True)
            self.model.edit_failed.emit(str(err))

    def first_do(self) -> None:
        raise NotImplementedError

    def redo_again(self) -> None:
        raise NotImplementedError

    def undo_it(self) -> None:
        raise NotImplementedError


class ValueCommand(ProjectCommand):
    """An edit that sets a value: ``apply(new)`` to do and redo, ``apply(old)`` to undo."""

    old: object
    new: object

    def first_do(self) -> None:
        self.apply(self.new)

    def redo_again(self) -> None:
        self.apply(self.new)

    def undo_it(self) -> None:
        self.apply(self.old)

    def apply(self, value) -> None:  # noqa: ANN001
        raise NotImplementedError
