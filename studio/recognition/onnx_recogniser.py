"""A gesture set's fused recogniser as one ONNX graph plus data files, and a torch-free runner for it.

``export_recogniser`` folds the encoder, the kernel model (MiniRocket features, ridge, take features) and the
fusion of :class:`studio.recognition.recogniser.Recogniser` into ``recogniser.onnx``:

  inputs   x (B, L, 6), valid (B, L), chan (B, 6)   the encoder's preprocessed window
           kx (B, Lk, 6), kmask (B, Lk)             the kernel model's input: the window at the model rate
  outputs  rank (B, K)       the fused ranking score R: the best class is its argmax
           evidence (B, K)   the evidence A: accepted when A[best] >= the threshold

``classes.npz`` holds every array the scores are made of and ``recogniser.json`` the class names, constants,
weights and thresholds, so the same numbers can be recomputed from ``encoder.onnx`` and ``kernels.onnx``
with the formulas in the export's README (``tests/test_export.py`` does exactly that in numpy).
:class:`OnnxRecogniser` runs the graph with numpy + onnxruntime only and can drive the live spotter.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from studio.model.export import OPSET, OnnxEncoder, encoder_graph, onnx_export, preprocess_description, write_json
from studio.signals.stream import CANONICAL_CHANNELS

RECOGNISER_FILE = "recogniser.onnx"
KERNELS_FILE = "kernels.onnx"
RECOGNISER_JSON = "recogniser.json"
CLASSES_FILE = "classes.npz"
FORMAT = "unimotion-recogniser"
VERSION = 2
SOURCES = ("encoder", "kernel")


README_SECTION = """- `recogniser.onnx`: the whole recogniser in one graph. Inputs `x`, `valid`, `chan` (as `encoder.onnx`)
  and `kx` (B, Lk, 6) float32, `kmask` (B, Lk) float32: the kernel model's input (below). Outputs `rank`
  (B, K), the fused ranking score (the best class is its argmax), and `evidence` (B, K): a window is
  "none of these" when `evidence[best] < thresholds[best]` (`recogniser.json`).
- `kernels.onnx`: the kernel model's features alone: `x` (B, Lk, 6), `mask` (B, Lk) -> `features` (B, F).
- `recogniser.json`: `classes` (K names, in output order), `sources` ({sources}), `weights` (one per source),
  `thresholds` (K, at the `sensitivity` it was exported with), `temperature`, `mean_weight`, `text_prior`.
- `classes.npz`: every array of the scores below, by name.

The recogniser in formulas (what `recogniser.onnx` computes; `studio/recognition/recogniser.py` is the
reference). For a window, `e` = `embedding`, `f` = `features` of `encoder.onnx`; `u` = `features` of
`kernels.onnx`. cos(a, b) is a . b / (|a| |b|); rows of `enc_takes`, `ker_takes` are unit vectors.
Kernel input: the window resampled to the model rate as in step 2 above (canonical channel order),
trailing all-NaN rows dropped, a NaN inside a channel replaced by that channel's previous value, an
all-NaN (absent) channel set to 0; `kmask` = 1 on real samples, padding 0 at the end.
1. Encoder score of class k with n_k takes (`enc_take_valid[k]` marks them), w_k = `text_weight[k]`
   = {text_prior:g} / ({text_prior:g} + n_k) (1 without takes):
   enc_k = w_k * cos(e, text[k]) + (1 - w_k) * take_k(f, enc_takes[k]),
   take_k(q, T) = {mean_weight:g} * cos(q, mean of T) + {other_weight:g} * max over T of cos(q, t).
2. Kernel scores (classes with takes, `ker_has_takes`): the absolute one on u' = (u - prior_mean) /
   prior_scale, ker_k = take_k(u', ker_takes[k]); the ranking one, ridge_k = unit((u - ridge_mean) /
   ridge_std) . ridge_coef[:, k].
