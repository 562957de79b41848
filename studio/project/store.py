"""The project: one SQLite file holding a gesture library, its takes, negatives and settings.

Every change is committed before the method returns (autosave), so a crash or ``kill -9`` loses at most
the change that was in flight. Several changes can be grouped with ``with project.transaction():``.
Deletions return a snapshot (a plain dict) that ``restore_*`` puts back identically, ids included,
which is what the GUI's undo stack stores.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from studio.project import files
from studio.project.records import (
    PALETTE, Gesture, Negative, ProjectError, Take, check_colour, check_number, check_recording, check_trim,
    clean_name, from_blob, name_key, to_blob, to_json,
)
from studio.project.schema import checksum, migrate

_GESTURE_COLS = "id, name, description, colour, enabled, output, position"
_TAKE_COLS = (
    "id, gesture_id, samples, n_samples, n_channels, rate_hz, channels, units, device, user, "
    "recorded_at, trim_start, trim_end, quality, checksum"
)
_EDITABLE = ("name", "description", "colour", "enabled", "output", "position")


class Project:
    """An open project file. Create with :meth:`create` or :meth:`open`; close with :meth:`close`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, held: Path | None = None) -> None:
        self._path = path
        self._conn = conn
        self._held = held
        self._lock = threading.RLock()
        self._depth = 0

    # --- files -------------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, overwrite: bool = False) -> Project:
        """Make a new, empty project at ``path``.

        An existing file is refused unless ``overwrite`` is True (the GUI asked first); it is then
        replaced only once the new file is complete, so a failure leaves the old file in place.
        """
        path = Path(path)
        if path.exists() and not overwrite:
            raise ProjectError(f"'{path.name}' already exists; open it or choose another name.")
        if path.is_dir():
            raise ProjectError(f"'{path}' is a folder, not a project file.")
        if not path.parent.is_dir():
            raise ProjectError(f"The folder '{path.parent}' does not exist.")
        files.refuse_stale_log(path)
        tmp = path.with_name(f".{path.name}.creating")
        for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            stale.unlink(missing_ok=True)
        try:
            conn = files.connect(tmp)
            try:
                migrate(conn, 0)
                conn.execute("PRAGMA journal_mode = DELETE")  # fold everything into the one file
            finally:
                conn.close()
            files.replace_file(tmp, path)
        except (sqlite3.Error, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise ProjectError(f"'{path.name}' could not be created: {exc}.") from None
        held = files.acquire(path)
        return cls(path, files.connect(path), held)

    @classmethod
    def open(cls, path: str | Path) -> Project:
        """Open an existing project, upgrading an older file format in one transaction.

        A missing, foreign, corrupt or newer file raises :class:`ProjectError` and is not modified.
        """
        path = Path(path)
        version = files.inspect(path)
        held = files.acquire(path)
        try:
            conn = files.connect(path)
        except BaseException:
            files.release(held)
            raise
        try:
            migrate(conn, version)
        except sqlite3.Error as exc:
            conn.close()
            files.release(held)
            raise ProjectError(f"'{path.name}' could not be upgraded to this version: {exc}.") from None
        return cls(path, conn, held)

    @property
    def path(self) -> Path:
        """The file this project reads and writes (changes after :meth:`save_as`)."""
        return self._path

    def close(self) -> None:
        """Close the file (idempotent). The write-ahead log is folded back into the file."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._held is not None:
                files.release(self._held)
                self._held = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save_as(self, path: str | Path) -> None:
        """Copy the project to ``path`` (SQLite online backup) and continue working in the copy."""
        path = Path(path)
        if path.resolve() == self._path.resolve():
            return
        if not path.parent.is_dir():
            raise ProjectError(f"The folder '{path.parent}' does not exist.")
        files.refuse_stale_log(path)
        tmp = path.with_name(f".{path.name}.saving")
        with self._lock:
            conn = self._db()
            held = files.acquire(path)
            try:
                tmp.unlink(missing_ok=True)
                target = sqlite3.connect(str(tmp))
                try:
                    conn.backup(target)
                finally:
                    target.close()
                files.replace_file(tmp, path)
            except (sqlite3.Error, OSError) as exc:
                tmp.unlink(missing_ok=True)
                files.release(held)
                raise ProjectError(f"Could not save as '{path.name}': {exc}.") from None
            new_conn = files.connect(path)
            conn.close()
            if self._held is not None:
                files.release(self._held)
            self._conn, self._path, self._held = new_conn, path, held

    def integrity_check(self) -> list[str]:
        """SQLite's full integrity check: ``['ok']`` for a healthy file."""
        with self._lock:
            return [row[0] for row in self._db().execute("PRAGMA integrity_check")]

    # --- transactions ------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group changes: all are committed together at the end of the outermost block, or none."""
        with self._lock:
            conn = self._db()
            if self._depth == 0:
                conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                conn.execute("COMMIT")

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ProjectError("The project is closed.")
        return self._conn

    def _write(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        with self.transaction():
            try:
                return self._db().execute(sql, params)
            except sqlite3.IntegrityError as exc:
                raise ProjectError(f"The change was refused: {exc}.") from None

    # --- gestures ----------------------------------------------------------------------------------
    def add_gesture(self, name: str, description: str = "", colour: str | None = None,
                    enabled: bool = True, output: dict | None = None) -> Gesture:
        """Add a gesture; an empty name or one already used (ignoring case) raises ProjectError."""
        name = clean_name(name)
        if output is not None and not isinstance(output, dict):
            raise ProjectError("A gesture's output mapping must be a dict.")
        with self.transaction():
            self._check_free(name)
            count, last = self._db().execute("SELECT COUNT(*), COALESCE(MAX(position), 0) FROM gestures").fetchone()
            colour = check_colour(colour if colour is not None else PALETTE[count % len(PALETTE)])
            cur = self._write(
                "INSERT INTO gestures (name, name_key, description, colour, enabled, output, position, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, name_key(name), str(description), colour, int(bool(enabled)),
                 to_json(output or {}, "The output mapping"), last + 1, time.time()),
            )
            return self.gesture(cur.lastrowid)

    def _check_free(self, name: str, except_id: int | None = None) -> None:
        row = self._db().execute("SELECT id, name FROM gestures WHERE name_key = ?", (name_key(name),)).fetchone()
        if row is not None and row[0] != except_id:
            raise ProjectError(f"A gesture called '{row[1]}' already exists; choose another name.")

    def gestures(self) -> list[Gesture]:
        """All gestures in library order."""
        with self._lock:
            rows = self._db().execute(f"SELECT {_GESTURE_COLS} FROM gestures ORDER BY position, id").fetchall()
        return [_gesture(row) for row in rows]

    def gesture(self, gesture_id: int) -> Gesture:
        """One gesture by id; ProjectError if there is none."""
        with self._lock:
            row = self._db().execute(f"SELECT {_GESTURE_COLS} FROM gestures WHERE id = ?", (gesture_id,)).fetchone()
        if row is None:
            raise ProjectError(f"There is no gesture with id {gesture_id}.")
        return _gesture(row)

    def gesture_by_name(self, name: str) -> Gesture | None:
        """The gesture with this name (compared ignoring case and spacing), or None."""
        with self._lock:
            row = self._db().execute(
                f"SELECT {_GESTURE_COLS} FROM gestures WHERE name_key = ?", (name_key(name),)).fetchone()
        return None if row is None else _gesture(row)

    def rename_gesture(self, gesture_id: int, name: str) -> Gesture:
        """Rename; an empty name or one used by another gesture raises ProjectError."""
        return self.update_gesture(gesture_id, name=name)

    def update_gesture(self, gesture_id: int, **fields: object) -> Gesture:
        """Change any of name, description, colour, enabled, output (dict), position."""
        unknown = set(fields) - set(_EDITABLE)
        if unknown:
            raise ProjectError(f"Unknown gesture field(s): {', '.join(sorted(unknown))}.")
        with self.transaction():
            self.gesture(gesture_id)
            sets: dict[str, object] = {}
            if "name" in fields:
                name = clean_name(fields["name"])
                self._check_free(name, except_id=gesture_id)
                sets.update(name=name, name_key=name_key(name))
            if "description" in fields:
                sets["description"] = str(fields["description"])
            if "colour" in fields:
                sets["colour"] = check_colour(fields["colour"])
            if "enabled" in fields:
                sets["enabled"] = int(bool(fields["enabled"]))
            if "output" in fields:
                if not isinstance(fields["output"], dict):
                    raise ProjectError("A gesture's output mapping must be a dict.")
                sets["output"] = to_json(fields["output"], "The output mapping")
            if "position" in fields:
                sets["position"] = int(fields["position"])
            if sets:
                assignments = ", ".join(f"{key} = ?" for key in sets)
                self._write(f"UPDATE gestures SET {assignments} WHERE id = ?", (*sets.values(), gesture_id))
            return self.gesture(gesture_id)

    def reorder_gestures(self, gesture_ids: Sequence[int]) -> list[Gesture]:
        """Put the library in the order given (every gesture id exactly once)."""
        with self.transaction():
            current = sorted(g.id for g in self.gestures())
            if sorted(gesture_ids) != current:
                raise ProjectError("Reordering must list every gesture exactly once.")
            for position, gesture_id in enumerate(gesture_ids, start=1):
                self._write("UPDATE gestures SET position = ? WHERE id = ?", (position, gesture_id))
            return self.gestures()

    def duplicate_gesture(self, gesture_id: int, new_name: str, with_takes: bool = True) -> Gesture:
        """A copy of a gesture under a new name, with copies of its takes unless ``with_takes`` is False."""
        with self.transaction():
            source = self.gesture(gesture_id)
            copy = self.add_gesture(new_name, source.description, source.colour, source.enabled, source.output)
            if with_takes:
                self._db().execute(
                    f"INSERT INTO takes ({_TAKE_COLS.replace('id, gesture_id', 'gesture_id')}) "
                    f"SELECT ?, {_TAKE_COLS.replace('id, gesture_id, ', '')} FROM takes WHERE gesture_id = ? "
                    "ORDER BY id", (copy.id, gesture_id))
            return copy

    def delete_gesture(self, gesture_id: int) -> dict:
        """Delete a gesture and its takes; returns the snapshot :meth:`restore_gesture` takes."""
        with self.transaction():
            rows = self._dict_rows("SELECT * FROM gestures WHERE id = ?", (gesture_id,))
            takes = self._dict_rows("SELECT * FROM takes WHERE gesture_id = ? ORDER BY id", (gesture_id,))
            if not rows:
                raise ProjectError(f"There is no gesture with id {gesture_id}.")
            self._write("DELETE FROM gestures WHERE id = ?", (gesture_id,))
        return {"kind": "gesture", "gesture": rows[0], "takes": takes}

    def restore_gesture(self, snapshot: dict) -> Gesture:
        """Undo :meth:`delete_gesture`: the gesture and its takes come back with the same ids."""
        if snapshot.get("kind") != "gesture":
            raise ProjectError("This is not a gesture snapshot.")
        row = snapshot["gesture"]
        with self.transaction():
            self._check_free(row["name"])
            self._insert_row("gestures", row)
            for take in snapshot["takes"]:
                self._insert_row("takes", take)
            return self.gesture(row["id"])

    def _dict_rows(self, sql: str, params: tuple) -> list[dict]:
        """Rows of a query as column -> value dicts (the snapshots that undo restores)."""
        conn = self._db()
        conn.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in conn.execute(sql, params).fetchall()]
        finally:
            conn.row_factory = None

    def _insert_row(self, table: str, row: dict) -> None:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self._write(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(row.values()))

    # --- takes -------------------------------------------------------------------------------------
    def add_take(self, gesture_id: int, samples: np.ndarray, rate_hz: float, channels: Sequence[str],
                 units: Sequence[str], device: str = "", user: str = "",
                 trim: tuple[int | None, int | None] | None = None, quality: float | None = None,
                 recorded_at: float | None = None) -> Take:
        """Store a take; it is committed to disk before this returns."""
        array, rate, channels, units = check_recording(samples, rate_hz, channels, units)
        if trim is not None and (not isinstance(trim, (tuple, list)) or len(trim) != 2):
            raise ProjectError(f"Trim marks must be a (start, end) pair, got {trim!r}.")
        start, end = check_trim(*(trim or (None, None)), len(array))
        quality = None if quality is None else check_number(quality, "A take's quality")
        recorded_at = None if recorded_at is None else check_number(recorded_at, "A take's recording time")
        with self.transaction():
            self.gesture(gesture_id)
            cur = self._write(
                f"INSERT INTO takes ({_TAKE_COLS.replace('id, ', '', 1)}) VALUES ({', '.join('?' * 14)})",
                (gesture_id, blob := to_blob(array), array.shape[0], array.shape[1], rate, json.dumps(channels),
                 json.dumps(units), str(device), str(user), time.time() if recorded_at is None else float(recorded_at),
                 start, end, None if quality is None else float(quality), checksum(blob)),
            )
            return self.take(cur.lastrowid)

    def takes(self, gesture_id: int | None = None) -> list[Take]:
        """All takes, or those of one gesture, in recording order."""
        with self._lock:
            if gesture_id is None:
                rows = self._db().execute(f"SELECT {_TAKE_COLS} FROM takes ORDER BY id").fetchall()
            else:
                rows = self._db().execute(
                    f"SELECT {_TAKE_COLS} FROM takes WHERE gesture_id = ? ORDER BY id", (gesture_id,)).fetchall()
        return [self._checked(row) for row in rows]

    def take(self, take_id: int) -> Take:
        """One take by id; ProjectError if there is none."""
        with self._lock:
            row = self._db().execute(f"SELECT {_TAKE_COLS} FROM takes WHERE id = ?", (take_id,)).fetchone()
        if row is None:
            raise ProjectError(f"There is no take with id {take_id}.")
        return self._checked(row)

    def _checked(self, row: tuple) -> Take:
        if row[14] is not None and checksum(row[2]) != row[14]:
            named = self._db().execute("SELECT name FROM gestures WHERE id = ?", (row[1],)).fetchone()
            raise ProjectError(f"Take {row[0]} of gesture '{named[0] if named else row[1]}' is damaged (its samples "
                               "no longer match their checksum); delete it or restore the project from a backup.")
        return _take(row)

    def take_counts(self) -> dict[int, int]:
        """Number of takes per gesture id (gestures without takes are absent)."""
        with self._lock:
            rows = self._db().execute("SELECT gesture_id, COUNT(*) FROM takes GROUP BY gesture_id").fetchall()
        return dict(rows)

    def delete_take(self, take_id: int) -> dict:
        """Delete a take; returns the snapshot :meth:`restore_take` takes."""
        with self.transaction():
            rows = self._dict_rows("SELECT * FROM takes WHERE id = ?", (take_id,))
            if not rows:
                raise ProjectError(f"There is no take with id {take_id}.")
            self._write("DELETE FROM takes WHERE id = ?", (take_id,))
        return {"kind": "take", "take": rows[0]}

    def restore_take(self, snapshot: dict) -> Take:
        """Undo :meth:`delete_take` (the take's gesture must exist)."""
        if snapshot.get("kind") != "take":
            raise ProjectError("This is not a take snapshot.")
        row = snapshot["take"]
        with self.transaction():
            self.gesture(row["gesture_id"])
            self._insert_row("takes", row)
            return self.take(row["id"])

    def relabel_take(self, take_id: int, gesture_id: int) -> Take:
        """Move a take to another gesture."""
        with self.transaction():
            self.take(take_id)
            self.gesture(gesture_id)
            self._write("UPDATE takes SET gesture_id = ? WHERE id = ?", (gesture_id, take_id))
            return self.take(take_id)

    def set_trim(self, take_id: int, start: int | None, end: int | None) -> Take:
        """Set the trim marks (sample indices, end exclusive); (None, None) removes them."""
        with self.transaction():
            start, end = check_trim(start, end, len(self.take(take_id).samples))
            self._write("UPDATE takes SET trim_start = ?, trim_end = ? WHERE id = ?", (start, end, take_id))
            return self.take(take_id)

    def set_quality(self, take_id: int, quality: float | None) -> Take:
        """Store the take's consistency score (None = not computed)."""
        with self.transaction():
            self.take(take_id)
            value = None if quality is None else float(quality)
            self._write("UPDATE takes SET quality = ? WHERE id = ?", (value, take_id))
            return self.take(take_id)

    # --- negatives ---------------------------------------------------------------------------------
    def add_negative(self, samples: np.ndarray, rate_hz: float, channels: Sequence[str], units: Sequence[str],
                     device: str = "", recorded_at: float | None = None) -> Negative:
        """Store a recording of ordinary, non-gesture movement (committed immediately)."""
        array, rate, channels, units = check_recording(samples, rate_hz, channels, units)
        cur = self._write(
            "INSERT INTO negatives (samples, n_samples, n_channels, rate_hz, channels, units, device, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (to_blob(array), array.shape[0], array.shape[1], rate, json.dumps(channels), json.dumps(units),
             str(device), time.time() if recorded_at is None else float(recorded_at)),
        )
        return self.negatives(cur.lastrowid)[0]

    def negatives(self, negative_id: int | None = None) -> list[Negative]:
        """All negative recordings in order, or the one with ``negative_id`` (empty list if absent)."""
        sql = "SELECT id, samples, n_samples, n_channels, rate_hz, channels, units, device, recorded_at FROM negatives"
        with self._lock:
            if negative_id is None:
                rows = self._db().execute(sql + " ORDER BY id").fetchall()
            else:
                rows = self._db().execute(sql + " WHERE id = ?", (negative_id,)).fetchall()
        return [Negative(r[0], from_blob(r[1], r[2], r[3]), r[4], tuple(json.loads(r[5])), tuple(json.loads(r[6])),
                         r[7], r[8]) for r in rows]

    def delete_negative(self, negative_id: int) -> None:
        """Delete a negative recording (no snapshot: negatives are re-recorded, not edited)."""
        self._write("DELETE FROM negatives WHERE id = ?", (negative_id,))

    # --- settings ----------------------------------------------------------------------------------
    def get_setting(self, key: str, default: object = None) -> object:
        """The JSON value stored under ``key``, or ``default``."""
        with self._lock:
            row = self._db().execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_setting(self, key: str, value: object) -> None:
        """Store a JSON-serialisable value under ``key`` (committed immediately)."""
        self._write("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (str(key), to_json(value, f"The setting '{key}'")))

    def settings(self) -> dict[str, object]:
        """Every stored setting."""
        with self._lock:
            rows = self._db().execute("SELECT key, value FROM settings ORDER BY key").fetchall()
        return {key: json.loads(value) for key, value in rows}


def _gesture(row: tuple) -> Gesture:
    return Gesture(row[0], row[1], row[2], row[3], bool(row[4]), json.loads(row[5]), row[6])


def _take(row: tuple) -> Take:
    return Take(
        id=row[0], gesture_id=row[1], samples=from_blob(row[2], row[3], row[4]), rate_hz=row[5],
        channels=tuple(json.loads(row[6])), units=tuple(json.loads(row[7])), device=row[8], user=row[9],
        recorded_at=row[10], trim_start=row[11], trim_end=row[12], quality=row[13],
    )
