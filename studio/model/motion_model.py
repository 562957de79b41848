"""The inference face of the model: numpy windows / texts in, L2-normalised joint-space embeddings out."""

from __future__ import annotations


import numpy as np
import torch

from studio.model.config import Preset
from studio.model.preprocess import Batch, crops, preprocess
from studio.model.text import TextEncoder, shared_text_encoder
from studio.shipped import resource_path
from studio.signals.stream import CANONICAL_CHANNELS

SHIPPED = resource_path("model")


class MotionModel:
    """A pre-trained encoder with its preprocessing, embedding motion and text into one space.

    ``embed`` accepts any subset of canonical channels (absent ones are masked), any sample rate (resampled
    to ``rate_hz``), NaN-padded or variable-length windows (cropped around the nucleus / padded to
    ``window_s``). ``embed_text`` runs the frozen MiniLM (cached) and the text projection head.
    """

    def __init__(self, net, preset: Preset, meta: dict | None = None, text_encoder: TextEncoder | None = None):
        self.net = net.eval()
        self.preset = preset
        self.meta = meta or {}
        self.text_encoder = text_encoder or shared_text_encoder()
        self._text_cache: dict[str, np.ndarray] = {}

    @property
    def rate_hz(self) -> float:
        return self.preset.pre.rate_hz

    @property
    def window_s(self) -> float:
        return self.preset.pre.window_s

    @property
    def dim(self) -> int:
        return self.preset.model.embed_dim

    def preprocess(self, windows, channels=CANONICAL_CHANNELS, rate_hz: float = 100.0) -> Batch:
        return preprocess(windows, channels, rate_hz, self.preset.pre, self.preset.model.token_len, energy=False)

    def embed_batch(self, batch: Batch, chunk: int = 256) -> np.ndarray:
        """(n, E) embeddings of an already preprocessed :class:`Batch`."""
        out = []
        with torch.inference_mode():
            for i in range(0, batch.x.shape[0], chunk):
                e = self.net.embed_motion(torch.from_numpy(batch.x[i:i + chunk]),
                                          torch.from_numpy(batch.valid[i:i + chunk]),
                                          torch.from_numpy(batch.chan[i:i + chunk]))
                out.append(e.numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    @property
    def feature_mean(self) -> np.ndarray:
        """Mean pooled encoder feature over generated motion (stored with the weights; zeros if absent)."""
        mean = self.meta.get("feature_mean")
        return np.asarray(mean, np.float32) if mean else np.zeros(self.preset.model.d_model, np.float32)

    def features_batch(self, batch: Batch, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """(joint (n, E), features (n, D)) of a preprocessed batch, both L2-normalised.

        ``features`` are the encoder's pooled token states, centred on :attr:`feature_mean`: a general
        description of the movement, better than the joint space for comparing takes with takes (the
        joint space is shaped by the generator's gesture vocabulary; measured on BasicMotions 5-shot:
        87.5 % vs 75.8 %)."""
        joint, feats = [], []
        mean = torch.from_numpy(self.feature_mean)
        with torch.inference_mode():
            for i in range(0, batch.x.shape[0], chunk):
                x, valid, chan = (torch.from_numpy(a[i:i + chunk]) for a in (batch.x, batch.valid, batch.chan))
                _, pooled = self.net.encoder(x, valid, chan)
                joint.append(torch.nn.functional.normalize(self.net.motion_proj(pooled), dim=-1).numpy())
                feats.append(torch.nn.functional.normalize(pooled - mean, dim=-1).numpy())
        if not joint:
            return np.zeros((0, self.dim), np.float32), np.zeros((0, self.preset.model.d_model), np.float32)
        return np.concatenate(joint), np.concatenate(feats)

    def embed_features(self, windows, channels=CANONICAL_CHANNELS, rate_hz: float = 100.0):
        """(joint (n, E), features (n, D)) for raw windows; see :meth:`features_batch`.

        Input longer than ``window_s`` is embedded as several windows averaged with motion-energy weights
        (:func:`studio.model.preprocess.crops`): a steady activity is described by its whole length, a
        gesture in long idle by the windows around it (BasicMotions 5-shot, 10 s recordings: 82 % with
        one nucleus-centred window, 100 % averaged; measured on the shipped weights)."""
        if isinstance(windows, np.ndarray) and windows.ndim == 2:
            windows = [windows]
        pre, k = self.preset.pre, self.preset.model.token_len
        parts, owners, weights = [], [], []
        for i, w in enumerate(windows):
            windows_i, w_i = crops(w, tuple(channels), rate_hz, pre, k)
            parts += windows_i
            owners += [i] * len(windows_i)
            weights.append(w_i)
        if not parts:
            return self.features_batch(self.preprocess([], channels, rate_hz))
        joint, feat = self.features_batch(Batch(*(np.stack(p) for p in zip(*parts))))
        if len(parts) == len(windows):
            return joint, feat
        owners_a, weights_a = np.array(owners), np.concatenate(weights)[:, None]
        n = len(windows)
        joint_m = np.zeros((n, joint.shape[1]), np.float32)
        feat_m = np.zeros((n, feat.shape[1]), np.float32)
        np.add.at(joint_m, owners_a, joint * weights_a)
        np.add.at(feat_m, owners_a, feat * weights_a)
        unit = lambda a: a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)  # noqa: E731
        return unit(joint_m).astype(np.float32), unit(feat_m).astype(np.float32)

    def embed(self, windows, channels=CANONICAL_CHANNELS, rate_hz: float = 100.0) -> np.ndarray:
        """(n, E) float32 L2-normalised embeddings of windows ((n, T, C) array or list of (T, C)); longer
        input than ``window_s`` is averaged over several windows (see :meth:`embed_features`)."""
        return self.embed_features(windows, channels, rate_hz)[0]

    def warm_up(self) -> None:
        """Load the text encoder now (~1-4 s, once per process) so the first ``embed_text`` is fast;
        call it from a worker thread at start-up."""
        self.embed_text(["warm up"])

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """(n, E) float32 L2-normalised embeddings of descriptions (cached per text)."""
        texts = [str(t) for t in texts]
        new = [t for t in dict.fromkeys(texts) if t not in self._text_cache]
        if new:
            raw = torch.from_numpy(self.text_encoder.encode(new))
            with torch.inference_mode():
                proj = self.net.embed_text(raw).numpy()
            self._text_cache.update(zip(new, proj))
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._text_cache[t] for t in texts]).astype(np.float32)


def load_model(path=None, threads: int | None = 1) -> MotionModel:
    """Load a checkpoint folder (None = the shipped weights under resources/model/).

    ``threads`` sets torch's intra-op threads for the process (None leaves it alone). One is the default
    because a window takes about a millisecond: splitting it over cores only adds synchronisation, and on
    a busy machine two threads made single-window embedding ~20x slower (130 ms vs 7 ms measured here).
    """
    from studio.model.checkpoint import load_checkpoint

    if threads is not None:
        torch.set_num_threads(threads)

    net, preset, meta = load_checkpoint(SHIPPED if path is None else path)
    return MotionModel(net, preset, meta)