3. rank_k = weights[encoder] * z(enc)_k + weights[kernel] * z(ridge)_k, where z(v) = (v - mean) /
   sqrt(var + 1e-6), mean and variance over the classes that have the score (z = 0 for the others).
4. evidence_k = sum over sources s of share[s, k] * (score_s,k - neg[s, k]) / span[s, k] (score_s,k =
   enc_k or ker_k; share 0 where a source does not separate class k's takes from ordinary movement, by at
   least {min_span:g}).
5. best = argmax rank; accepted when evidence_best >= thresholds[best]; confidence =
   softmax(rank / {rank_temperature:g})[best].
"""


def readme_section() -> str:
    """The recogniser's part of the export README, with the code's own constants filled in."""
    from studio.recognition import recogniser as R
    from studio.recognition.sources import MEAN_WEIGHT, TEXT_PRIOR

    return README_SECTION.format(sources=", ".join(SOURCES), text_prior=TEXT_PRIOR, mean_weight=MEAN_WEIGHT,
                                 other_weight=1 - MEAN_WEIGHT, min_span=R.MIN_SPAN,
                                 rank_temperature=R.TEMPERATURE * 20.0)


def recogniser_state(rec) -> dict:
    """Every array and constant that decides a Recogniser's rank and evidence (see the module docstring).

    Reads the Recogniser's internals under its lock: keep in step with
    :mod:`studio.recognition.recogniser` (the parity test fails if the two drift apart)."""
    from studio.recognition import recogniser as R
    from studio.recognition.sources import MEAN_WEIGHT, TEXT_PRIOR

    with rec._lock:
        rec._refresh()
        names = list(rec._classes)
        if not names:
            raise ValueError("the gesture set has no classes to export")
        classes = [rec._classes[n] for n in names]
        k = len(names)
        n_max = max(1, max(len(c.takes) for c in classes))
        d = rec.model.preset.model.d_model
        st = {"classes": names, "texts": [c.text for c in classes], "n_takes": [len(c.takes) for c in classes]}
        st["text"] = np.stack([c.enc.text_emb for c in classes]).astype(np.float32)  # (K, E)
        st["enc_takes"] = np.zeros((k, n_max, d), np.float32)
        st["enc_take_valid"] = np.zeros((k, n_max), np.float32)
        st["text_weight"] = np.ones(k, np.float32)
        for i, c in enumerate(classes):
            n = len(c.takes)
            if n:
                st["enc_takes"][i, :n] = c.enc.take_feat
                st["enc_take_valid"][i, :n] = 1.0
                st["text_weight"][i] = TEXT_PRIOR / (TEXT_PRIOR + n)
        kernel = rec._ridge is not None
        st["kernel"] = kernel
        if kernel:
            kf = rec._kernel.features
            q = kf.feature_quantiles.astype(np.float64)
            f = kf.n_features_out
            st["prior_mean"] = (1.0 - q).astype(np.float32)
            st["prior_scale"] = np.sqrt(np.maximum(q * (1.0 - q), 0.0025)).astype(np.float32)
            st["ridge_mean"] = rec._kernel.mean.astype(np.float32)
            st["ridge_std"] = rec._kernel.std.astype(np.float32)
            z, coef, cols, _ = rec._ridge
            st["ridge_coef"] = np.zeros((f, k), np.float32)  # unit ridge features -> score per class
            st["ridge_coef"][:, cols] = z.T @ coef
            st["ker_takes"] = np.zeros((k, n_max, f), np.float32)
            st["ker_take_valid"] = np.zeros((k, n_max), np.float32)
            for i, c in enumerate(classes):
                if len(c.ker):
                    st["ker_takes"][i, :len(c.ker)] = c.ker
                    st["ker_take_valid"][i, :len(c.ker)] = 1.0
            st["ker_has_takes"] = (st["ker_take_valid"].sum(1) > 0).astype(np.float32)
            st["kernel_features"] = kf.to_arrays()
        # evidence: per source and class, its level and the weight it has in the evidence (0 = left out)
        sources = [s for s in SOURCES if s in rec.sources and (s != "kernel" or kernel)]
        st["sources"] = sources
        st["weights"] = np.array([rec.weights.get(s, 0.0) for s in sources], np.float32)
        st["neg"] = np.zeros((len(sources), k), np.float32)
        st["span"] = np.ones((len(sources), k), np.float32)
        st["share"] = np.zeros((len(sources), k), np.float32)
        for i, c in enumerate(classes):
            levels = {}
            for si, s in enumerate(sources):
                if s == "kernel" and not len(c.ker):
                    continue
                levels[s] = (rec._pos(c, s), rec._neg.get(c.name, {}).get(s, rec._default_neg_level(s)))
            separating = {s: lv for s, lv in levels.items() if lv[0] - lv[1] >= R.MIN_SPAN} or levels
            total = sum(rec.weights.get(s, 0.0) for s in separating)
            for s, (pos, neg) in separating.items():
                si = sources.index(s)
                st["neg"][si, i], st["span"][si, i] = neg, max(pos - neg, R.MIN_SPAN)
                st["share"][si, i] = rec.weights.get(s, 0.0) / max(total, 1e-9)
        st.update(mean_weight=float(MEAN_WEIGHT), text_prior=float(TEXT_PRIOR), min_span=float(R.MIN_SPAN),
                  threshold=float(rec.threshold), sensitivity=float(rec.sensitivity),
                  temperature=float(rec.temperature))
        st["thresholds"] = [float(_class_threshold(rec, n)) for n in names]
        return st


def _class_threshold(rec, name: str) -> float:
    info = rec.class_info(name)
    return float(info.get("threshold", rec.threshold))


def _graph(model, st: dict):
    """A torch module: (x, valid, chan, kfeat) -> (rank (B, K), evidence (B, K))."""
    import torch
    import torch.nn.functional as F

    class _Fusion(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder_graph(model)
            arrays = ["text", "enc_takes", "enc_take_valid", "text_weight", "weights", "neg", "span", "share"]
            if st["kernel"]:
                arrays += ["prior_mean", "prior_scale", "ridge_mean", "ridge_std", "ridge_coef", "ker_takes",
                           "ker_take_valid", "ker_has_takes"]
            for name in arrays:
                self.register_buffer(name, torch.from_numpy(np.asarray(st[name], np.float32)))
            self.kernel = bool(st["kernel"])
            self.mw = float(st["mean_weight"])

        def take_part(self, q, takes, valid):  # q (B, D) unit; takes (K, N, D) unit; valid (K, N)
            proto = F.normalize((takes * valid[..., None]).sum(1), dim=-1)  # (K, D)
            near = torch.einsum("bd,knd->bkn", q, takes) * valid - 2.0 * (1 - valid)
            return self.mw * (q @ proto.T) + (1 - self.mw) * near.max(dim=2).values  # (B, K)

        @staticmethod
        def zscore(v, mask):  # z-score over the classes in mask (K,)
            n = mask.sum().clamp_min(1.0)
            mean = (v * mask).sum(1, keepdim=True) / n
            var = (((v - mean) ** 2) * mask).sum(1, keepdim=True) / n
            return (v - mean) / torch.sqrt(var + 1e-6) * mask

        def forward(self, x, valid, chan, kfeat):
            joint, feat = self.encoder(x, valid, chan)  # (B, E), (B, D)
            w = self.text_weight
            enc = w * (joint @ self.text.T) + (1 - w) * self.take_part(feat, self.enc_takes, self.enc_take_valid)
            ones = torch.ones_like(w)
            rank = self.weights[0] * self.zscore(enc, ones)
            evidence = self.share[0] * (enc - self.neg[0]) / self.span[0]
            if self.kernel:
                u = F.normalize((kfeat - self.prior_mean) / self.prior_scale, dim=-1)
                ker = self.take_part(u, self.ker_takes, self.ker_take_valid)
                r = F.normalize((kfeat - self.ridge_mean) / self.ridge_std, dim=-1) @ self.ridge_coef
                rank = rank + self.weights[1] * self.zscore(r, self.ker_has_takes)
                evidence = evidence + self.share[1] * (ker - self.neg[1]) / self.span[1] * self.ker_has_takes
            return rank, evidence

    return _Fusion()


def export_recogniser(model, rec, out_dir, opset: int = OPSET, check: bool = True) -> dict:
    """Write ``recogniser.onnx``, ``kernels.onnx``, ``recogniser.json`` and ``classes.npz`` into ``out_dir``.

    Returns {"path", "json", "classes", "max_abs_diff"}: the largest difference between the ONNX rank and
    evidence and the Recogniser's own on varied example windows (None when ``check`` is False)."""
    import onnx
    import torch

    from studio.model.export import _example_batch

    st = recogniser_state(rec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / RECOGNISER_FILE
    ex = _example_batch(model, 2)
    n_feat = st["ridge_coef"].shape[0] if st["kernel"] else 1
    args = tuple(torch.from_numpy(a) for a in (ex.x, ex.valid, ex.chan)) + (torch.zeros(2, n_feat),)
    names = ("x", "valid", "chan", "kfeat")
    dynamic = {n: {0: "batch"} for n in (*names, "rank", "evidence")}
    dynamic["x"], dynamic["valid"] = {0: "batch", 1: "length"}, {0: "batch", 1: "length"}
    fusion_path = out / "fusion.tmp.onnx"
    onnx_export(_graph(model, st), args, fusion_path, ["rank", "evidence"], dynamic, opset, input_names=names)
    fusion = onnx.load(str(fusion_path))
    fusion_path.unlink()
    if st["kernel"]:
        from onnx import compose

        from studio.recognition.kernels_onnx import kernel_graph

        kernels = kernel_graph(rec._kernel.features)
        onnx.save(kernels, str(out / KERNELS_FILE))
        kernels = compose.add_prefix(kernels, prefix="k")  # inputs kx, kmask; output kfeatures
        kernels.ir_version = fusion.ir_version = min(fusion.ir_version, kernels.ir_version)
        merged = compose.merge_models(kernels, fusion, io_map=[("kfeatures", "kfeat")])
        onnx.save(merged, str(path))
    else:
        onnx.save(fusion, str(path))
    arrays = {k: np.asarray(v) for k, v in st.items() if isinstance(v, np.ndarray)}
    arrays.update({f"kernel_{k}": np.asarray(v) for k, v in st.get("kernel_features", {}).items()})
    np.savez(out / CLASSES_FILE, **arrays)
    meta = {k: st[k] for k in ("classes", "texts", "n_takes", "sources", "mean_weight", "text_prior", "min_span",
                               "threshold", "thresholds", "sensitivity", "temperature", "kernel")}
    meta.update(weights=st["weights"].tolist(), preprocessing=preprocess_description(model), format=FORMAT,
                version=VERSION)
    write_json(out / RECOGNISER_JSON, meta)
    diff = None
    if check:
        rng = np.random.default_rng(3)
        onnx_rec = OnnxRecogniser(out)
        windows = [rng.normal(0, s, (int(model.rate_hz * sec), 6)).astype(np.float32) * [1, 1, 1, 150, 150, 150]
                   for s, sec in ((0.05, 1.0), (0.3, 2.5), (1.0, 6.0))]
        diff = 0.0
        for w in windows:
            ref = rec.similarities(w, model.rate_hz)
            got = onnx_rec.similarities(w, model.rate_hz)
            diff = max(diff, max(abs(got[n] - ref[n]) for n in ref))
            names_r, fused = rec.rank([w], model.rate_hz)
            rank = onnx_rec.rank([w], model.rate_hz)
            diff = max(diff, float(np.abs(rank[0] - fused[0]).max()))
    return {"path": str(path), "json": str(out / RECOGNISER_JSON), "classes": st["classes"],
            "max_abs_diff": None if diff is None else float(diff)}


class OnnxRecogniser:
    """An exported gesture set, run with numpy + onnxruntime only (no torch).

    ``predict(window, rate_hz, channels)`` follows :meth:`Recogniser.predict`: the best class by the fused
    ranking, rejected when its evidence is below that class's threshold; ``similarities`` gives the evidence
    per class, as the Recogniser's.
    """

    def __init__(self, folder, threads: int = 1) -> None:
        from studio.model.config import PreprocessConfig

        folder = Path(folder)
        try:
            meta = json.loads((folder / RECOGNISER_JSON).read_text())
        except (FileNotFoundError, json.JSONDecodeError) as exc:
            raise ValueError(f"{folder / RECOGNISER_JSON} cannot be read: {exc}") from None
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ValueError(f"{folder / RECOGNISER_JSON} is not an exported UniMotion recogniser of version {VERSION}")
        self.classes: list[str] = list(meta["classes"])
        self.thresholds = np.asarray(meta["thresholds"], np.float64)
        self.temperature = float(meta["temperature"])
        self.kernel = bool(meta["kernel"])
        pre = meta["preprocessing"]
        self.pre = PreprocessConfig(rate_hz=pre["rate_hz"], window_s=pre["window_s"], acc_scale=pre["acc_scale"],
                                    gyro_scale=pre["gyro_scale"], remove_acc_mean=pre["remove_acc_mean"],
                                    unknown_rate_hz=pre.get("unknown_rate_hz", 100.0))
        self.token_len = int(pre["token_len"])
        self._session = OnnxEncoder(folder / RECOGNISER_FILE, threads)

    def _run(self, windows, rate_hz: float, channels) -> tuple[np.ndarray, np.ndarray]:
        from studio.model.preprocess import preprocess
        from studio.recognition.kernel_ops import prepare_series
        from studio.recognition.kernels_onnx import pad_batch
        from studio.recognition.sources import kernel_input

        windows = [np.asarray(w, np.float32) for w in windows]
        batch = preprocess(windows, tuple(channels), rate_hz, self.pre, self.token_len)
        feeds = {"x": batch.x, "valid": batch.valid, "chan": batch.chan}
        if self.kernel:
            series = [prepare_series(kernel_input(w, channels, rate_hz, self.pre), 6) for w in windows]
            feeds["kx"], feeds["kmask"] = pad_batch(series, 6)
        rank, evidence = self._session.session.run(None, feeds)
        return rank.astype(np.float64), evidence.astype(np.float64)

    def rank(self, windows, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> np.ndarray:
        return self._run(windows, rate_hz, channels)[0]

    def similarities(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> dict[str, float]:
        return dict(zip(self.classes, self._run([window], rate_hz, channels)[1][0].tolist()))

    def similarities_many(self, windows, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS) -> list[dict[str, float]]:
        if not len(windows):
            return []
        evidence = self._run(windows, rate_hz, channels)[1]
        return [dict(zip(self.classes, row.tolist())) for row in evidence]

    def predict(self, window, rate_hz: float = 100.0, channels=CANONICAL_CHANNELS):
        from studio.recognition.recogniser import Prediction

        window = np.asarray(window, np.float32)
        if window.size == 0 or not np.isfinite(window).any():
            return Prediction(None, 0.0, {}, True)
        rank, evidence = self._run([window], rate_hz, channels)
        rank, evidence = rank[0], evidence[0]
        best = int(np.argmax(rank)) if len(self.classes) > 1 else 0
        v = rank / max(self.temperature * 20.0, 1e-6)
        p = np.exp(v - v.max())
        p /= p.sum()
        rejected = bool(evidence[best] < self.thresholds[best])
        return Prediction(None if rejected else self.classes[best], float(p[best]),
                          dict(zip(self.classes, p.tolist())), rejected, float(evidence[best]),
                          float(self.thresholds[best]))
