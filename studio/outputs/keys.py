"""Keystroke output: press a key combo per gesture (slides, media keys, accessibility switches).

Off by default: events only become key presses while the output is *armed*, and :meth:`describe` says
so in capitals. Key presses go through a small backend seam; the real one wraps pynput, imported only
when keystrokes are armed, so a machine without a display never loads it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Protocol

from studio.outputs.events import GestureEvent, Output, OutputError

MODIFIERS: dict[str, str] = {
    "ctrl": "ctrl", "control": "ctrl", "alt": "alt", "option": "alt", "shift": "shift",
    "cmd": "cmd", "super": "cmd", "win": "cmd", "meta": "cmd",
}
NAMED_KEYS: frozenset[str] = frozenset(
    ["left", "right", "up", "down", "space", "enter", "tab", "esc", "backspace", "delete", "home", "end",
     "page_up", "page_down", "insert", "caps_lock", "media_play_pause", "media_next", "media_previous",
     "media_volume_up", "media_volume_down", "media_volume_mute"] + [f"f{i}" for i in range(1, 21)]
)
ALIASES: dict[str, str] = {
    "return": "enter", "escape": "esc", "del": "delete", "pageup": "page_up", "pgup": "page_up",
    "pagedown": "page_down", "pgdn": "page_down", "plus": "+", "minus": "-", "comma": ",",
    "play": "media_play_pause", "next": "media_next", "previous": "media_previous",
}


@dataclass(frozen=True)
class KeyCombo:
    """Modifiers held (canonical names, in the order given) while ``key`` is pressed."""

    modifiers: tuple[str, ...]
    key: str

    def __str__(self) -> str:
        return "+".join((*self.modifiers, self.key))


def parse_combo(text: str) -> KeyCombo:
    """Parse 'ctrl+alt+right', 'space', 'shift+a', 'f5'; raises OutputError with the reason if invalid."""
    if not isinstance(text, str) or not text.strip():
        raise OutputError("A key combo is empty; write e.g. 'ctrl+alt+right' or 'space'.")
    parts = [p.strip().lower() for p in text.strip().split("+")]
    if any(not p for p in parts):
        raise OutputError(f"'{text}' has an empty part; write 'plus' for the + key.")
    *mods, key = parts
    modifiers: list[str] = []
    for mod in mods:
        if mod not in MODIFIERS:
            raise OutputError(f"'{mod}' in '{text}' is not a modifier (use ctrl, alt, shift or cmd).")
        if MODIFIERS[mod] in modifiers:
            raise OutputError(f"'{text}' names the {MODIFIERS[mod]} modifier twice.")
        modifiers.append(MODIFIERS[mod])
    key = ALIASES.get(key, key)
    if key in MODIFIERS:
        raise OutputError(f"'{text}' has only modifiers; add the key to press, e.g. '{text}+a'.")
    if key not in NAMED_KEYS and not (len(key) == 1 and key.isprintable() and not key.isspace()):
        raise OutputError(f"'{key}' in '{text}' is not a key this studio knows "
                          "(letters, digits, symbols, arrows, f1-f20, space, enter, esc, media keys...).")
    return KeyCombo(tuple(modifiers), key)


class KeyBackend(Protocol):
    """Presses and releases keys by their canonical names ('ctrl', 'right', 'a')."""

    def press(self, key: str) -> None: ...

    def release(self, key: str) -> None: ...


class PynputBackend:
    """The real backend. ``keyboard`` defaults to ``pynput.keyboard``; tests pass a fake module there."""

    def __init__(self, keyboard=None) -> None:
        if keyboard is None:
            keyboard = _import_pynput_keyboard()
        self._keyboard = keyboard
        self._controller = keyboard.Controller()

    def _resolve(self, key: str):
        if len(key) == 1:
            return self._keyboard.KeyCode.from_char(key)
        try:
            return getattr(self._keyboard.Key, key)
        except AttributeError:
            raise OutputError(f"keystrokes: this system has no '{key}' key.") from None

    def press(self, key: str) -> None:
        self._controller.press(self._resolve(key))

    def release(self, key: str) -> None:
        self._controller.release(self._resolve(key))


def _import_pynput_keyboard():
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise OutputError("keystrokes unavailable: no display")
    try:
        from pynput import keyboard
    except Exception as exc:  # pynput raises ImportError subclasses or backend errors when X is missing
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OutputError(f"keystrokes unavailable: {reason}") from None
    return keyboard


class KeystrokeOutput(Output):
    """Press the combo mapped to a gesture, only while :attr:`armed`.

    ``keys`` maps gesture names to combo strings; every combo is validated up front. ``backend`` is a
    :class:`KeyBackend` (default: pynput, created when first armed).
    """

    name = "Keystrokes"

    def __init__(self, keys: dict[str, str] | None = None, armed: bool = False,
                 backend: KeyBackend | None = None) -> None:
        self.combos: dict[str, KeyCombo] = {}
        errors = []
        for gesture, text in (keys or {}).items():
            try:
                self.combos[gesture] = parse_combo(text)
            except OutputError as exc:
                errors.append(f"{gesture}: {exc}")
        if errors:
            raise OutputError("Invalid key combos: " + "; ".join(errors))
        self._backend = backend
        self._armed = False
        if armed:
            self.arm()

    @property
    def armed(self) -> bool:
        """True while recognised gestures become real key presses."""
        return self._armed

    def arm(self) -> None:
        """Start pressing keys; raises OutputError (e.g. 'keystrokes unavailable: no display')."""
        if self._backend is None:
            self._backend = PynputBackend()
        self._armed = True

    def disarm(self) -> None:
        self._armed = False

    def send(self, event: GestureEvent) -> None:
        combo = self.combos.get(event.gesture)
        if not self._armed or combo is None:
            return
        pressed: list[str] = []
        try:
            for key in (*combo.modifiers, combo.key):
                self._backend.press(key)
                pressed.append(key)
        finally:
            # Release in reverse even after a failure, so no modifier stays stuck down.
            for key in reversed(pressed):
                try:
                    self._backend.release(key)
                except Exception:  # the press error (if any) is the one worth reporting
                    pass

    def close(self) -> None:
        self.disarm()

    def describe(self) -> str:
        state = "ARMED" if self._armed else "off (not armed)"
        return f"Keystrokes {state}: {len(self.combos)} combos"
