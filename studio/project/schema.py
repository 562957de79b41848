"""Schema of the project file and the migrations that bring an older file up to date.

A project is one SQLite database marked with ``PRAGMA application_id`` (so a foreign SQLite file is
recognised as such) and ``PRAGMA user_version`` (the schema version). ``MIGRATIONS[i]`` upgrades a file
from version ``i`` to ``i + 1``; a new file is built by running all of them from version 0, so the
upgrade path is exercised every time a project is created.
"""

from __future__ import annotations

import sqlite3
import zlib

APPLICATION_ID = 0x554D5354  # "UMST": UniMotion STudio
SQLITE_MAGIC = b"SQLite format 3\x00"

_V1 = """
CREATE TABLE gestures (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    colour TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);
CREATE TABLE takes (
    id INTEGER PRIMARY KEY,
    gesture_id INTEGER NOT NULL REFERENCES gestures(id) ON DELETE CASCADE,
    samples BLOB NOT NULL,
    n_samples INTEGER NOT NULL,
    n_channels INTEGER NOT NULL,
    rate_hz REAL NOT NULL,
    channels TEXT NOT NULL,
    units TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    user TEXT NOT NULL DEFAULT '',
    recorded_at REAL NOT NULL,
    trim_start INTEGER,
    trim_end INTEGER
);
CREATE INDEX takes_by_gesture ON takes(gesture_id);
CREATE TABLE negatives (
    id INTEGER PRIMARY KEY,
    samples BLOB NOT NULL,
    n_samples INTEGER NOT NULL,
    n_channels INTEGER NOT NULL,
    rate_hz REAL NOT NULL,
    channels TEXT NOT NULL,
    units TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    recorded_at REAL NOT NULL
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Version 2: per-gesture output mapping (OSC address, key combo...), library order, take quality.
_V2 = """
ALTER TABLE gestures ADD COLUMN output TEXT NOT NULL DEFAULT '{}';
ALTER TABLE gestures ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
UPDATE gestures SET position = id;
ALTER TABLE takes ADD COLUMN quality REAL;
"""

# Version 3: a CRC-32 of each take's samples, so stray bytes in the file are noticed when the take is read.
_V3 = """
ALTER TABLE takes ADD COLUMN checksum INTEGER;
UPDATE takes SET checksum = take_checksum(samples);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)


def checksum(samples: bytes) -> int:
    """The checksum stored beside a take's sample bytes."""
    return zlib.crc32(samples)


def migrate(conn: sqlite3.Connection, from_version: int) -> None:
    """Run every migration after ``from_version`` inside one transaction (SQLite DDL is transactional).

    The connection must be in autocommit mode (``isolation_level=None``); on any error the file is left
    at its old version.
    """
    if from_version >= SCHEMA_VERSION:
        return
    conn.create_function("take_checksum", 1, checksum, deterministic=True)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for script in MIGRATIONS[from_version:]:
            for statement in _statements(script):
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    # executescript() would commit our open transaction first, so run statements one by one.
    return [s.strip() for s in script.split(";") if s.strip()]
