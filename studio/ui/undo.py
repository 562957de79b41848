"""Undoable edits of the gesture library; each calls :class:`studio.project.Project` methods.

Deletions keep the project's snapshot (gesture or take rows, ids included) so undo restores exactly
what was there; re-doing an addition restores the same ids, so later commands on the stack still
refer to the right rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from studio.ui.project_model import ProjectCommand, ProjectModel, ValueCommand


class AddGesture(ProjectCommand):
    def __init__(self, model: ProjectModel, name: str, description: str = "") -> None:
        super().__init__(model, f"Add gesture '{name}'")
        self.name, self.description = name, description
        self.gesture_id: int | None = None
        self.snapshot: dict | None = None

    def first_do(self) -> None:
        self.gesture_id = self.project.add_gesture(self.name, self.description).id
        self.model.notify(gestures=True)

    def redo_again(self) -> None:
        self.project.restore_gesture(self.snapshot)
        self.model.notify(gestures=True, takes_of=self.gesture_id)

    def undo_it(self) -> None:
        self.snapshot = self.project.delete_gesture(self.gesture_id)
        self.model.notify(gestures=True, takes_of=self.gesture_id)


class DuplicateGesture(AddGesture):
    def __init__(self, model: ProjectModel, gesture_id: int, new_name: str) -> None:
        super().__init__(model, new_name)
        self.setText(f"Duplicate as '{new_name}'")
        self.source_id = gesture_id

    def first_do(self) -> None:
        self.gesture_id = self.project.duplicate_gesture(self.source_id, self.name).id
        self.model.notify(gestures=True, takes_of=self.gesture_id)


class EditGesture(ValueCommand):
    """Change fields of one gesture (name, description, enabled, colour, output)."""

    def __init__(self, model: ProjectModel, gesture_id: int, text: str, **changes: object) -> None:
        super().__init__(model, text)
        self.gesture_id = gesture_id
        current = model._require().gesture(gesture_id)
        self.old = {key: getattr(current, key) for key in changes}
        self.new = dict(changes)

    def apply(self, values: dict) -> None:
        self.project.update_gesture(self.gesture_id, **values)
        self.model.notify(gestures=True)


class ReorderGestures(ValueCommand):
    def __init__(self, model: ProjectModel, order: Sequence[int]) -> None:
        super().__init__(model, "Reorder gestures")
        self.old = [g.id for g in model._require().gestures()]
        self.new = list(order)

    def apply(self, order: list[int]) -> None:
        self.project.reorder_gestures(order)
        self.model.notify(gestures=True)


class DeleteGesture(ProjectCommand):
    def __init__(self, model: ProjectModel, gesture_id: int) -> None:
        name = model._require().gesture(gesture_id).name
        super().__init__(model, f"Delete gesture '{name}'")
        self.gesture_id = gesture_id
        self.snapshot: dict | None = None

    def first_do(self) -> None:
        self.redo_again()

    def redo_again(self) -> None:
        self.snapshot = self.project.delete_gesture(self.gesture_id)
        self.model.notify(gestures=True, takes_of=self.gesture_id)

    def undo_it(self) -> None:
        self.project.restore_gesture(self.snapshot)
        self.model.notify(gestures=True, takes_of=self.gesture_id)


class AddTake(ProjectCommand):
    """Store a recorded take (committed to disk at once)."""

    def __init__(self, model: ProjectModel, gesture_id: int, samples: np.ndarray, rate_hz: float,
                 channels: Sequence[str], units: Sequence[str], device: str = "",
                 trim: tuple[int | None, int | None] | None = None) -> None:
        super().__init__(model, "Record take")
        self.gesture_id = gesture_id
        self.args = (samples, rate_hz, tuple(channels), tuple(units))
        self.device, self.trim = device, trim
        self.take_id: int | None = None
        self.snapshot: dict | None = None

    def first_do(self) -> None:
        samples, rate, channels, units = self.args
        self.take_id = self.project.add_take(self.gesture_id, samples, rate, channels, units,
                                             device=self.device, trim=self.trim).id
        self.setText(f"Record take of '{self.project.gesture(self.gesture_id).name}'")
        self.model.notify(gestures=True, takes_of=self.gesture_id)

    def redo_again(self) -> None:
        self.project.restore_take(self.snapshot)
        self.model.notify(gestures=True, takes_of=self.gesture_id)

    def undo_it(self) -> None:
        self.snapshot = self.project.delete_take(self.take_id)
        self.model.notify(gestures=True, takes_of=self.gesture_id)


class DeleteTake(ProjectCommand):
    def __init__(self, model: ProjectModel, take_id: int) -> None:
        super().__init__(model, "Delete take")
        self.take_id = take_id
        self.gesture_id = model._require().take(take_id).gesture_id
        self.snapshot: dict | None = None

    def first_do(self) -> None:
        self.redo_again()

    def redo_again(self) -> None:
        self.snapshot = self.project.delete_take(self.take_id)
        self.model.notify(gestures=True, takes_of=self.gesture_id)

    def undo_it(self) -> None:
        self.project.restore_take(self.snapshot)
        self.model.notify(gestures=True, takes_of=self.gesture_id)


class RelabelTake(ValueCommand):
    def __init__(self, model: ProjectModel, take_id: int, gesture_id: int) -> None:
        project = model._require()
        super().__init__(model, f"Move take to '{project.gesture(gesture_id).name}'")
        self.take_id = take_id
        self.old, self.new = project.take(take_id).gesture_id, gesture_id

    def apply(self, gesture_id: int) -> None:
        self.project.relabel_take(self.take_id, gesture_id)
        self.model.notify(gestures=True, takes_of=self.old)
        self.model.notify(takes_of=self.new)


class TrimTake(ValueCommand):
    def __init__(self, model: ProjectModel, take_id: int, start: int | None, end: int | None) -> None:
        super().__init__(model, "Trim take")
        take = model._require().take(take_id)
        self.take_id, self.gesture_id = take_id, take.gesture_id
        self.old, self.new = (take.trim_start, take.trim_end), (start, end)

    def apply(self, trim: tuple[int | None, int | None]) -> None:
        self.project.set_trim(self.take_id, *trim)
        self.model.notify(takes_of=self.gesture_id)
