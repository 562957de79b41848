"""Gesture library: gestures (name, description, enabled) on the left, the selected one's takes on the right.

Every edit is an undoable command on the project model's stack; a refused edit (empty or duplicate
name) shows its reason under the editor and changes nothing. Takes show as thumbnails; the selected
take is drawn with trim handles (drag them, then "Apply trim"), can be played back on the live plot,
moved to another gesture or deleted. Each gesture's output mapping (its own OSC address, its key combo)
is edited here too, validated before it is stored.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from studio.outputs import OutputError, parse_combo
from studio.outputs.osc import check_address
from studio.project import ProjectError
from studio.signals.nucleus import auto_trim
from studio.ui import undo
from studio.ui.a11y import describe
from studio.ui.project_model import ProjectModel
from studio.ui.take_view import TakeView
from studio.ui.theme import colours, set_role, theme_manager
from studio.ui.thumbnails import colour_icon, take_thumbnail

ROLE_ID = Qt.ItemDataRole.UserRole
MESSAGE_MS = 8000  # a refused edit's reason stays this long (or until the next edit or selection)
THUMB_ROW_PX = 96  # one row of take thumbnails (56 px picture, caption, spacing)


def take_number(project, take) -> int:  # noqa: ANN001 - a Project and one of its takes
    """The take's number within its gesture (1 = recorded first), as the library lists it."""
    ids = [t.id for t in project.takes(take.gesture_id)]
    return ids.index(take.id) + 1 if take.id in ids else 0


