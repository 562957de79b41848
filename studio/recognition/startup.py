"""The live recogniser as the studio loads it at start-up: one Qt-free function, run on a worker thread.

The GUI shows the window and plots the device first; this runs afterwards. The sentence encoder
(transformers + MiniLM) is the heaviest part of the model and is only needed for descriptions that have
no cached vector: the caller passes the project's cached ones, and gets back the vectors to store, so
reopening a project loads no text model at all. The model runs on onnxruntime by default
(:func:`default_load_model`); pass another ``load_model`` to serve recognition from another runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


def default_load_model():  # noqa: ANN201 - OnnxMotionModel (or MotionModel without the ONNX files)
    """The shipped motion model for live recognition: onnxruntime when the ONNX files and onnxruntime are
    there (torch then loads only for Refine or a new description's MiniLM vector), else torch. Its text
    encoder stays unloaded until a new sentence needs it."""
    from studio.model.onnx_model import load_inference_model

    return load_inference_model()


def class_text(name: str, description: str) -> str:
    """The sentence the recogniser embeds for a gesture: its description, else its name."""
    return str(description or "").strip() or str(name).strip()


@dataclass
class LoadedRecogniser:
    """What :func:`load_live_recogniser` hands back to the GUI thread."""

    model: object
    recogniser: object
    text_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # sentence -> vector, to cache
    text_encoder_id: str = ""  # "" when the model has no cacheable text encoder


def text_encoder_of(model) -> object | None:  # noqa: ANN001
    """The model's sentence encoder if it can take and give cached vectors, else None (test models)."""
    encoder = getattr(model, "text_encoder", None)
    ok = all(callable(getattr(encoder, name, None)) for name in ("known", "remember", "encode"))
    return encoder if ok else None


def load_live_recogniser(load_model: Callable[[], object], sensitivity: float, texts: list[str],
                         cached: dict[str, dict[str, np.ndarray]] | None = None) -> LoadedRecogniser:
    """Load the model, embed the gestures' ``texts`` (from ``cached``, encoder id -> sentence -> vector,
    where it has them), and build a calibrated :class:`~studio.recognition.recogniser.Recogniser`."""
    from studio.recognition.recogniser import Recogniser

    model = load_model()
    encoder = text_encoder_of(model)
    vectors: dict[str, np.ndarray] = {}
    encoder_id = ""
    if encoder is not None:
        encoder_id = str(getattr(encoder, "model_id", ""))
        if cached and encoder_id:
            encoder.remember(cached.get(encoder_id, {}))
        missing = [t for t in dict.fromkeys(texts) if t not in encoder.known([t])]
        if missing:
            encoder.encode(missing)  # loads the text model: only for sentences never seen
        vectors = encoder.known(texts)
    recogniser = Recogniser(model, sensitivity=sensitivity)
    recogniser.calibrate_default()
    return LoadedRecogniser(model, recogniser, vectors, encoder_id)
