"""Undo/redo of every library edit, against a real project file."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from studio.project import ProjectError  # noqa: E402
from studio.signals.stream import CANONICAL_CHANNELS, CANONICAL_UNITS  # noqa: E402
from studio.ui import undo  # noqa: E402
from studio.ui.project_model import ProjectModel  # noqa: E402

UNITS = tuple(CANONICAL_UNITS[c] for c in CANONICAL_CHANNELS)


@pytest.fixture
def model(qapp, tmp_path):
    m = ProjectModel()
    m.create(tmp_path / "p.gesture")
    yield m
    m.close()


def names(model):
    return [g.name for g in model.project.gestures()]


def add_take(model, gesture_id, n=50):
    x = np.random.default_rng(n).normal(size=(n, 6)).astype(np.float32)
    model.run(undo.AddTake(model, gesture_id, x, 100.0, CANONICAL_CHANNELS, UNITS, "simulator"))
    return model.undo_stack.command(model.undo_stack.index() - 1).take_id


def test_add_rename_describe_enable_undo_redo(model, qtbot):
    stack = model.undo_stack
    with qtbot.waitSignal(model.gestures_changed):
        model.run(undo.AddGesture(model, "circle", "draw a circle"))
    gid = model.project.gestures()[0].id
    model.run(undo.EditGesture(model, gid, "Rename", name="loop"))
    model.run(undo.EditGesture(model, gid, "Describe", description="a loop in the air"))
    model.run(undo.EditGesture(model, gid, "Disable", enabled=False))
    g = model.project.gesture(gid)
    assert (g.name, g.description, g.enabled) == ("loop", "a loop in the air", False)
    for _ in range(3):
        stack.undo()
    g = model.project.gesture(gid)
    assert (g.name, g.description, g.enabled) == ("circle", "draw a circle", True)
    stack.undo()
    assert names(model) == []
    for _ in range(4):
        stack.redo()
    g = model.project.gesture(gid)
    assert (g.name, g.description, g.enabled) == ("loop", "a loop in the air", False)


def test_refused_names_change_nothing(model):
    model.run(undo.AddGesture(model, "swipe"))
    with pytest.raises(ProjectError, match="already exists"):
        model.run(undo.AddGesture(model, "Swipe"))
    with pytest.raises(ProjectError, match="empty"):
        model.run(undo.AddGesture(model, "   "))
    gid = model.project.gestures()[0].id
    with pytest.raises(ProjectError):
        model.run(undo.EditGesture(model, gid, "Rename", name=""))
    assert names(model) == ["swipe"] and model.undo_stack.count() == 1


def test_delete_gesture_with_takes_and_undo(model):
    model.run(undo.AddGesture(model, "shake"))
    gid = model.project.gestures()[0].id
    take_ids = [add_take(model, gid, n) for n in (40, 60)]
    before = [model.project.take(t).samples.copy() for t in take_ids]
    model.run(undo.DeleteGesture(model, gid))
    assert names(model) == [] and model.project.takes() == []
    model.undo_stack.undo()
    assert names(model) == ["shake"]
    assert [t.id for t in model.project.takes(gid)] == take_ids
    assert all(np.array_equal(model.project.take(t).samples, b) for t, b in zip(take_ids, before))
    model.undo_stack.redo()
    assert names(model) == []


def test_duplicate_take_edits_and_undo(model):
    model.run(undo.AddGesture(model, "tap"))
    model.run(undo.AddGesture(model, "push"))
    tap, push = (g.id for g in model.project.gestures())
    take = add_take(model, tap)
    model.run(undo.DuplicateGesture(model, tap, "tap copy"))
    assert names(model) == ["tap", "push", "tap copy"]
    copy_id = model.project.gesture_by_name("tap copy").id
    assert len(model.project.takes(copy_id)) == 1
    model.run(undo.RelabelTake(model, take, push))
    model.run(undo.TrimTake(model, take, 5, 30))
    t = model.project.take(take)
    assert (t.gesture_id, t.trim_start, t.trim_end) == (push, 5, 30)
    model.undo_stack.undo()
    model.undo_stack.undo()
    t = model.project.take(take)
    assert (t.gesture_id, t.trim_start, t.trim_end) == (tap, None, None)
    model.run(undo.DeleteTake(model, take))
    assert model.project.takes(tap) == []
    model.undo_stack.undo()
    assert [x.id for x in model.project.takes(tap)] == [take]
    # undoing everything empties the project; redoing everything (the take's deletion last) restores it
    model.undo_stack.setIndex(0)
    assert names(model) == [] and model.project.takes() == []
    model.undo_stack.setIndex(model.undo_stack.count())
    assert names(model) == ["tap", "push", "tap copy"]
    assert [t.gesture_id for t in model.project.takes()] == [copy_id]


def test_open_refuses_corrupt_file_and_keeps_current(model, tmp_path):
    bad = tmp_path / "bad.gesture"
    bad.write_bytes(b"not a database at all" * 10)
    current = model.path
    with pytest.raises(ProjectError):
        model.open(bad)
    assert model.path == current
    assert bad.read_bytes() == b"not a database at all" * 10
