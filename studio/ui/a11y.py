"""Screen-reader support: accessible names, announcements, and an audit of the widget tree.

``describe(widget, name, description)`` sets what a screen reader says for a control. The
:class:`Announcer` speaks status changes (connected, recording, "wave, 92 %") through Qt's accessibility
announcement event (read by Orca, NVDA, VoiceOver), keeps the last ones for "say status again", and tells
listeners (audio feedback, tests). :func:`unnamed_controls` lists the interactive widgets a screen reader
would announce without a meaningful name; the tests require it to be empty for every panel.
"""

from __future__ import annotations

import re
import time
from collections import deque

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox,
    QFormLayout, QLineEdit, QTabBar, QTextEdit, QWidget,
)

INTERACTIVE = (QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit,
               QTabBar, QTextEdit)
_WORD = re.compile(r"[A-Za-z]{2}")


def describe(widget: QWidget, name: str, description: str = "") -> QWidget:
    """Give ``widget`` the name a screen reader says (and an optional longer description)."""
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
    return widget


def name_form_fields(form: QFormLayout) -> None:
    """Name every field of ``form`` after its row label (fields already named keep their names)."""
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label is None or field is None or field.widget() is None or label.widget() is None:
            continue
        text = getattr(label.widget(), "text", lambda: "")().replace("&", "").strip()
        if text and not field.widget().accessibleName():
            field.widget().setAccessibleName(text)


def spoken_name(widget: QWidget) -> str:
    """What assistive technology gets as the widget's name (explicit name, button text or buddy label)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    if interface is None or not interface.isValid():
        return widget.accessibleName()
    return (interface.text(QAccessible.Text.Name) or "").strip()


def _own_name(widget: QWidget) -> str:
    """The name the widget itself was given: its accessible name, or a button's own text. Names Qt
    would guess (a combo box's current item, the title of the surrounding group) do not count."""
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton):
        return widget.text().replace("&", "")
    return ""


def unnamed_controls(root: QWidget) -> list[str]:
    """Interactive widgets under ``root`` (hidden tabs included) without a meaningful spoken name.

    Meaningful = set on the widget (see :func:`_own_name`) with at least one word of two letters: "▲",
    "…" or an empty label do not count. Widgets that are internal parts of another control (a spin box's
    line edit, a combo box's view) are skipped.
    """
    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not isinstance(widget, INTERACTIVE) or widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if _is_internal(widget):
            continue
        if not _WORD.search(_own_name(widget)):
            missing.append(f"{type(widget).__name__} {widget.objectName() or ''} in "
                           f"{_path(widget)} (Qt would say {spoken_name(widget)!r})")
    return missing


def _is_internal(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox)):
            return True
        if type(parent).__name__ in ("QComboBoxPrivateContainer", "QCalendarWidget"):
            return True
        parent = parent.parentWidget()
    # scroll bars of item views and text edits are reached with the view itself
    return type(widget).__name__ == "QScrollBar"


def _path(widget: QWidget) -> str:
    names = []
    parent = widget.parentWidget()
    while parent is not None and len(names) < 3:
        names.append(parent.objectName() or type(parent).__name__)
        parent = parent.parentWidget()
    return "/".join(reversed(names))


class Announcer(QObject):
    """Speaks status changes to screen readers. ``announced(text, assertive)`` is emitted for each.

    Repeated identical messages within ``dedupe_s`` are dropped (a flapping device must not flood
    the reader). ``history`` keeps the latest messages for "say status again".
    """

    announced = Signal(str, bool)

    def __init__(self, target: QWidget, history: int = 20, dedupe_s: float = 2.0) -> None:
        super().__init__(target)
        self._target = target
        self.dedupe_s = dedupe_s
        self.history: deque[str] = deque(maxlen=history)
        self._said: dict[str, float] = {}  # text -> when it was last announced

    def announce(self, text: str, assertive: bool = False) -> None:
        """Say ``text`` (assertive: interrupt what the reader is saying); repeats within dedupe_s are dropped."""
        text = " ".join(str(text).split())
        now = time.monotonic()
        if not text or now - self._said.get(text, -1e9) < self.dedupe_s:
            return
        self._said = {t: when for t, when in self._said.items() if now - when < self.dedupe_s}
        self._said[text] = now
        self.history.append(text)
        event = QAccessibleAnnouncementEvent(self._target, text)
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive if assertive
                            else QAccessible.AnnouncementPoliteness.Polite)
        QAccessible.updateAccessibility(event)
        self.announced.emit(text, assertive)

    @property
    def last(self) -> str:
        """The latest announcement ("" before the first)."""
        return self.history[-1] if self.history else ""


def screen_reader_active() -> bool:
    """True when assistive technology is listening (Qt turns accessibility on when a reader connects)."""
    return QApplication.instance() is not None and QAccessible.isActive()
