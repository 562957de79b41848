"""Evaluation sets: the ``DATA.npz`` format, and converters for the real data shipped in packages.

``DATA.npz`` holds ``X`` float32 (n, T, C), shorter series NaN-padded at the end; ``y`` labels
(strings); ``channels`` (names from the canonical six); ``rate_hz`` (0 = unknown); optional
``split`` ('train'/'test'), ``subject`` and ``descriptions`` (a JSON string, label -> text). Values
are in canonical units (acc in g, gyro in deg/s). ``notes`` (free text) records where a set came
from and which assumptions its conversion made.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from studio.signals.stream import CANONICAL_CHANNELS


@dataclass
class EvalSet:
    """One labelled set of motion series, as stored in ``DATA.npz``."""

    X: np.ndarray
    y: np.ndarray
    channels: tuple[str, ...]
    rate_hz: float = 0.0
    split: np.ndarray | None = None
    subject: np.ndarray | None = None
    descriptions: dict[str, str] = field(default_factory=dict)
    notes: str = ""

    def __post_init__(self) -> None:
        self.X = np.asarray(self.X, np.float32)
        if self.X.ndim == 2:
            self.X = self.X[:, :, None]
        if self.X.ndim != 3:
            raise ValueError(f"X must be (n, T, C); got shape {self.X.shape}")
        self.y = np.asarray([str(v) for v in self.y])
        self.channels = tuple(str(c) for c in self.channels)
        n, _, c = self.X.shape
        if len(self.y) != n:
            raise ValueError(f"y has {len(self.y)} labels for {n} series")
        if len(self.channels) != c:
            raise ValueError(f"channels names {len(self.channels)} channels; X has {c}")
        unknown = [ch for ch in self.channels if ch not in CANONICAL_CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel names {unknown}; use names from {list(CANONICAL_CHANNELS)}")
        if self.split is not None:
            self.split = np.asarray([str(v) for v in self.split])
            bad = sorted(set(self.split) - {"train", "test"})
            if len(self.split) != n or bad:
                raise ValueError(f"split must hold one of 'train'/'test' per series (found {bad or len(self.split)})")
        if self.subject is not None:
            self.subject = np.asarray([str(v) for v in self.subject])
            if len(self.subject) != n:
                raise ValueError(f"subject has {len(self.subject)} entries for {n} series")
        if self.rate_hz < 0 or not np.isfinite(self.rate_hz):
            raise ValueError(f"rate_hz must be >= 0 (0 = unknown); got {self.rate_hz}")

    @property
    def labels(self) -> list[str]:
        """The class labels, sorted."""
        return sorted(set(self.y.tolist()))

    def series(self, i: int) -> np.ndarray:
        """Series ``i`` without its NaN padding at the end, (T_i, C)."""
        x = self.X[i]
        finite = np.isfinite(x).any(axis=1)
        last = int(np.nonzero(finite)[0][-1]) + 1 if finite.any() else 0
        return x[:last]

    def text(self, label: str) -> str:
        """The description of ``label`` (the label itself where none is given)."""
        return self.descriptions.get(label, label)


def save_npz(path: str | os.PathLike, data: EvalSet) -> None:
    """Write ``data`` in the ``DATA.npz`` format (no pickles: every field is a plain array)."""
    fields = {
        "X": data.X,
        "y": data.y.astype(str),
        "channels": np.asarray(data.channels, dtype=str),
        "rate_hz": np.float64(data.rate_hz),
        "descriptions": np.asarray(json.dumps(data.descriptions, ensure_ascii=False)),
        "notes": np.asarray(data.notes),
    }
    if data.split is not None:
        fields["split"] = data.split.astype(str)
    if data.subject is not None:
        fields["subject"] = data.subject.astype(str)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **fields)


def _scalar_rate(path: str | os.PathLike, raw: dict) -> float:
    if "rate_hz" not in raw:
        return 0.0
    try:
        return float(raw["rate_hz"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: rate_hz must be one number (Hz, 0 = unknown); got {raw['rate_hz']!r}") from exc


def load_npz(path: str | os.PathLike) -> EvalSet:
    """Read a ``DATA.npz`` file; a clear ``ValueError`` for anything malformed."""
    try:
        with np.load(path, allow_pickle=False) as f:
            raw = {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not a readable npz file ({exc or 'empty file'})") from exc
    missing = [k for k in ("X", "y", "channels") if k not in raw]
    if missing:
        raise ValueError(f"{path}: missing fields {missing} (need X, y, channels; see `studio evaluate --help`)")
    descriptions: dict[str, str] = {}
    if "descriptions" in raw and str(raw["descriptions"]).strip():
        try:
            descriptions = {str(k): str(v) for k, v in json.loads(str(raw["descriptions"])).items()}
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ValueError(f"{path}: descriptions is not a JSON object label -> text ({exc})") from exc
    return EvalSet(
        X=raw["X"],
        y=raw["y"],
        channels=tuple(np.atleast_1d(raw["channels"]).tolist()),
        rate_hz=_scalar_rate(path, raw),
        split=raw.get("split"),
        subject=raw.get("subject"),
        descriptions=descriptions,
        notes=str(raw["notes"]) if "notes" in raw else "",
    )


def pad_series(series: list[np.ndarray], n_channels: int) -> np.ndarray:
    """Stack variable-length (T_i, C) series into (n, T_max, C), NaN-padded at the end."""
    t_max = max((len(s) for s in series), default=0)
    out = np.full((len(series), t_max, n_channels), np.nan, np.float32)
    for i, s in enumerate(series):
        out[i, : len(s)] = s
    return out


def tuning_part(data: EvalSet) -> EvalSet:
    """The set's train part alone, as a set without a split: evaluating on it splits the train part again
    (whole subjects held out where known, else 30 % of each class), so defaults can be tuned and compared
    without ever looking at the test part. A set without a split is returned unchanged."""
    if data.split is None:
        return data
    keep = data.split == "train"
    return replace(data, X=data.X[keep], y=data.y[keep], split=None,
                               subject=None if data.subject is None else data.subject[keep],
                               notes=(data.notes + " [tuning: train part only]").strip())
