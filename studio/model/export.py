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


