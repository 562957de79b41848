"""Quick checks of a pre-trained model on fresh synthetic data (a sanity signal, not the evaluation:
real-data evaluation lives in :mod:`studio.recognition.evaluate`), and its default rejection statistics."""

from __future__ import annotations

import numpy as np


def _render_set(names, n_per_class: int, rng, model, domain=None):
    from studio import synth

    heavy = (lambda: domain) if domain is not None else getattr(synth.Domain, "heavy", synth.Domain.default)
    embs, ys = [], []
    for ci, name in enumerate(names):
        for _ in range(n_per_class):
            rate = float(rng.choice([50.0, 100.0, 200.0]))
            embs.append(model.embed([synth.render_gesture(name, rng, rate_hz=rate, domain=heavy())], rate_hz=rate))
            ys.append(ci)
    return np.concatenate(embs), np.array(ys)


def synthetic_holdout(model, seed: int = 0, n_per_class: int = 12, shots=(1, 5)) -> dict:
    """Accuracy on freshly rendered gestures (heavy domain randomisation): zero-shot from the gesture
    descriptions, and k-shot with class prototypes = mean embedding of k takes (no text)."""
    from studio import synth

    rng = np.random.default_rng(seed)
    names = sorted(synth.GESTURES)
    emb, y = _render_set(names, n_per_class, rng, model)
    out = {}
    text = model.embed_text([synth.GESTURES[n].description for n in names])
    out["synth_zero_shot_acc"] = round(float(np.mean((emb @ text.T).argmax(1) == y)), 4)
    for k in shots:
        out[f"synth_{k}_shot_acc"] = _prototype_accuracy(emb, y, k, seed)
    # one person's own takes: the device held about the same way every time (orientation within 15 deg)
    emb, y = _render_set(names, n_per_class, rng, model, synth.Domain.default().with_(orientation_deg=15.0))
    for k in shots:
        out[f"synth_{k}_shot_acc_same_holding"] = _prototype_accuracy(emb, y, k, seed)
    out["synth_n_classes"] = len(names)
    return out


def feature_mean(model, seed: int = 0, n: int = 400) -> list[float]:
    """Mean pooled encoder feature over generated unlabeled motion (centres the few-shot feature space)."""
    import torch

    from studio.model.data import motion_pool, view_batch

    pre, k = model.preset.pre, model.preset.model.token_len
    rng = np.random.default_rng(seed)
    pool = motion_pool(n, rng, pre, k)
    b = view_batch(pool, range(n), [("full", 0)] * n, rng, pre, k)
    with torch.inference_mode():
        _, pooled = model.net.encoder(*(torch.from_numpy(a) for a in (b.x, b.valid, b.chan)))
    return [round(float(v), 6) for v in pooled.mean(0)]


def calibration(model, seed: int = 0, n: int = 60) -> dict:
    """Similarity statistics a recogniser uses before the user calibrates: how similar ordinary idle
    movement looks to gesture descriptions, versus how similar real gestures look to their own."""
    from studio import synth

    rng = np.random.default_rng(seed)
    names = sorted(synth.GESTURES)
    text = model.embed_text([synth.GESTURES[nm].description for nm in names])
    idle = [synth.render_idle(rng, model.window_s + 1.0, rate_hz=100.0) for _ in range(n)]
    idle_sim = (model.embed(idle) @ text.T).max(1)
    emb, y = _render_set(names, max(1, n // len(names)), rng, model)
    own = (emb @ text.T)[np.arange(len(y)), y]
    # how similar two performances of one gesture are in feature space (same holding, like one user's takes)
    same = synth.Domain.default().with_(orientation_deg=15.0)
    feats = []
    for name in names:
        windows = [synth.render_gesture(name, rng, 100.0, domain=same) for _ in range(3)]
        f = model.embed_features(windows, rate_hz=100.0)[1]
        feats += [float(f[i] @ f[j]) for i in range(3) for j in range(i + 1, 3)]
    idle_feat = model.embed_features(idle, rate_hz=100.0)[1]
    return {"feature_sim_p10": round(float(np.percentile(feats, 10)), 4),
            "feature_sim_median": round(float(np.median(feats)), 4),
            "idle_feature_sim_median": round(float(np.median(idle_feat @ idle_feat.T)), 4),
            "idle_text_sim_p95": round(float(np.percentile(idle_sim, 95)), 4),
            "gesture_text_sim_p10": round(float(np.percentile(own, 10)), 4),
            "gesture_text_sim_median": round(float(np.median(own)), 4)}


def _prototype_accuracy(emb: np.ndarray, y: np.ndarray, k: int, seed: int, repeats: int = 3) -> float:
    """Nearest-class-mean accuracy with ``k`` support takes per class, averaged over ``repeats`` draws."""
    classes = range(int(y.max()) + 1)
    accs = []
    for rep in range(repeats):
        r = np.random.default_rng(seed + rep)
        support = np.concatenate([r.choice(np.flatnonzero(y == c), k, replace=False) for c in classes])
        query = np.setdiff1d(np.arange(len(y)), support)
        protos = np.stack([emb[support][y[support] == c].mean(0) for c in classes])
        accs.append(np.mean((emb[query] @ protos.T).argmax(1) == y[query]))
    return round(float(np.mean(accs)), 4)
