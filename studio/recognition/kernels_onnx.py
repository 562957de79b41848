"""The MiniRocket transform of :class:`studio.recognition.kernels.MiniRocketFeatures` as an ONNX graph.

Inputs ``x`` (B, L, C) float32 and ``mask`` (B, L) float32 (1 = a real sample, 0 = padding; the real
samples of a series must be one contiguous run, e.g. a prefix); output ``features`` (B, F) float32, equal
to ``MiniRocketFeatures.transform`` of each series' real samples. B and L are dynamic. ``x`` must be
finite where ``mask`` is 1 (NaN handling is the numpy side's :func:`~studio.recognition.kernels.prepare_series`).

The graph, per dilation, as the numpy side: the series zero-padded by 4 x dilation on both sides
(MiniRocket's own padding), the eight off-centre taps minus the centre one stacked, one MatMul with the 84
kernels' channel-masked weights, a comparison with the biases, and PPV as a masked mean over time. "Same" kernels count every real sample; "valid" kernels the samples whose whole span lies on
real samples (mask shifted both ways by 4 x dilation), or every real sample where no position does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.recognition.kernels import N_BASE_KERNELS, OFF_CENTRE, MiniRocketFeatures

OPSET = 17
INT64_MAX = np.iinfo(np.int64).max


class _Graph:
    """A small builder: named constants and nodes with generated output names."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers, self._count = [], [], 0

    def const(self, value: np.ndarray, name: str | None = None) -> str:
        self._count += 1
        name = name or f"c{self._count}"
        self.initializers.append(self.numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs) -> str:
        self._count += 1
        out = f"{op_type.lower()}{self._count}"
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def ints(self, *values: int) -> str:
        return self.const(np.array(values, np.int64))


def _scaled_input(g: _Graph, features: MiniRocketFeatures, x: str, mask3: str) -> str:
    """x with padding zeroed and the fitted scaling applied, (B, L, C)."""
    xm = g.op("Mul", x, mask3)
    scaling = features.config.scaling
    if scaling == "channels" and not np.all(features.channel_scale == 1.0):
        return g.op("Div", xm, g.const(features.channel_scale.astype(np.float32)))
    if scaling != "series":
        return xm
    count = g.op("ReduceSum", mask3, g.ints(1), keepdims=1)  # (B, 1, 1)
    mean = g.op("Div", g.op("ReduceSum", xm, g.ints(1), keepdims=1), count)
    centred = g.op("Mul", g.op("Sub", x, mean), mask3)
    std = g.op("Sqrt", g.op("Div", g.op("ReduceSum", g.op("Mul", centred, centred), g.ints(1), keepdims=1), count))
    safe = g.op("Where", g.op("Greater", std, g.const(np.float32(1e-8))), std, g.const(np.float32(1.0)))
    return g.op("Div", centred, safe)


def kernel_graph(features: MiniRocketFeatures):
    """An ``onnx.ModelProto`` computing ``features.transform`` (see the module doc)."""
    from onnx import TensorProto, checker, helper

    if not features.fitted:
        raise RuntimeError("export of kernel features before fit")
    g = _Graph()
    c = features.n_channels
    mask3 = g.op("Unsqueeze", "mask", g.ints(2))  # (B, L, 1)
    xt = g.op("Transpose", _scaled_input(g, features, "x", mask3), perm=[0, 2, 1])  # (B, C, L)
    same_mask = g.op("Unsqueeze", "mask", g.ints(1))  # (B, 1, L)
    parts = []
    for j, d in enumerate(features.dilations.tolist()):
        half = 4 * d
        padded = g.op("Pad", xt, g.ints(0, 0, half, 0, 0, half))  # (B, C, L + 8d)
        diffs = []
        for tap in OFF_CENTRE.tolist():  # tap - centre, as the numpy side (exact zeros at rest)
            end = g.ints(-(8 - tap) * d) if tap < 8 else g.ints(INT64_MAX)
            diffs.append(g.op("Sub", g.op("Slice", padded, g.ints(tap * d), end, g.ints(2)), xt))
        cols = g.op("Concat", *diffs, axis=1)  # (B, 8C, L), rows tap-major as the weights
        weight = g.const(np.ascontiguousarray(features._weights[j][:, :N_BASE_KERNELS].T))  # (84, 8C)
        out = g.op("MatMul", weight, cols)  # (B, 84, L)
        before = g.op("Slice", g.op("Pad", "mask", g.ints(0, half, 0, 0)), g.ints(0), g.ints(-half), g.ints(1))
        after = g.op("Slice", g.op("Pad", "mask", g.ints(0, 0, 0, half)), g.ints(half), g.ints(INT64_MAX), g.ints(1))
        valid = g.op("Mul", g.op("Mul", "mask", before), after)  # (B, L): the kernel's span is all real samples
        has_valid = g.op("Greater", g.op("ReduceSum", valid, g.ints(1), keepdims=1), g.const(np.float32(0)))
        valid = g.op("Unsqueeze", g.op("Where", has_valid, valid, "mask"), g.ints(1))  # (B, 1, L)
        is_valid_kernel = (np.arange(N_BASE_KERNELS) + j) % 2 == 1
        rows = g.op("Where", g.const(is_valid_kernel.reshape(1, N_BASE_KERNELS, 1)), valid, same_mask)  # (B, 84, L)
        count = g.op("ReduceSum", rows, g.ints(2), keepdims=1)  # (B, 84, 1)
        biases = features._biases[j][:, :N_BASE_KERNELS].T  # (84, f)
        above = g.op("Cast", g.op("Greater", g.op("Unsqueeze", out, g.ints(2)), g.const(biases[None, :, :, None])),
                     to=TensorProto.FLOAT)  # (B, 84, f, L)
        hits = g.op("ReduceSum", g.op("Mul", above, g.op("Unsqueeze", rows, g.ints(2))), g.ints(3), keepdims=0)
        parts.append(g.op("Reshape", g.op("Div", hits, count), g.ints(0, -1)))  # (B, 84 f)
    g.nodes.append(helper.make_node("Concat", parts, ["features"], axis=1))
    graph = helper.make_graph(
        g.nodes, "minirocket_features",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", "L", c]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["B", "L"])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["B", features.n_features_out])],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="unimotion-studio")
    model.ir_version = min(model.ir_version, 8)  # readable by onnxruntime releases from 1.14 on
    checker.check_model(model)
    return model


def export_onnx(features: MiniRocketFeatures, path: str | Path) -> Path:
    """Write :func:`kernel_graph` of ``features`` to ``path`` (.onnx); returns the path."""
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(kernel_graph(features), str(path))
    return path


def pad_batch(series: list[np.ndarray], n_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """(x (B, L, C) zero-padded float32, mask (B, L)) for the graph, from prepared (T_i, C) series."""
    length = max(len(s) for s in series)
    x = np.zeros((len(series), length, n_channels), np.float32)
    mask = np.zeros((len(series), length), np.float32)
    for i, s in enumerate(series):
        x[i, : len(s)] = s
        mask[i, : len(s)] = 1.0
    return x, mask
