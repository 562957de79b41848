"""A gesture set's recogniser as one ONNX graph plus JSON, and a torch-free runner for it.

``export_recogniser`` folds the encoder, the refine adapter, the description embeddings and the take
prototypes of a :class:`studio.recognition.recogniser.Recogniser` into ``recogniser.onnx`` (preprocessed
window -> one score per class, the same fused score the Recogniser computes) and writes the thresholds
and temperature to ``recogniser.json``. :class:`OnnxRecogniser` runs it with numpy + onnxruntime only and
can drive a :class:`studio.recognition.live.LiveRecogniser`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from studio.model.export import (INPUTS, OPSET, OnnxEncoder, _example_batch, encoder_graph, onnx_export,
                                 preprocess_description, write_json)
from studio.signals.stream import CANONICAL_CHANNELS

RECOGNISER_FILE = "recogniser.onnx"
RECOGNISER_JSON = "recogniser.json"
FORMAT = "unimotion-recogniser"


def recogniser_state(rec) -> dict:
    """Everything that decides a Recogniser's scores, as arrays: per class the description embedding
    (K, E), the take prototype (K, D; zeros without takes), the adapted take features (K, N, D; padded
    with zeros, ``take_valid`` (K, N) marks the real ones), the text weight w (K,), the threshold (K,);
    the refine adapter (D, D; zeros = none), the mean weight, temperature and sensitivity.

    Reads the Recogniser's internals (its classes and adapter) under its lock: keep in step with
    :mod:`studio.recognition.recogniser` (the parity test fails if the two drift apart)."""
    from studio.recognition.recogniser import MEAN_WEIGHT, TEXT_PRIOR

    with rec._lock:
        classes = list(rec._classes.values())
        if not classes:
            raise ValueError("the gesture set has no classes to export")
        d = classes[0].take_feat.shape[1]
        proto = np.zeros((len(classes), d), np.float32)
        weight = np.ones(len(classes), np.float32)
        n_max = max(1, max(len(c.takes) for c in classes))
        takes = np.zeros((len(classes), n_max, d), np.float32)
        take_valid = np.zeros((len(classes), n_max), np.float32)
        for k, c in enumerate(classes):
            if c.takes:
                proto[k] = c.feat_proto
                takes[k, :len(c.takes)] = c.feat_takes
                take_valid[k, :len(c.takes)] = 1.0
                weight[k] = TEXT_PRIOR / (TEXT_PRIOR + len(c.takes))
        return {
            "classes": [c.name for c in classes],
            "texts": [c.text for c in classes],
            "n_takes": [len(c.takes) for c in classes],
            "text": np.stack([c.text_emb for c in classes]).astype(np.float32),
            "proto": proto,
            "takes": takes,
            "take_valid": take_valid,
            "mean_weight": float(MEAN_WEIGHT),
            "text_weight": weight,
            "thresholds": np.array([rec._threshold(c) for c in classes], np.float64),
            "adapter": (np.zeros((d, d), np.float32) if rec._adapter is None
                        else np.asarray(rec._adapter, np.float32)),
            "temperature": float(rec.temperature),
            "sensitivity": float(rec.sensitivity),
        }


def _graph(model, state: dict):
    import torch
    import torch.nn.functional as F

    class _Recogniser(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder_graph(model)
            for name in ("text", "proto", "takes", "take_valid", "text_weight", "adapter"):
                self.register_buffer(name, torch.from_numpy(np.asarray(state[name], np.float32)))
            self.refined = bool(np.any(state["adapter"]))
            self.mean_weight = float(state["mean_weight"])

        def forward(self, x, valid, chan):
            joint, feat = self.encoder(x, valid, chan)  # (B, E), (B, D)
            if self.refined:
                feat = F.normalize(feat + feat @ self.adapter, dim=-1)
            w = self.text_weight  # (K,)
            # nearest take: padding scores -2 (below any cosine); a class without takes has w = 1
            near = torch.einsum("bd,knd->bkn", feat, self.takes) * self.take_valid - 2.0 * (1 - self.take_valid)
            take = self.mean_weight * (feat @ self.proto.T) + (1 - self.mean_weight) * near.max(dim=2).values
            return w * (joint @ self.text.T) + (1 - w) * take  # (B, K)

    return _Recogniser()


def export_recogniser(model, rec, out_dir, opset: int = OPSET, check: bool = True) -> dict:
    """Write ``recogniser.onnx``, ``recogniser.json`` and ``classes.npz`` into ``out_dir``.

    Returns {"path", "json", "classes", "max_abs_diff"}: the largest difference between the ONNX scores
    and the Recogniser's own on varied example windows (None when ``check`` is False)."""
    import torch

    state = recogniser_state(rec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / RECOGNISER_FILE
    ex = _example_batch(model, 2)
    args = tuple(torch.from_numpy(a) for a in (ex.x, ex.valid, ex.chan))
    onnx_export(_graph(model, state), args, path, ["scores"], {n: {0: "batch"} for n in (*INPUTS, "scores")},
                opset)
    meta = {k: state[k] for k in ("classes", "texts", "n_takes", "temperature", "sensitivity")}
    meta.update(thresholds=state["thresholds"].tolist(), text_weight=state["text_weight"].tolist(),
                preprocessing=preprocess_description(model), format=FORMAT, version=1)
    write_json(out / RECOGNISER_JSON, meta)
    np.savez(out / "classes.npz", text=state["text"], proto=state["proto"], takes=state["takes"],
             take_valid=state["take_valid"], adapter=state["adapter"])
    diff = None
    if check:
        rng = np.random.default_rng(3)
        onnx_rec = OnnxRecogniser(out)
        windows = [rng.normal(0, s, (int(model.rate_hz * 2), 6)).astype(np.float32) * [1, 1, 1, 150, 150, 150]
                   for s in (0.05, 0.3, 1.0)]
        diff = max(max(abs(onnx_rec.similarities(w, model.rate_hz)[name] - v)
                       for name, v in rec.similarities(w, model.rate_hz).items()) for w in windows)
    return {"path": str(path), "json": str(out / RECOGNISER_JSON), "classes": state["classes"],
            "max_abs_diff": None if diff is None else float(diff)}


class OnnxRecogniser:
    """An exported gesture set, run with numpy + onnxruntime only (no torch).

    ``predict(window, rate_hz, channels)`` follows :meth:`Recogniser.predict`: the best class by score,
    rejected when below that class's threshold, softmax confidences over the scores.
    """

    def __init__(self, folder, threads: int = 1) -> None:
        from studio.model.config import PreprocessConfig

        folder = Path(folder)
        try:
            meta = json.loads((folder / RECOGNISER_JSON).read_text())
        except (FileNotFoundError, json.JSONDecodeError) as exc:
            raise ValueError(f"{folder / RECOGNISER_JSON} cannot be read: {exc}") from None
        if meta.get("format") != FORMAT:
            raise ValueError(f"{folder / RECOGNISER_JSON} is not an exported UniMotion recogniser")
        self.classes: list[str] = list(meta["classes"])
        self.thresholds = np.asarray(meta["thresholds"], np.float64)
        self.temperature = float(meta["temperature"])
        pre = meta["preprocessing"]
        self.pre = PreprocessConfig(rate_hz=pre["rate_hz"], window_s=pre["window_s"], acc_scale=pre["acc_scale"],
                                    gyro_scale=pre["gyro_scale"], remove_acc_mean=pre["remove_acc_mean"])
        self.token_len = int(pre["token_len"])
        self._session = OnnxEncoder(folder / RECOGNISER_FILE, threads)

    def _scores(self, window, rate_hz: float, channels) -> np.ndarray:
        from studio.model.preprocess import preprocess

        batch = preprocess([np.asarray(window, np.float32)], tuple(channels), rate_hz, self.pre, self.token_len)
        return self._session.run(batch)[0].astype(np.float64)

    def similarities(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> dict[str, float]:
        return dict(zip(self.classes, self._scores(window, rate_hz, channels).tolist()))

    def predict(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS):
        from studio.recognition.recogniser import Prediction

        s = self._scores(window, rate_hz, channels)
        p = np.exp((s - s.max()) / self.temperature)
        p /= p.sum()
        best = int(np.argmax(s))
        rejected = bool(s[best] < self.thresholds[best])
        return Prediction(None if rejected else self.classes[best], float(p[best]),
                          dict(zip(self.classes, p.tolist())), rejected, float(s[best]),
                          float(self.thresholds[best]))