class LibraryPanel(QWidget):
    """The gesture library. ``play_requested(samples, rate_hz, title)`` asks the main plot to show a take."""

    play_requested = Signal(object, float, str)
    gesture_selected = Signal(int)  # the user picked a gesture (not emitted while the list is rebuilt)

    def __init__(self, model: ProjectModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._syncing = False

        self.new_name = QLineEdit(placeholderText="New gesture name")
        self.new_description = QLineEdit(placeholderText="Describe it in words, e.g. 'draw a circle clockwise'")
        self.add_button = QPushButton("Add gesture")
        self.add_button.setObjectName("primary")
        self.add_button.clicked.connect(self._on_add)
        describe(self.new_name, "New gesture name", "Type a name, then a description, then press Enter.")
        describe(self.new_description, "New gesture description",
                 "Describe the movement in words; Enter adds the gesture.")
        self.new_description.returnPressed.connect(self._on_add)
        self.gesture_list = QListWidget()
        self.gesture_list.setIconSize(QSize(14, 14))
        self.gesture_list.currentItemChanged.connect(self._on_current_gesture)
        self.gesture_list.itemChanged.connect(self._on_item_checked)
        describe(self.gesture_list, "Gestures", "Ticked gestures are recognised live; Space turns it on or off.")
        self.list_caption = QLabel("Gestures — ☑ ticked: recognised live (Space toggles)")
        self.list_caption.setObjectName("plotCaption")
        self.duplicate_button = QPushButton("Duplicate")
        self.duplicate_button.clicked.connect(self._on_duplicate)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self._on_delete)
        self.up_button = QPushButton("▲")
        self.up_button.setToolTip("Move the gesture up in the library")
        describe(self.up_button, "Move gesture up")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QPushButton("▼")
        self.down_button.setToolTip("Move the gesture down in the library")
        describe(self.down_button, "Move gesture down")
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.message = QLabel("")
        self.message.setWordWrap(True)
        set_role(self.message, "error")
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(MESSAGE_MS)
        self._message_timer.timeout.connect(lambda: self.show_message(""))

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.new_name)
        lv.addWidget(self.new_description)
        lv.addWidget(self.add_button)
        lv.addWidget(self.list_caption)
        lv.addWidget(self.gesture_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.duplicate_button)
        row.addWidget(self.delete_button)
        row.addWidget(self.up_button)
        row.addWidget(self.down_button)
        lv.addLayout(row)
        lv.addWidget(self.message)

        self.name_edit = QLineEdit()
        self.name_edit.editingFinished.connect(self._on_rename)
        self.description_edit = QLineEdit()
        self.description_edit.editingFinished.connect(self._on_describe)
        self.enabled_check = QCheckBox("Recognise this gesture")
        self.enabled_check.toggled.connect(self._on_enabled)
        self.badge = QLabel("")
        self.badge.setObjectName("badge")
        self.osc_edit = QLineEdit(placeholderText="default: the Outputs panel's address template")
        self.osc_edit.setToolTip("This gesture's own OSC address, e.g. /lights/wave (empty: the template)")
        self.osc_edit.editingFinished.connect(lambda: self._on_output_edited("osc"))
        self.key_edit = QLineEdit(placeholderText="none, e.g. ctrl+alt+right, space, f5, media_next")
        self.key_edit.setToolTip("Pressed when this gesture is recognised, only while keystrokes are armed")
        self.key_edit.editingFinished.connect(lambda: self._on_output_edited("key"))
        describe(self.name_edit, "Gesture name")
        describe(self.description_edit, "Gesture description", "The words the recogniser matches motion to.")
        describe(self.osc_edit, "OSC address for this gesture", self.osc_edit.toolTip())
        describe(self.key_edit, "Key combo for this gesture", self.key_edit.toolTip())
        editor = QGroupBox("Gesture")
        form = QFormLayout(editor)
        form.addRow("Name", self.name_edit)
        form.addRow("Description", self.description_edit)
        form.addRow("", self.enabled_check)
        form.addRow("", self.badge)
        form.addRow("OSC address", self.osc_edit)
        form.addRow("Key combo", self.key_edit)

        self.take_list = QListWidget()
        self.take_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.take_list.setIconSize(QSize(132, 56))
        self.take_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.take_list.setMovement(QListWidget.Movement.Static)
        self.take_list.setSpacing(4)
        self.take_list.currentItemChanged.connect(lambda *_: self._show_take())
        self.take_list.itemActivated.connect(lambda _: self._on_play())  # double-click or Enter
        self.preview = TakeView()
        self.play_button = QPushButton("Play on plot")
        self.play_button.clicked.connect(self._on_play)
        self.apply_trim_button = QPushButton("Apply trim")
        self.apply_trim_button.clicked.connect(self._on_apply_trim)
        self.auto_trim_button = QPushButton("Auto-trim")
        self.auto_trim_button.setToolTip("Trim to the movement's nucleus (its high-energy core)")
        self.auto_trim_button.clicked.connect(self._on_auto_trim)
        self.move_combo = QComboBox()
        describe(self.move_combo, "Gesture to move the take to")
        describe(self.take_list, "Takes of the selected gesture", "Enter plays the selected take on the plot.")
        self.move_button = QPushButton("Move to")
        self.move_button.clicked.connect(self._on_relabel)
        self.delete_take_button = QPushButton("Delete take")
        self.delete_take_button.clicked.connect(self._on_delete_take)
        take_buttons = QHBoxLayout()
        for w in (self.play_button, self.auto_trim_button, self.apply_trim_button, self.move_button,
                  self.move_combo, self.delete_take_button):
            take_buttons.addWidget(w)
        takes_box = QGroupBox("Takes")
        tv = QVBoxLayout(takes_box)
        # Thumbnails above, the selected take's plots below: a splitter the user can drag, with the
        # plots getting the room (squeezed, their tick labels overlapped).
        self.take_split = QSplitter(Qt.Orientation.Vertical)
        self.take_split.setChildrenCollapsible(False)
        self.take_split.addWidget(self.take_list)
        self.take_split.addWidget(self.preview)
        self.take_split.setStretchFactor(0, 0)
        self.take_split.setStretchFactor(1, 1)
        self.take_list.setMinimumHeight(THUMB_ROW_PX)
        self.take_split.setSizes([THUMB_ROW_PX + 24, 400])
        tv.addWidget(self.take_split, 1)
        tv.addLayout(take_buttons)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(editor)
        rv.addWidget(takes_box, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        model.gestures_changed.connect(self.refresh)
        model.takes_changed.connect(lambda _gid: self._show_selected())
        model.project_changed.connect(self.refresh)
        theme_manager().changed.connect(self._show_selected)  # badge and thumbnails carry colours
        self.refresh()

    # -- selection -----------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Say why an edit was refused, under the list; it goes after a while, or at the next edit or
        selection (an old reason must not look as if it applied to what is shown now)."""
        self.message.setText(text)
        if text:
            self._message_timer.start()
        else:
            self._message_timer.stop()

    def _on_current_gesture(self, *_: object) -> None:
        if self._syncing:
            return
        self.show_message("")
        self._show_selected()
        gid = self.selected_gesture_id()
        if gid is not None:
            self.gesture_selected.emit(gid)

    def selected_gesture_id(self) -> int | None:
        item = self.gesture_list.currentItem()
        return None if item is None else int(item.data(ROLE_ID))

    def select_gesture(self, gesture_id: int) -> None:
        for i in range(self.gesture_list.count()):
            if int(self.gesture_list.item(i).data(ROLE_ID)) == gesture_id:
                self.gesture_list.setCurrentRow(i)
                return

    def selected_take_id(self) -> int | None:
        item = self.take_list.currentItem()
        return None if item is None else int(item.data(ROLE_ID))

    def refresh(self) -> None:
        """Rebuild the gesture list from the project, keeping the selection."""
        project = self.model.project
        keep = self.selected_gesture_id()
        self._syncing = True
        self.gesture_list.clear()
        enabled = project is not None
        for w in (self.new_name, self.new_description, self.add_button):
            w.setEnabled(enabled)
        if project is not None:
            counts = project.take_counts()
            for g in project.gestures():
                n = counts.get(g.id, 0)
                detail = f"{n} take{'s' if n != 1 else ''}" if n else "from text only"
                off = "" if g.enabled else "  ·  not recognised"  # said in words, not by the box alone
                item = QListWidgetItem(colour_icon(g.colour), f"{g.name}   ·  {detail}{off}")
                item.setData(ROLE_ID, g.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if g.enabled else Qt.CheckState.Unchecked)
                item.setToolTip(f"{g.description or '(no description)'}\n"
                                f"{'Ticked: recognised live' if g.enabled else 'Not ticked: not recognised live'}"
                                " (Space or a click on the box changes it)")
                self.gesture_list.addItem(item)
        if keep is not None:
            self.select_gesture(keep)
        if self.gesture_list.currentItem() is None and self.gesture_list.count():
            self.gesture_list.setCurrentRow(0)
        self._syncing = False
        self._show_selected()

    def _show_selected(self) -> None:
        project, gid = self.model.project, self.selected_gesture_id()
        gesture = None
        if project is not None and gid is not None:
            try:
                gesture = project.gesture(gid)
            except ProjectError:
                gesture = None
        self._syncing = True
        for w in (self.name_edit, self.description_edit, self.enabled_check, self.duplicate_button,
                  self.delete_button, self.up_button, self.down_button, self.osc_edit, self.key_edit):
            w.setEnabled(gesture is not None)
        self.name_edit.setText(gesture.name if gesture else "")
        self.description_edit.setText(gesture.description if gesture else "")
        self.enabled_check.setChecked(bool(gesture and gesture.enabled))
        output = (gesture.output or {}) if gesture else {}
        self.osc_edit.setText(str(output.get("osc", "")))
        self.key_edit.setText(str(output.get("key", "")))
        keep_take = self.selected_take_id()
        self.take_list.clear()
        self.move_combo.clear()
        takes = project.takes(gid) if gesture else []
        if gesture is not None:
            for g in project.gestures():
                if g.id != gid:
                    self.move_combo.addItem(g.name, g.id)
            for number, t in enumerate(takes, 1):  # numbered per gesture, as the user recorded them
                secs = len(t.trimmed()) / t.rate_hz
                quality = f" · q {t.quality:.2f}" if t.quality is not None else ""
                item = QListWidgetItem(take_thumbnail(t.samples, (t.trim_start, t.trim_end)),
                                       f"take {number} · {secs:.1f} s{quality}")
                item.setData(ROLE_ID, t.id)
                self.take_list.addItem(item)
        self.badge.setText("" if gesture is None else (
            f"<span style='background:{colours().badge_bg};color:{colours().warning};font-weight:bold;'>"
            "&nbsp;⚠ from text only&nbsp;</span>  recognised from its description; each take you record improves it"
            if not takes else f"{len(takes)} take{'s' if len(takes) != 1 else ''}"))
        self._syncing = False
        for i in range(self.take_list.count()):
            if int(self.take_list.item(i).data(ROLE_ID)) == keep_take:
                self.take_list.setCurrentRow(i)
        if self.take_list.currentItem() is None and self.take_list.count():
            self.take_list.setCurrentRow(self.take_list.count() - 1)
        self._show_take()

    def _show_take(self) -> None:
        project, tid = self.model.project, self.selected_take_id()
        take = project.take(tid) if project is not None and tid is not None else None
        for w in (self.play_button, self.apply_trim_button, self.auto_trim_button, self.delete_take_button):
            w.setEnabled(take is not None)
        self.move_button.setEnabled(take is not None and self.move_combo.count() > 0)
        if take is None:
            self.preview.clear()
            return
        self.preview.set_take(take.samples, take.rate_hz, (take.trim_start, take.trim_end))

    # -- gesture edits -------------------------------------------------------------------------
    def _run(self, command_factory) -> bool:  # noqa: ANN001
        try:
            self.model.run(command_factory())
        except ProjectError as err:
            self.show_message(str(err))
            self._show_selected()  # put the refused value back
            return False
        self.show_message("")
        return True

    def add_gesture(self, name: str, description: str = "") -> bool:
        """Add a gesture (undoable); False and a message when the name is refused."""
        if not self._run(lambda: undo.AddGesture(self.model, name, description)):
            return False
        added = self.model.project.gesture_by_name(name)
        if added is not None:
            self.select_gesture(added.id)
        return True

    def _on_add(self) -> None:
        if self.add_gesture(self.new_name.text(), self.new_description.text()):
            self.new_name.clear()
            self.new_description.clear()
            if self.new_description.hasFocus():
                self.new_name.setFocus()  # ready for the next gesture, from the keyboard too

    def _on_rename(self) -> None:
        gid = self.selected_gesture_id()
        if self._syncing or gid is None or self.name_edit.text() == self.model.project.gesture(gid).name:
            return
        self._run(lambda: undo.EditGesture(self.model, gid, "Rename gesture", name=self.name_edit.text()))

    def _on_describe(self) -> None:
        gid = self.selected_gesture_id()
        if self._syncing or gid is None or self.description_edit.text() == self.model.project.gesture(gid).description:
            return
        self._run(lambda: undo.EditGesture(self.model, gid, "Describe gesture",
                                           description=self.description_edit.text()))

    def _on_enabled(self, on: bool) -> None:
        gid = self.selected_gesture_id()
        if self._syncing or gid is None:
            return
        self._run(lambda: undo.EditGesture(self.model, gid, "Enable gesture" if on else "Disable gesture",
                                           enabled=on))

    def _on_output_edited(self, key: str) -> None:
        """Store the gesture's OSC address or key combo (undoable); a bad one is refused with its reason."""
        gid = self.selected_gesture_id()
        if self._syncing or gid is None:
            return
        edit = self.osc_edit if key == "osc" else self.key_edit
        text = edit.text().strip()
        try:
            value = (check_address(text) if key == "osc" else str(parse_combo(text))) if text else ""
        except OutputError as err:
            self.show_message(f"{'OSC address' if key == 'osc' else 'Key combo'} not saved: {err}")
            return  # the typed text stays so it can be corrected
        output = dict(self.model.project.gesture(gid).output or {})
        if output.get(key, "") == value:
            edit.setText(value)
            self.show_message("")
            return
        if value:
            output[key] = value
        else:
            output.pop(key, None)
        label = "OSC address" if key == "osc" else "key combo"
        self._run(lambda: undo.EditGesture(self.model, gid, f"Set {label}", output=output))

    def _on_item_checked(self, item: QListWidgetItem) -> None:
        if self._syncing:
            return
        gid, on = int(item.data(ROLE_ID)), item.checkState() == Qt.CheckState.Checked
        if self.model.project.gesture(gid).enabled != on:
            self._run(lambda: undo.EditGesture(self.model, gid, "Enable gesture" if on else "Disable gesture",
                                               enabled=on))

    def _on_duplicate(self) -> None:
        gid = self.selected_gesture_id()
        if gid is None:
            return
        base = self.model.project.gesture(gid).name
        names = {g.name.lower() for g in self.model.project.gestures()}
        k = 2
        while f"{base} {k}".lower() in names:
            k += 1
        command = undo.DuplicateGesture(self.model, gid, f"{base} {k}")
        if self._run(lambda: command):
            self.select_gesture(command.gesture_id)

    def move_selected(self, step: int) -> None:
        """Move the selected gesture ``step`` places (undoable)."""
        gid = self.selected_gesture_id()
        if gid is None:
            return
        order = [g.id for g in self.model.project.gestures()]
        i = order.index(gid)
        j = max(0, min(len(order) - 1, i + step))
        if i == j:
            return
        order.insert(j, order.pop(i))
        self._run(lambda: undo.ReorderGestures(self.model, order))

    def _on_delete(self) -> None:
        gid = self.selected_gesture_id()
        if gid is not None:
            self._run(lambda: undo.DeleteGesture(self.model, gid))

    # -- take edits ----------------------------------------------------------------------------
    def _on_play(self) -> None:
        tid = self.selected_take_id()
        if tid is None:
            return
        take = self.model.project.take(tid)
        name = self.model.project.gesture(take.gesture_id).name
        number = take_number(self.model.project, take)
        self.play_requested.emit(take.samples, take.rate_hz, f"take {number} of '{name}'")

    def _on_apply_trim(self) -> None:
        tid = self.selected_take_id()
        if tid is None:
            return
        start, end = self.preview.trim()
        self._run(lambda: undo.TrimTake(self.model, tid, start, end))

    def _on_auto_trim(self) -> None:
        tid = self.selected_take_id()
        if tid is None:
            return
        take = self.model.project.take(tid)
        marks = auto_trim(take.samples, take.rate_hz, take.channels)
        if marks is None:
            self.show_message("No movement found in this take: nothing to trim to.")
            return
        self._run(lambda: undo.TrimTake(self.model, tid, *marks))

    def _on_relabel(self) -> None:
        tid, target = self.selected_take_id(), self.move_combo.currentData()
        if tid is not None and target is not None:
            self._run(lambda: undo.RelabelTake(self.model, tid, int(target)))

    def _on_delete_take(self) -> None:
        tid = self.selected_take_id()
        if tid is not None:
            self._run(lambda: undo.DeleteTake(self.model, tid))
