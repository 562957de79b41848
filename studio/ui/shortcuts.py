"""The keyboard shortcut sheet (Help ▸ Keyboard shortcuts, F1).

Built from the window's real menu actions every time it opens, so the sheet can never disagree with
what the keys do; a few keys that belong to Qt itself (focus movement, menus) are listed after them.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QMenu, QMenuBar, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from studio.ui.a11y import describe

GENERAL_KEYS = (
    ("Move to the next / previous control", "Tab / Shift+Tab"),
    ("Press the focused button, tick the focused box", "Space"),
    ("Next / previous panel tab (when the tabs have focus)", "Ctrl+Tab / Ctrl+Shift+Tab"),
    ("Open a menu", "Alt + the underlined letter (F10 on some desktops)"),
    ("Close a dialog or menu", "Esc"),
)


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action with a shortcut, in menu order."""
    rows: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} ▸ {_plain(action.text())}")
            elif not action.isSeparator():
                keys = ", ".join(text for k in action.shortcuts()
                                 if _typed(text := k.toString(QKeySequence.SequenceFormat.NativeText)))
                if keys:
                    rows.append((path, _plain(action.text()), keys))

    for top in menu_bar.actions():
        if top.menu() is not None:
            walk(top.menu(), _plain(top.text()))
    return rows


def _typed(keys: str) -> bool:
    """Keys on every keyboard: combinations and F-keys, not dedicated "Undo"/"Help" keys."""
    return "+" in keys or re.fullmatch(r"F\d+|Esc|Del|Backspace|Return|Enter", keys) is not None


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


class ShortcutSheet(QDialog):
    """A table of every shortcut: readable by screen readers row by row, closed with Esc."""

    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 560)
        rows = shortcut_rows(menu_bar) + [("General", what, keys) for what, keys in GENERAL_KEYS]
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "Menu"])
        for r, (menu, what, keys) in enumerate(rows):
            for c, text in enumerate((what, keys, menu)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        describe(self.table, "Keyboard shortcuts", "One row per action: its keys and the menu it is in.")
        self.table.setCurrentCell(0, 0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Every action of the studio can be reached from the keyboard:"))
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.rows = rows


def add_action(window: QWidget, menu: QMenu, text: str, slot, keys=None, tip: str = "",  # noqa: ANN001
               checkable: bool = False) -> QAction:
    """A menu action that also works while its menu is closed (added to the window too). ``keys``: one
    key sequence (text or standard key) or a list of them, the first shown in the menu."""
    action = QAction(text, window, checkable=checkable)
    if keys:
        action.setShortcuts(key_sequences(keys))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    if checkable:
        action.toggled.connect(slot)
    else:
        action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    window.addAction(action)
    return action


def key_sequences(keys) -> list[QKeySequence]:  # noqa: ANN001
    """Key sequences from text and standard keys (a standard key gives all its platform bindings;
    one without any binding on this platform gives none)."""
    out: list[QKeySequence] = []
    for k in keys if isinstance(keys, (list, tuple)) else [keys]:
        for seq in QKeySequence.keyBindings(k) if isinstance(k, QKeySequence.StandardKey) else [QKeySequence(k)]:
            if not seq.isEmpty() and seq not in out:
                out.append(seq)
    return out
