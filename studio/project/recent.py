"""The recent-projects list: a small JSON file in the user's config folder (Qt-free)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

APP_DIR = "unimotion-studio"


def config_dir() -> Path:
    """Where the studio keeps per-user settings (not created here); ``$STUDIO_CONFIG_DIR`` wins."""
    explicit = os.environ.get("STUDIO_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / APP_DIR


class RecentProjects:
    """Most-recently-used project paths, newest first, at most ``limit`` of them.

    A missing or unreadable list counts as empty: losing the list must never stop the studio starting.
    """

    def __init__(self, path: str | Path | None = None, limit: int = 10) -> None:
        self.path = Path(path) if path is not None else config_dir() / "recent.json"
        self.limit = limit

    def _load(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [p for p in data if isinstance(p, str)] if isinstance(data, list) else []

    def _save(self, paths: list[str]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(paths[: self.limit], indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only home folder only costs the recent list

    def paths(self, existing_only: bool = True) -> list[Path]:
        """The remembered projects, newest first; by default only those still on disk."""
        paths = [Path(p) for p in self._load()]
        return [p for p in paths if p.is_file()] if existing_only else paths

    def add(self, path: str | Path) -> None:
        """Put ``path`` at the top of the list (moving it if already there)."""
        key = str(Path(path).resolve())
        self._save([key] + [p for p in self._load() if p != key])

    def remove(self, path: str | Path) -> None:
        """Take ``path`` off the list."""
        key = str(Path(path).resolve())
        self._save([p for p in self._load() if p != key])

    def clear(self) -> None:
        """Empty the list."""
        self._save([])
