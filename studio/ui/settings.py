"""The studio's user settings: one typed dataclass, stored with QSettings in an INI file.

Every field carries a title, a description and bounds in its metadata, so a preferences dialog can be
built from the dataclass and no settings key is spelled as a loose string elsewhere. The file lives in
``$STUDIO_CONFIG_DIR`` if set (tests point it at a temporary folder), else the XDG config folder.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

APP_DIR_NAME = "unimotion-studio"


def _setting(default: Any, title: str, description: str, lo: float | None = None, hi: float | None = None,
             factory: Any = None, choices: tuple[str, ...] | None = None) -> Any:
    meta = {"title": title, "description": description, "min": lo, "max": hi, "choices": choices}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class AppSettings:
    """What the studio remembers between runs."""

    last_device: str = _setting("simulator", "Last device", "Device URI connected at start when none is given.")
    time_window_s: float = _setting(10.0, "Plot time window", "Seconds of signal shown in the live plot.", 1.0, 60.0)
    plot_fps: int = _setting(60, "Plot refresh rate", "Live plot redraws per second.", 10, 120)
    countdown_s: float = _setting(3.0, "Recording countdown", "Seconds counted down before a take starts.", 0.0, 10.0)
    take_seconds: float = _setting(2.5, "Take length", "Fixed recording length of one take, in seconds.", 0.5, 20.0)
    stop_on_rest: bool = _setting(True, "Stop when movement ends", "End a take when the movement has ended.")
    beep: bool = _setting(True, "Countdown sound", "Beep on each countdown step.")
    sensitivity: float = _setting(0.5, "Sensitivity", "Higher triggers more easily (more false triggers).", 0.0, 1.0)
    calibration_s: float = _setting(60.0, "Calibration length", "Seconds of ordinary movement recorded to calibrate.", 5.0, 600.0)
    high_contrast: bool = _setting(False, "High-contrast theme", "Black and white with yellow focus, for low vision.")
    font_scale: float = _setting(1.0, "Text size", "Scale of all text (1.0 = system size).", 0.8, 2.5)
    audio_feedback: str = _setting("auto", "Audio feedback",
                                   "Sounds for countdown, start/stop and recognised gestures: 'auto' turns them on "
                                   "when a screen reader is running.", choices=("auto", "on", "off"))
    speak_names: bool = _setting(True, "Speak gesture names", "Say the recognised gesture's name (else play its sound).")
    last_project: str = _setting("", "Last project", "Project file opened at start when none is given.")
    recent_projects: list[str] = _setting(None, "Recent projects", "Most recent first.", factory=list)

    @classmethod
    def field_info(cls) -> dict[str, dict[str, Any]]:
        """Title, description and bounds of every field (for a preferences dialog)."""
        return {f.name: dict(f.metadata) for f in fields(cls)}

    def clamped(self) -> "AppSettings":
        """A copy with numbers forced into their bounds (a hand-edited INI file must not break the app)."""
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            lo, hi = f.metadata.get("min"), f.metadata.get("max")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if lo is not None:
                    value = max(lo, value)
                if hi is not None:
                    value = min(hi, value)
                value = type(getattr(self, f.name))(value)
            choices = f.metadata.get("choices")
            if choices and value not in choices:
                value = f.default
            values[f.name] = value
        return AppSettings(**values)

    def remember_project(self, path: str, keep: int = 8) -> None:
        """Put ``path`` first in the recent list and make it the project opened next time."""
        path = str(path)
        self.recent_projects = [path] + [p for p in self.recent_projects if p != path][: keep - 1]
        self.last_project = path


def config_dir() -> Path:
    """Where settings live: ``$STUDIO_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/unimotion-studio``."""
    explicit = os.environ.get("STUDIO_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_DIR_NAME


def _coerce(value: Any, default: Any) -> Any:
    """INI files store text: turn it back into the type of the field's default."""
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if isinstance(default, (int, float)):
        return type(default)(float(value))
    if isinstance(default, list):
        if value in (None, ""):
            return []
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    return str(value)


class SettingsStore:
    """Reads and writes :class:`AppSettings` and the window layout in ``<dir>/studio.ini``."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory) if directory is not None else config_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "studio.ini"
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def load(self) -> AppSettings:
        values = {}
        for f in fields(AppSettings):
            default = f.default if f.default is not MISSING else f.default_factory()
            raw = self._qs.value(f"settings/{f.name}", None)
            try:
                values[f.name] = default if raw is None else _coerce(raw, default)
            except (TypeError, ValueError):
                values[f.name] = default
        return AppSettings(**values).clamped()

    def save(self, settings: AppSettings) -> None:
        for f in fields(settings):
            value = getattr(settings, f.name)
            self._qs.setValue(f"settings/{f.name}", list(value) if isinstance(value, list) else value)
        self._qs.sync()

    def window_layout(self) -> tuple[QByteArray | None, QByteArray | None]:
        """Saved (geometry, state) of the main window, or ``None`` for each never saved."""
        geometry = self._qs.value("window/geometry", None)
        state = self._qs.value("window/state", None)
        return (geometry if isinstance(geometry, QByteArray) else None,
                state if isinstance(state, QByteArray) else None)

    def save_window_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        self._qs.setValue("window/geometry", geometry)
        self._qs.setValue("window/state", state)
        self._qs.sync()
