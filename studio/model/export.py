"""Export the motion encoder to ONNX, check it against torch, and run it through onnxruntime.

The exported graph is the encoder plus the motion projection head: preprocessed windows in, L2-normalised
joint-space embeddings out. Preprocessing (resampling, cropping around the nucleus, gravity removal,
scaling) stays in numpy (:mod:`studio.model.preprocess`) and is documented in the export's README, so
the same folder can be embedded in other software.

Inputs of ``encoder.onnx`` (B = batch, dynamic; L = window length; 6 canonical channels):
  x      (B, L, 6) float32  preprocessed samples (0 where missing or padded)
  valid  (B, L)    bool     the sample exists
  chan   (B, 6)    bool     the channel exists
Output: embedding (B, E) float32, L2-normalised.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from studio.model.preprocess import Batch
from studio.signals.stream import CANONICAL_CHANNELS

OPSET = 17
ENCODER_FILE = "encoder.onnx"
INPUTS = ("x", "valid", "chan")


def _example_batch(model, n: int, seed: int = 0) -> Batch:
    """Varied example windows: random movements of several lengths and a missing-channel case."""
    rng = np.random.default_rng(seed)
    rate = model.rate_hz
    windows = []
    for i in range(n):
        length = int(rate * rng.uniform(0.4, 1.5 * model.window_s))
        w = np.cumsum(rng.normal(0, 0.05, (length, 6)), axis=0).astype(np.float32)
        w[:, 3:] *= 400.0
        w[:, 2] += 1.0
        if i % 3 == 2:
            w[:, 3:] = np.nan  # an accelerometer-only device
        windows.append(w)
    return model.preprocess(windows, CANONICAL_CHANNELS, rate)


def export_encoder(model, out_dir, opset: int = OPSET, check: bool = True) -> dict:
    """Write ``encoder.onnx`` for ``model`` (a :class:`studio.model.MotionModel`) into ``out_dir``.

    Returns {"path", "opset", "max_abs_diff"} where max_abs_diff compares onnxruntime with torch on
    varied example windows and batch sizes (None when ``check`` is False).
    """
    import torch

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / ENCODER_FILE

    class _Embed(torch.nn.Module):
        def __init__(self, net) -> None:
            super().__init__()
            self.net = net

        def forward(self, x, valid, chan):
            return self.net.embed_motion(x, valid, chan)

    net = model.net.eval()
    ex = _example_batch(model, 2)
    args = tuple(torch.from_numpy(a) for a in (ex.x, ex.valid, ex.chan))
    dynamic = {name: {0: "batch"} for name in (*INPUTS, "embedding")}
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs onnxscript
        # (not installed); it exports this model exactly (see the parity check) and much faster.
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(_Embed(net), args, str(path), dynamo=False, opset_version=opset,
                              input_names=list(INPUTS), output_names=["embedding"], dynamic_axes=dynamic)
    diff = check_parity(model, path) if check else None
    return {"path": str(path), "opset": opset, "max_abs_diff": diff}


def check_parity(model, onnx_path, n: int = 7) -> float:
    """Max abs difference between torch and onnxruntime embeddings on ``n`` example windows, run as one
    batch and as single windows (so the dynamic batch axis is exercised)."""
    batch = _example_batch(model, n, seed=1)
    ref = model.embed_batch(batch)
    sess = OnnxEncoder(onnx_path)
    diffs = [np.abs(sess.run(batch) - ref).max()]
    for i in range(min(n, 3)):
        one = Batch(batch.x[i:i + 1], batch.valid[i:i + 1], batch.chan[i:i + 1], batch.tok_w[i:i + 1])
        diffs.append(np.abs(sess.run(one) - ref[i:i + 1]).max())
    return float(max(diffs))


class OnnxEncoder:
    """An onnxruntime session over ``encoder.onnx``: preprocessed :class:`Batch` -> (n, E) embeddings."""

    def __init__(self, path, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise RuntimeError("ONNX inference needs the 'export' extra: pip install onnxruntime") from exc
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.dim = int(self.session.get_outputs()[0].shape[1])

    def run(self, batch: Batch) -> np.ndarray:
        if batch.x.shape[0] == 0:
            return np.zeros((0, self.dim), np.float32)
        feeds = {"x": np.ascontiguousarray(batch.x, np.float32), "valid": batch.valid.astype(bool),
                 "chan": batch.chan.astype(bool)}
        return self.session.run(None, feeds)[0].astype(np.float32)


def use_onnx(model, onnx_path=None, threads: int = 1):
    """Make ``model`` (a MotionModel) embed motion through onnxruntime from now on; returns it.

    Without ``onnx_path`` the encoder is exported to a temporary folder first. Text embeddings still use
    torch (they are computed once per description and cached)."""
    if onnx_path is None:
        import tempfile

        onnx_path = export_encoder(model, tempfile.mkdtemp(prefix="studio-onnx-"), check=False)["path"]
    encoder = OnnxEncoder(onnx_path, threads)
    model.embed_batch = lambda batch, chunk=256: encoder.run(batch)
    model.onnx_path = str(onnx_path)
    return model


def preprocess_description(model) -> dict:
    """The preprocessing parameters someone re-implementing it elsewhere needs, as JSON-able data."""
    pre = model.preset.pre
    return {"rate_hz": pre.rate_hz, "window_s": pre.window_s, "window_len": pre.window_len,
            "token_len": model.preset.model.token_len, "acc_scale": pre.acc_scale,
            "gyro_scale": pre.gyro_scale, "remove_acc_mean": pre.remove_acc_mean,
            "channels": list(CANONICAL_CHANNELS), "units": {"acc": "g (gravity included)", "gyro": "deg/s"}}


def write_json(path, data: dict) -> None:
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True))




# -- a gesture set's recogniser ------------------------------------------------------------------------
RECOGNISER_FILE = "recogniser.onnx"
RECOGNISER_JSON = "recogniser.json"


def recogniser_state(rec) -> dict:
    """Class names, prototypes (C, E), per-class rejection thresholds, the refine adapter (E, E) or None,
    and the softmax temperature of a :class:`studio.recognition.recogniser.Recogniser`, as numpy/JSON."""
    with rec._lock:
        classes = list(rec._classes.values())
        return {
            "classes": [c.name for c in classes],
            "texts": [c.text for c in classes],
            "n_takes": [len(c.takes) for c in classes],
            "prototypes": np.stack([c.proto for c in classes]).astype(np.float32) if classes else None,
            "thresholds": [float(rec._threshold(c)) for c in classes],
            "adapter": None if rec._adapter is None else np.asarray(rec._adapter, np.float32),
            "temperature": float(rec.temperature),
            "sensitivity": float(rec.sensitivity),
        }


def export_recogniser(model, rec, out_dir, opset: int = OPSET, check: bool = True) -> dict:
    """Write ``recogniser.onnx`` (preprocessed window -> cosine similarity per class: encoder, adapter and
    prototypes in one graph) and ``recogniser.json`` (classes, thresholds, temperature, preprocessing).

    Returns {"path", "json", "classes", "max_abs_diff"}: the largest difference between the ONNX
    similarities and the torch recogniser's on example windows."""
    import torch

    state = recogniser_state(rec)
    if not state["classes"]:
        raise ValueError("the gesture set has no classes to export")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / RECOGNISER_FILE

    class _Head(torch.nn.Module):
        def __init__(self, net, protos: np.ndarray, adapter: np.ndarray | None) -> None:
            super().__init__()
            self.net = net
            self.register_buffer("protos", torch.from_numpy(protos))  # (K, E)
            self.register_buffer("adapter", torch.from_numpy(adapter if adapter is not None
                                                             else np.zeros((protos.shape[1],) * 2, np.float32)))

        def forward(self, x, valid, chan):
            e = self.net.embed_motion(x, valid, chan)  # (B, E)
            e = torch.nn.functional.normalize(e + e @ self.adapter, dim=-1)
            return e @ self.protos.T  # (B, K)

    ex = _example_batch(model, 2)
    args = tuple(torch.from_numpy(a) for a in (ex.x, ex.valid, ex.chan))
    dynamic = {name: {0: "batch"} for name in (*INPUTS, "similarity")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(_Head(model.net.eval(), state["prototypes"], state["adapter"]), args, str(path),
                              dynamo=False, opset_version=opset, input_names=list(INPUTS),
                              output_names=["similarity"], dynamic_axes=dynamic)
    meta = {k: state[k] for k in ("classes", "texts", "n_takes", "thresholds", "temperature", "sensitivity")}
    meta["preprocessing"] = preprocess_description(model)
    meta["format"] = "unimotion-recogniser"
    meta["version"] = 1
    write_json(out / RECOGNISER_JSON, meta)
    np.save(out / "prototypes.npy", state["prototypes"], allow_pickle=False)
    diff = None
    if check:
        batch = _example_batch(model, 5, seed=2)
        onnx_sims = OnnxRecogniser(out).similarity(batch)
        emb = rec._adapt(model.embed_batch(batch))
        diff = float(np.abs(onnx_sims - emb @ state["prototypes"].T).max())
    return {"path": str(path), "json": str(out / RECOGNISER_JSON), "classes": state["classes"],
            "max_abs_diff": diff}


class OnnxRecogniser:
    """A gesture set exported by :func:`export_recogniser`, run with numpy + onnxruntime only (no torch).

    ``predict(window, rate_hz)`` follows :meth:`studio.recognition.recogniser.Recogniser.predict`: the
    best class by cosine similarity, rejected when below that class's threshold, softmax confidences.
    It can drive a :class:`studio.recognition.live.LiveRecogniser` directly.
    """

    def __init__(self, folder, threads: int = 1) -> None:
        from studio.model.config import PreprocessConfig

        folder = Path(folder)
        meta = json.loads((folder / RECOGNISER_JSON).read_text())
        if meta.get("format") != "unimotion-recogniser":
            raise ValueError(f"{folder / RECOGNISER_JSON} is not an exported UniMotion recogniser")
        self.classes: list[str] = list(meta["classes"])
        self.thresholds = np.asarray(meta["thresholds"], np.float64)
        self.temperature = float(meta["temperature"])
        pre = meta["preprocessing"]
        self.pre = PreprocessConfig(rate_hz=pre["rate_hz"], window_s=pre["window_s"], acc_scale=pre["acc_scale"],
                                    gyro_scale=pre["gyro_scale"], remove_acc_mean=pre["remove_acc_mean"])
        self.token_len = int(pre["token_len"])
        self._enc = OnnxEncoder(folder / RECOGNISER_FILE, threads)

    def similarity(self, batch: Batch) -> np.ndarray:
        """(n, K) cosine similarities of preprocessed windows to each class."""
        return self._enc.run(batch)

    def predict(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS):
        from studio.model.preprocess import preprocess
        from studio.recognition.recogniser import Prediction

        batch = preprocess([np.asarray(window, np.float32)], tuple(channels), rate_hz, self.pre, self.token_len)
        sims = self.similarity(batch)[0].astype(np.float64)
        v = sims / self.temperature
        p = np.exp(v - v.max())
        p /= p.sum()
        best = int(np.argmax(sims))
        rejected = bool(sims[best] < self.thresholds[best])
        scores = dict(zip(self.classes, p.tolist()))
        return Prediction(None if rejected else self.classes[best], float(p[best]), scores, rejected,
                          float(sims[best]), float(self.thresholds[best]))


README = """# UniMotion export

Files
- `encoder.onnx`: motion encoder + projection head. Inputs `x` (B, {L}, 6) float32, `valid` (B, {L}) bool,
  `chan` (B, 6) bool; output `embedding` (B, {E}) float32, L2-normalised. ONNX opset {opset}; B is dynamic.
{recogniser_files}- `model.json`: the preprocessing parameters below, as data.

Preprocessing (numpy; `studio/model/preprocess.py` is the reference implementation)
1. Channels in the order acc_x, acc_y, acc_z (g, gravity included), gyro_x, gyro_y, gyro_z (deg/s).
   A channel the device lacks is NaN; `chan[c]` = the channel has any finite value.
2. Drop leading/trailing all-NaN rows, then resample linearly to {rate:g} Hz.
3. Fit to L = {L} samples ({window:g} s): a longer window is cropped to L samples centred on its nucleus
   (the high-energy core, `studio/signals/nucleus.py:find_nucleus`); a shorter one is padded
   symmetrically. `valid[t]` = sample t is real (not padding).
4. {acc_mean}Divide acc by {acc_scale:g} and gyro by {gyro_scale:g}; set NaN, padding and absent channels to 0.

Live use: segment the stream into movements (see `studio/recognition/live.py`: a movement ends when the
motion energy has been quiet for 0.25 s), pass the movement with ~0.3 s of context as one window.
"""

RECOGNISER_README = """- `recogniser.onnx`: the same inputs; output `similarity` (B, K): cosine similarity of the window to
  each of the K gesture classes (encoder, refine adapter and class prototypes in one graph).
- `recogniser.json`: `classes` (K names, in output order), `thresholds` (K, at the `sensitivity` it was
  exported with), `temperature`.
  Decision: best = argmax(similarity); "none of these" when similarity[best] < thresholds[best];
  confidence = softmax(similarity / temperature)[best]. `prototypes.npy` (K, E) float32 holds the class
  prototypes for use with `encoder.onnx` (similarity = embedding @ prototypes.T; without refinement).
"""


def write_readme(model, out_dir, with_recogniser: bool, opset: int = OPSET) -> Path:
    """Document the export folder's files, inputs, outputs and preprocessing."""
    pre = model.preset.pre
    text = README.format(
        L=pre.window_len, E=model.dim, opset=opset, rate=pre.rate_hz, window=pre.window_s,
        acc_scale=pre.acc_scale, gyro_scale=pre.gyro_scale,
        acc_mean="Subtract each present acc channel's mean over the valid samples (removes gravity). "
        if pre.remove_acc_mean else "",
        recogniser_files=RECOGNISER_README if with_recogniser else "")
    path = Path(out_dir) / "README.md"
    path.write_text(text)
    write_json(Path(out_dir) / "model.json", preprocess_description(model))
    return path
