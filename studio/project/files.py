"""Opening project files safely: look before touching, so a wrong file is refused and left as it was."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path

from studio.project.records import ProjectError
from studio.project.schema import APPLICATION_ID, SCHEMA_VERSION, SQLITE_MAGIC

SUFFIX = ".gesture"


def inspect(path: Path) -> int:
    """Check that ``path`` is a project this version can open and return its schema version.

    Reads the file through a read-only connection only, so a foreign, corrupt or newer file is never
    modified. Raises :class:`ProjectError` with a message meant for the person who picked the file.
    """
    name = path.name
    if not path.exists():
        raise ProjectError(f"'{path}' does not exist.")
    if path.is_dir():
        raise ProjectError(f"'{path}' is a folder, not a project file.")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise ProjectError(f"'{name}' cannot be read: {exc.strerror or exc}.") from None
    if not head:
        raise ProjectError(f"'{name}' is empty, so it is not a gesture project.")
    if head != SQLITE_MAGIC:
        raise ProjectError(f"'{name}' is not a gesture project (it is not an SQLite database at all).")
    sides = [Path(str(path) + extra) for extra in ("-wal", "-shm")]
    already = [side.exists() for side in sides]
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise ProjectError(f"'{name}' cannot be opened: {exc}.") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise ProjectError(
                f"'{name}' is an SQLite database made by another program, not a gesture project."
            )
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"'{name}' was saved by a newer version of the studio (file format {version}; this "
                f"version reads up to {SCHEMA_VERSION}). Update the studio to open it."
            )
        if version < 1:
            raise ProjectError(f"'{name}' is an unfinished project file (format version {version}).")
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            detail = problems[0].splitlines()[-1]
            raise ProjectError(
                f"'{name}' is damaged and cannot be opened safely ({detail}). "
                "The file was left as it is; a backup copy may still open."
            )
    except sqlite3.DatabaseError as exc:
        raise ProjectError(f"'{name}' is damaged or not a gesture project ({exc}). It was left as it is.") from None
    finally:
        conn.close()
        _remove_empty_log(sides, already)
    return version


def _remove_empty_log(sides: list[Path], already: list[bool]) -> None:
    # A read-only connection may create an empty -wal/-shm pair it cannot remove; leave no litter.
    wal, shm = sides
    if not already[0] and wal.exists() and wal.stat().st_size == 0:
        wal.unlink(missing_ok=True)
        if not already[1]:
            shm.unlink(missing_ok=True)


def connect(path: Path) -> sqlite3.Connection:
    """A read-write connection with the settings every project connection uses."""
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5.0)
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        # FULL: a committed take survives a power cut too, not only a killed process; takes are rare.
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        raise ProjectError(f"'{path.name}' cannot be opened for writing: {exc}.") from None
    if str(mode).lower() != "wal":
        conn.close()
        raise ProjectError(f"'{path.name}' cannot be used: the folder does not allow a write-ahead log.")
    return conn


def refuse_stale_log(path: Path) -> None:
    """Refuse to put a new file where an old one's write-ahead log still lies: SQLite would replay it."""
    side = Path(str(path) + "-wal")
    if side.exists() and side.stat().st_size > 0:
        raise ProjectError(
            f"'{path.name}' seems to be open in another window (found {side.name}); "
            "close it there or choose another name."
        )


def replace_file(tmp: Path, path: Path) -> None:
    """Move ``tmp`` over ``path`` atomically, first removing ``path``'s stale SQLite -wal/-shm files."""
    for extra in ("-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)
    os.replace(tmp, path)


_held: dict[str, list] = {}  # lock path -> [open lock file, openers in this process]
_held_guard = threading.Lock()


def lock_path(path: Path) -> Path:
    """The advisory lock file beside a project (``.name.lock``)."""
    return path.with_name(f".{path.name}.lock")


def acquire(path: Path) -> Path:
    """Hold the project's advisory lock; ProjectError when another process has it open.

    Opening the same file twice in one process shares the lock (the GUI and a worker may both hold it).
    """
    key = str(lock_path(path).resolve())
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            return Path(key)
        try:
            handle = open(key, "a+b")
        except OSError:
            return Path(key)  # a read-only folder: no lock to hold, nothing to warn about
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ProjectError(f"'{path.name}' is open in another studio window or program; close it there "
                               "first so that neither loses changes.") from None
        _held[key] = [handle, 1]
        return Path(key)


def release(key: Path) -> None:
    """Give back a lock taken with :func:`acquire`."""
    with _held_guard:
        entry = _held.get(str(key))
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del _held[str(key)]
            entry[0].close()
