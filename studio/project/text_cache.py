"""Cached text embeddings of the gestures' descriptions, kept in the project file.

Reopening a project then needs no text model: the sentence encoder (transformers + MiniLM, seconds and
hundreds of MB to load) is only loaded for a description it has not seen. Vectors are stored per
encoder (its id says which model and settings made them), as little-endian float32 in base64, under the
project setting ``text_embeddings``; a damaged or foreign entry is ignored and computed again.
"""

from __future__ import annotations

import base64
import binascii

import numpy as np

SETTINGS_KEY = "text_embeddings"


def cached_vectors(project) -> dict[str, dict[str, np.ndarray]]:  # noqa: ANN001 - a Project
    """Every stored vector: encoder id -> text -> (D,) float32; unreadable entries are left out."""
    stored = project.get_setting(SETTINGS_KEY, None)
    if not isinstance(stored, dict):
        return {}
    out: dict[str, dict[str, np.ndarray]] = {}
    for encoder_id, entries in stored.items():
        if not isinstance(entries, dict):
            continue
        vectors = out.setdefault(str(encoder_id), {})
        for text, data in entries.items():
            try:
                vector = np.frombuffer(base64.b64decode(str(data), validate=True), "<f4").astype(np.float32)
            except (binascii.Error, ValueError):
                continue
            if vector.size and np.isfinite(vector).all():
                vectors[str(text)] = vector
    return out


def store_vectors(project, encoder_id: str, vectors: dict[str, np.ndarray]) -> bool:  # noqa: ANN001
    """Keep exactly ``vectors`` for ``encoder_id`` (texts no longer used are dropped, so the cache does not
    grow with every edit); other encoders' entries are left alone. True when the file changed."""
    encoded = {str(t): base64.b64encode(np.asarray(v, "<f4").tobytes()).decode("ascii")
               for t, v in sorted(vectors.items())}
    stored = project.get_setting(SETTINGS_KEY, None)
    stored = dict(stored) if isinstance(stored, dict) else {}
    if stored.get(encoder_id) == encoded:
        return False
    stored[encoder_id] = encoded
    project.set_setting(SETTINGS_KEY, stored)
    return True
