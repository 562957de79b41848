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
OUTPUTS = ("embedding", "features")


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


def encoder_graph(model):
    """A torch module: (x, valid, chan) -> (embedding (B, E), features (B, D)), as MotionModel computes them
    (joint motion-text space; pooled encoder states centred on the stored feature mean, L2-normalised)."""
    import torch
    import torch.nn.functional as F

    class _Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model.net.eval()
            mean = getattr(model, "feature_mean", None)
            mean = np.zeros(model.preset.model.d_model, np.float32) if mean is None else mean
            self.register_buffer("feature_mean", torch.from_numpy(np.asarray(mean, np.float32)))

        def forward(self, x, valid, chan):
            _, pooled = self.net.encoder(x, valid, chan)  # (B, D)
            joint = F.normalize(self.net.motion_proj(pooled), dim=-1)  # (B, E)
            return joint, F.normalize(pooled - self.feature_mean, dim=-1)

    return _Encoder()


def onnx_export(module, args, path, output_names: list[str], dynamic: dict, opset: int,
                input_names: tuple[str, ...] = INPUTS) -> None:
    """torch.onnx.export with the TorchScript exporter. It is deprecated in favour of the dynamo one,
    which needs onnxscript (not installed); it exports these graphs exactly (see the parity checks)."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(module, args, str(path), dynamo=False, opset_version=opset,
                              input_names=list(input_names), output_names=output_names, dynamic_axes=dynamic)


def export_encoder(model, out_dir, opset: int = OPSET, check: bool = True) -> dict:
    """Write ``encoder.onnx`` for ``model`` (a :class:`studio.model.MotionModel`) into ``out_dir``.

    Returns {"path", "opset", "max_abs_diff"} where max_abs_diff compares onnxruntime with torch on
    varied example windows and batch sizes (None when ``check`` is False).
    """
    import torch

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / ENCODER_FILE

    ex = _example_batch(model, 2)
    args = tuple(torch.from_numpy(a) for a in (ex.x, ex.valid, ex.chan))
    dynamic = {name: {0: "batch"} for name in (*INPUTS, *OUTPUTS)}
    dynamic["x"], dynamic["valid"] = {0: "batch", 1: "length"}, {0: "batch", 1: "length"}
    onnx_export(encoder_graph(model), args, path, list(OUTPUTS), dynamic, opset)
    diff = check_parity(model, path) if check else None
    return {"path": str(path), "opset": opset, "max_abs_diff": diff}


def check_parity(model, onnx_path, n: int = 7) -> float:
    """Max abs difference between torch and onnxruntime (embeddings and features) on ``n`` example
    windows, run as one batch and as single windows (so the dynamic batch axis is exercised)."""
    batch = _example_batch(model, n, seed=1)
    ref = _torch_outputs(model, batch)
    sess = OnnxEncoder(onnx_path)
    parts = [batch] + [Batch(batch.x[i:i + 1], batch.valid[i:i + 1], batch.chan[i:i + 1], batch.tok_w[i:i + 1])
                       for i in range(min(n, 3))]
    diffs = []
    for k, part in enumerate(parts):
        rows = slice(None) if k == 0 else slice(k - 1, k)
        diffs += [float(np.abs(got - want[rows]).max()) for got, want in zip(sess.run_all(part), ref)]
    return max(diffs)


def _torch_outputs(model, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(model, "features_batch"):
        return model.features_batch(batch)
    import torch

    with torch.inference_mode():
        out = encoder_graph(model)(*(torch.from_numpy(a) for a in (batch.x, batch.valid, batch.chan)))
    return tuple(o.numpy() for o in out)


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

    def run_all(self, batch: Batch) -> list[np.ndarray]:
        """All outputs of the graph for a preprocessed batch (empty batch: empty arrays)."""
        if batch.x.shape[0] == 0:
            return [np.zeros((0, int(o.shape[1])), np.float32) for o in self.session.get_outputs()]
        feeds = {"x": np.ascontiguousarray(batch.x, np.float32), "valid": batch.valid.astype(bool),
                 "chan": batch.chan.astype(bool)}
        return [o.astype(np.float32) for o in self.session.run(None, feeds)]

    def run(self, batch: Batch) -> np.ndarray:
        """The first output: (n, E) embeddings for ``encoder.onnx``."""
        return self.run_all(batch)[0]


def use_onnx(model, onnx_path=None, threads: int = 1):
    """Make ``model`` (a MotionModel) run its encoder through onnxruntime from now on; returns it.

    Both embeddings and features (what the recogniser uses) come from the ONNX graph. Without
    ``onnx_path`` the encoder is exported to a temporary folder first. Text embeddings still use torch
    (they are computed once per description and cached)."""
    if onnx_path is None:
        import tempfile

        onnx_path = export_encoder(model, tempfile.mkdtemp(prefix="studio-onnx-"), check=False)["path"]
    encoder = OnnxEncoder(onnx_path, threads)
    model.embed_batch = lambda batch, chunk=256: encoder.run(batch)
    model.features_batch = lambda batch, chunk=256: tuple(encoder.run_all(batch)[:2])
    model.onnx_path = str(onnx_path)
    return model


def preprocess_description(model) -> dict:
    """The preprocessing parameters someone re-implementing it elsewhere needs, as JSON-able data."""
    pre = model.preset.pre
    return {"rate_hz": pre.rate_hz, "window_s": pre.window_s, "window_len": pre.window_len,
            "unknown_rate_hz": pre.unknown_rate_hz, "token_len": model.preset.model.token_len,
            "acc_scale": pre.acc_scale, "align_gravity": pre.align_gravity,
            "gyro_scale": pre.gyro_scale, "remove_acc_mean": pre.remove_acc_mean,
            "channels": list(CANONICAL_CHANNELS), "units": {"acc": "g (gravity included)", "gyro": "deg/s"}}


def write_json(path, data: dict) -> None:
    """Write ``data`` as indented JSON with sorted keys (stable diffs between exports)."""
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True))


README = """# UniMotion export

