"""The motion model run through onnxruntime: what live recognition uses by default, without torch.

A checkpoint folder written by ``studio pretrain`` holds, beside the torch weights, ``encoder.onnx`` (the
encoder and its motion head: preprocessed windows -> joint embedding and pooled features) and
``text_head.onnx`` (MiniLM sentence vectors -> joint space). :class:`OnnxMotionModel` offers the part of
:class:`studio.model.motion_model.MotionModel` that recognition needs (``embed_features``, ``embed``,
``embed_text``, ``preset``, ``meta``), with numpy preprocessing and onnxruntime sessions; torch is imported
only to encode a *new* description with MiniLM (the project caches its descriptions' vectors) or for
:meth:`torch_model` (refine, pre-training).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from studio.model.config import Preset
from studio.model.preprocess import preprocess, preprocess_one, stack
from studio.signals.stream import CANONICAL_CHANNELS

ENCODER_FILE = "encoder.onnx"
TEXT_HEAD_FILE = "text_head.onnx"


def onnx_files_present(folder) -> bool:
    return all((Path(folder) / name).is_file() for name in (ENCODER_FILE, TEXT_HEAD_FILE))


def _session(path, threads: int = 1):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    from studio.model.checkpoint import CheckpointError

    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own error types for missing or damaged graphs
        raise CheckpointError(f"{path} is missing or corrupt; export the model again ({exc})") from None


class OnnxMotionModel:
    """``MotionModel``'s inference face over ``encoder.onnx`` and ``text_head.onnx`` (see the module doc)."""

    def __init__(self, folder, threads: int = 1, text_encoder=None) -> None:
        from studio.model.checkpoint import CheckpointError, read_config

        self.folder = Path(folder)
        self.meta = read_config(self.folder)
        try:
            self.preset = Preset.from_dict(self.meta["preset"])
        except (KeyError, ValueError) as exc:
            raise CheckpointError(f"{self.folder / 'config.json'}: bad or missing preset ({exc})") from None
        self._encoder = _session(self.folder / ENCODER_FILE, threads)
        self._text_head = _session(self.folder / TEXT_HEAD_FILE, threads)
        self._text_encoder = text_encoder
        self._text_cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._torch_model = None
        self.net = None  # no torch network: refine asks for torch_model()

    @property
    def rate_hz(self) -> float:
        return self.preset.pre.rate_hz

    @property
    def window_s(self) -> float:
        return self.preset.pre.window_s

    @property
    def dim(self) -> int:
        return self.preset.model.embed_dim

    @property
    def text_encoder(self):
        if self._text_encoder is None:
            from studio.model.text import shared_text_encoder

            self._text_encoder = shared_text_encoder()
        return self._text_encoder

    def preprocess(self, windows, channels=CANONICAL_CHANNELS, rate_hz: float = 100.0):
        return preprocess(windows, channels, rate_hz, self.preset.pre, self.preset.model.token_len, energy=False)

    def features_batch(self, batch) -> tuple[np.ndarray, np.ndarray]:
        if batch.x.shape[0] == 0:
            return np.zeros((0, self.dim), np.float32), np.zeros((0, self.preset.model.d_model), np.float32)
        joint, feat = self._encoder.run(None, {"x": np.ascontiguousarray(batch.x, np.float32),
                                               "valid": batch.valid.astype(bool), "chan": batch.chan.astype(bool)})
        return joint.astype(np.float32), feat.astype(np.float32)

    def embed_features(self, windows, channels=CANONICAL_CHANNELS, rate_hz: float = 100.0):
        """(joint (n, E), features (n, D)), as :meth:`MotionModel.embed_features`."""
        if isinstance(windows, np.ndarray) and windows.ndim == 2:
            windows = [windows]
        pre, k = self.preset.pre, self.preset.model.token_len
        parts = [preprocess_one(w, tuple(channels), rate_hz, pre, k, energy=False) for w in windows]
        if not parts:
            return self.features_batch(self.preprocess([], channels, rate_hz))
        order = np.argsort([p[0].shape[0] for p in parts], kind="stable")
        joint = np.zeros((len(parts), self.dim), np.float32)
        feat = np.zeros((len(parts), self.preset.model.d_model), np.float32)
        for chunk in np.array_split(order, max(1, len(order) // 64)):
            joint[chunk], feat[chunk] = self.features_batch(stack([parts[i] for i in chunk], k))
        return joint, feat

    def embed(self, windows, channels=CANONICAL_CHANNELS, rate_hz: float = 100.0) -> np.ndarray:
        return self.embed_features(windows, channels, rate_hz)[0]

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """(n, E) joint-space embeddings of descriptions (MiniLM vectors from the text encoder's cache, or
        computed: that loads torch and transformers once)."""
        texts = [str(t) for t in texts]
        with self._lock:
            new = [t for t in dict.fromkeys(texts) if t not in self._text_cache]
            if new:
                raw = np.asarray(self.text_encoder.encode(new), np.float32)
                proj = self._text_head.run(None, {"text": raw})[0]
                self._text_cache.update(zip(new, proj.astype(np.float32)))
            if not texts:
                return np.zeros((0, self.dim), np.float32)
            return np.stack([self._text_cache[t] for t in texts])

    def warm_up(self) -> None:
        self.embed_text(["warm up"])

    def torch_model(self):
        """The same checkpoint as a torch :class:`MotionModel` (loaded on first use: refine needs it)."""
        if self._torch_model is None:
            from studio.model.motion_model import load_model

            self._torch_model = load_model(self.folder)
            self._torch_model.text_encoder = self.text_encoder
        return self._torch_model


def load_inference_model(path=None, threads: int = 1):
    """The model live recognition runs on: :class:`OnnxMotionModel` when the checkpoint folder (default:
    the shipped one) has its ONNX files and onnxruntime is installed, else the torch
    :class:`studio.model.motion_model.MotionModel`."""
    from studio.shipped import resource_path

    folder = Path(resource_path("model") if path is None else path)
    if onnx_files_present(folder):
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            pass
        else:
            _limit_blas_threads(threads)
            return OnnxMotionModel(folder, threads)
    from studio.model.motion_model import load_model

    return load_model(folder, threads)


def _limit_blas_threads(threads: int) -> None:
    """numpy's BLAS on ``threads`` threads (the kernel model's products are small: more threads only wait
    for each other on a busy machine), where threadpoolctl is installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(threads, user_api="blas")
