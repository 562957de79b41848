"""Sharing gesture sets with other people: a single ``.gestureset.json`` file, and CSV takes.

The gesture-set file is plain JSON that any language can read (no pickle, nothing that runs code)::

    {"format": "unimotion-gesture-set", "version": 1, "exported_at": 1764100000.0,
     "gestures": [{"name": "wave", "description": "...", "colour": "#4e79a7", "enabled": true,
                   "output": {...},
                   "takes": [{"rate_hz": 100.0, "channels": ["acc_x", ...], "units": ["g", ...],
                              "device": "...", "user": "...", "recorded_at": 1764100000.0,
                              "trim": [12, 87] | null, "quality": 0.9 | null,
                              "shape": [T, C], "dtype": "<f4", "data": "<base64 of the raw bytes>"}]}],
     "negatives": [{"rate_hz": ..., "channels": ..., "units": ..., "device": ..., "recorded_at": ...,
                    "shape": [T, C], "dtype": "<f4", "data": "..."}]}

``data`` is the row-major little-endian float32 array, so ``numpy.frombuffer(base64.b64decode(data),
"<f4").reshape(shape)`` gives the samples back bit for bit.
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
import os
import re
import time
from pathlib import Path

import numpy as np

from studio.project.records import ProjectError, clean_name
from studio.project.store import Project
from studio.signals.stream import CANONICAL_CHANNELS

MIN_RATE_HZ, MAX_RATE_HZ = 1.0, 10_000.0
MAX_TAKE_S = 10 * 60.0
MAX_SET_BYTES = 512 * 1024 * 1024
_ALIASES = {**{c.replace("_", ""): c for c in CANONICAL_CHANNELS},
            **dict(zip(("ax", "ay", "az", "gx", "gy", "gz"), CANONICAL_CHANNELS)),
            **dict(zip(("accx", "accy", "accz", "gyrox", "gyroy", "gyroz"), CANONICAL_CHANNELS))}

FORMAT = "unimotion-gesture-set"
FORMAT_VERSION = 1
SET_SUFFIX = ".gestureset.json"


def _array(samples: np.ndarray) -> dict:
    data = np.ascontiguousarray(samples, dtype="<f4")
    return {"shape": list(data.shape), "dtype": "<f4", "data": base64.b64encode(data.tobytes()).decode("ascii")}


def export_set(project: Project, path: str | Path, gesture_ids: list[int] | None = None,
               include_negatives: bool = True) -> Path:
    """Write the project's gestures (all, or ``gesture_ids``) with their takes to one JSON file."""
    path = Path(path)
    chosen = [g for g in project.gestures() if gesture_ids is None or g.id in gesture_ids]
    gestures = []
    for g in chosen:
        takes = [{
            "rate_hz": t.rate_hz, "channels": list(t.channels), "units": list(t.units), "device": t.device,
            "user": t.user, "recorded_at": t.recorded_at, "quality": t.quality,
            "trim": None if t.trim_start is None else [t.trim_start, t.trim_end], **_array(t.samples),
        } for t in project.takes(g.id)]
        gestures.append({"name": g.name, "description": g.description, "colour": g.colour,
                         "enabled": g.enabled, "output": g.output, "takes": takes})
    negatives = [{"rate_hz": n.rate_hz, "channels": list(n.channels), "units": list(n.units),
                  "device": n.device, "recorded_at": n.recorded_at, **_array(n.samples)}
                 for n in (project.negatives() if include_negatives else [])]
    document = {"format": FORMAT, "version": FORMAT_VERSION, "exported_at": time.time(),
                "gestures": gestures, "negatives": negatives}
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(document, indent=1, allow_nan=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ProjectError(f"Could not write '{path.name}': {exc.strerror or exc}.") from None
    return path


def _decode(entry: dict, where: str) -> np.ndarray:
    try:
        if entry["dtype"] != "<f4":
            raise ProjectError(f"{where}: unsupported array type {entry['dtype']!r} (expected '<f4').")
        shape = [int(n) for n in entry["shape"]]
        raw = base64.b64decode(entry["data"], validate=True)
        return np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ProjectError(f"{where}: the samples are unreadable ({exc}).") from None


def _check_take(samples: np.ndarray, entry: dict, where: str) -> tuple[float, list[str]]:
    """Refuse a take recognition could not use; returns (rate, canonical channel names)."""
    try:
        rate = float(entry["rate_hz"])
    except (TypeError, ValueError):
        raise ProjectError(f"{where}: the sample rate {entry['rate_hz']!r} is not a number.") from None
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise ProjectError(f"{where}: the sample rate {rate:g} Hz is outside {MIN_RATE_HZ:g}–{MAX_RATE_HZ:g} Hz.")
    if samples.ndim != 2 or len(samples) / rate > MAX_TAKE_S:
        raise ProjectError(f"{where}: the take is too long ({len(samples) / rate:.0f} s; at most "
                           f"{MAX_TAKE_S:.0f} s).")
    if not np.isfinite(samples).all():
        raise ProjectError(f"{where}: the samples are not all finite numbers (NaN or infinite values).")
    names = [_ALIASES.get(str(c).strip().lower().replace("_", "").replace("-", ""))
             for c in entry["channels"]]
    if None in names or len(set(names)) != len(names):
        raise ProjectError(f"{where}: unknown channel names {list(entry['channels'])!r} "
                           f"(expected {', '.join(CANONICAL_CHANNELS)}).")
    return rate, names


def import_set(path: str | Path, into: Project, on_conflict: str = "rename") -> list:
    """Add the gestures of a gesture-set file to ``into``; returns the new gestures.

    A name already in the project is renamed ``"name (2)"`` (``on_conflict="rename"``), skipped
    (``"skip"``) or refused (``"error"``). The import is one transaction: a bad file adds nothing.
    """
    if on_conflict not in ("rename", "skip", "error"):
        raise ValueError(f"on_conflict must be rename, skip or error, not {on_conflict!r}")
    path = Path(path)
    try:
        if path.stat().st_size > MAX_SET_BYTES:
            raise ProjectError(f"'{path.name}' is larger than {MAX_SET_BYTES >> 20} MiB; it was not imported.")
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except RecursionError:
        raise ProjectError(f"'{path.name}' is not a gesture set (its JSON is nested too deeply).") from None
    except OSError as exc:
        raise ProjectError(f"'{path.name}' cannot be read: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ProjectError(f"'{path.name}' is not a gesture set (it is not JSON text).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ProjectError(f"'{path.name}' is JSON but not a gesture set.")
    if not isinstance(document.get("version"), int) or document["version"] > FORMAT_VERSION:
        raise ProjectError(f"'{path.name}' was written by a newer version of the studio; update to import it.")
    added = []
    try:
        with into.transaction():
            for i, g in enumerate(document.get("gestures", [])):
                name = _free_name(into, clean_name(g["name"]), on_conflict)
                if name is None:
                    continue
                gesture = into.add_gesture(name, g.get("description", ""), g.get("colour"),
                                           bool(g.get("enabled", True)), g.get("output") or {})
                for j, t in enumerate(g.get("takes", [])):
                    where = f"gesture '{name}' take {j + 1}"
                    samples = _decode(t, where)
                    rate, channels = _check_take(samples, t, where)
                    into.add_take(gesture.id, samples, rate, channels, t["units"],
                                  t.get("device", ""), t.get("user", ""), trim=t.get("trim"),
                                  quality=t.get("quality"), recorded_at=t.get("recorded_at"))
                added.append(into.gesture(gesture.id))
            for k, n in enumerate(document.get("negatives", [])):
                samples = _decode(n, f"negative {k + 1}")
                rate, channels = _check_take(samples, n, f"negative {k + 1}")
                into.add_negative(samples, rate, channels, n["units"],
                                  n.get("device", ""), recorded_at=n.get("recorded_at"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProjectError(f"'{path.name}' is an incomplete gesture set (missing or wrong {exc}); nothing was imported.") from None
    return added


def _free_name(project: Project, name: str, on_conflict: str) -> str | None:
    if project.gesture_by_name(name) is None:
        return name
    if on_conflict == "skip":
        return None
    if on_conflict == "error":
        raise ProjectError(f"A gesture called '{name}' already exists; nothing was imported.")
    n = 2
    while project.gesture_by_name(f"{name} ({n})") is not None:
        n += 1
    return f"{name} ({n})"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "gesture"


def export_takes_csv(project: Project, folder: str | Path) -> list[Path]:
    """Write one CSV per take (``t`` in seconds, then one column per channel) plus ``takes.csv`` index.

    Returns the paths written, index last. Trim marks are listed in the index; the take files hold
    every sample, so nothing is lost.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = {g.id: g.name for g in project.gestures()}
    written, index_rows = [], []
    for take in project.takes():
        gesture = names[take.gesture_id]
        file = folder / f"{_safe(gesture)}_take{take.id}.csv"
        t = np.arange(len(take.samples)) / take.rate_hz
        with open(file, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["t", *take.channels])
            for ti, row in zip(t, take.samples):
                writer.writerow([f"{ti:.6f}", *(str(v) for v in row)])
        written.append(file)
        index_rows.append([take.id, gesture, file.name, take.rate_hz, " ".join(take.units), take.device,
                           take.user, take.recorded_at, take.trim_start, take.trim_end, take.quality])
    index = folder / "takes.csv"
    with open(index, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["take_id", "gesture", "file", "rate_hz", "units", "device", "user", "recorded_at",
                         "trim_start", "trim_end", "quality"])
        writer.writerows(index_rows)
    written.append(index)
    return written