Files
- `encoder.onnx`: the motion encoder. Inputs `x` (B, L, 6) float32, `valid` (B, L) bool, `chan` (B, 6)
  bool; outputs `embedding` (B, {E}) float32, the joint motion-text space (compare with text embeddings),
  and `features` (B, {D}) float32, the encoder's pooled movement features (compare take with take); both
  L2-normalised. ONNX opset {opset}; B and L are dynamic (L a multiple of {K}).
{recogniser_files}- `model.json`: the preprocessing parameters below, as data.

Preprocessing of a window for `encoder.onnx` (numpy; `studio/model/preprocess.py` is the reference)
1. Channels in the order acc_x, acc_y, acc_z (g, gravity included), gyro_x, gyro_y, gyro_z (deg/s).
   A channel the device lacks is NaN; `chan[c]` = the channel has any finite value.
2. Drop leading/trailing all-NaN rows, then resample linearly to {rate:g} Hz (a series of unknown rate is
   taken as {unknown:g} Hz).
3. Keep the window's own length; only a window longer than {window:g} s is cropped to {window_len} samples
   centred on its nucleus (the high-energy core, `studio/signals/nucleus.py:find_nucleus`). Pad the end to
   whole tokens of {K} samples; `valid[t]` = sample t is real (not padding). Several windows in one batch
   are padded at the end to the longest.
4. {align}{acc_mean}Divide acc by {acc_scale:g} and gyro by {gyro_scale:g}; set NaN, padding and absent
   channels to 0.
"""


def write_readme(model, out_dir, recogniser_files: str = "", opset: int = OPSET) -> Path:
    """Document the export folder's files, inputs, outputs and preprocessing; ``recogniser_files`` describes
    a recogniser's files (:func:`studio.recognition.onnx_recogniser.readme_section`) when one is exported."""
    pre = model.preset.pre
    text = README.format(
        E=model.dim, D=model.preset.model.d_model, K=model.preset.model.token_len, opset=opset, rate=pre.rate_hz,
        unknown=pre.unknown_rate_hz, window=pre.window_s, window_len=pre.window_len,
        acc_scale=pre.acc_scale, gyro_scale=pre.gyro_scale,
        align="If all three acc axes exist and their mean |g| is 0.5-1.5 g, rotate acc (and gyro) so the mean "
        "gravity direction is +z (`gravity_rotation`). " if pre.align_gravity else "",
        acc_mean="Subtract each present acc channel's mean over the valid samples (removes gravity). "
        if pre.remove_acc_mean else "",
        recogniser_files=recogniser_files)
    path = Path(out_dir) / "README.md"
    path.write_text(text)
    write_json(Path(out_dir) / "model.json", preprocess_description(model))
    return path


def export_text_head(model, out_dir, opset: int = OPSET) -> Path:
    """Write ``text_head.onnx``: MiniLM sentence vectors ``text`` (B, 384) -> joint-space embeddings
    ``embedding`` (B, E), L2-normalised (the model's text projection)."""
    import torch

    class _TextHead(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model.net.eval()

        def forward(self, text):
            return self.net.embed_text(text)

    path = Path(out_dir) / "text_head.onnx"
    example = torch.zeros(2, model.preset.model.text_dim)
    onnx_export(_TextHead(), (example,), path, ["embedding"], {"text": {0: "batch"}, "embedding": {0: "batch"}},
                opset, input_names=("text",))
    return path


def export_inference(model, folder, opset: int = OPSET) -> dict:
    """What :class:`studio.model.onnx_model.OnnxMotionModel` runs, beside a checkpoint: ``encoder.onnx``
    (checked against torch) and ``text_head.onnx``. Returns the encoder's parity report."""
    info = export_encoder(model, folder, opset)
    export_text_head(model, folder, opset)
    return info
