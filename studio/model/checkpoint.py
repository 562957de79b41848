"""Self-describing checkpoints: tensors in safetensors, everything else in JSON. Never pickles.

A checkpoint folder holds
  model.safetensors  the network's state dict
  config.json        format tag, preset (preprocessing, tokens, model, masking, training), step, metrics,
                     data description, provenance (command, time taken), calibration
  train_state.safetensors + train_state.json   (optional) optimizer moments and RNG state for --resume
Loading uses ``safetensors.torch.load_file`` and ``json`` only, so a shared file cannot run code.
torch is imported by the functions that handle tensors only: reading a config (what the onnxruntime model
needs) does not load it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from studio.model.config import ConfigError, Preset

FORMAT = "unimotion-checkpoint"
VERSION = 1


class CheckpointError(Exception):
    """A checkpoint folder is missing, corrupt or of another format; the message says which file."""


def _atomic_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, path)


def _atomic_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    from safetensors.torch import save_file

    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
    os.replace(tmp, path)


def save_checkpoint(folder, net: torch.nn.Module, preset: Preset, step: int, metrics: dict | None = None,
                    info: dict | None = None) -> Path:
    """Write ``model.safetensors`` + ``config.json`` into ``folder`` (created). Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_tensors(folder / "model.safetensors", net.state_dict())
    meta = {"format": FORMAT, "version": VERSION, "preset": preset.to_dict(), "step": int(step),
            "metrics": metrics or {}, **(info or {})}
    _atomic_json(folder / "config.json", meta)
    return folder


def read_config(folder) -> dict:
    """The checkpoint's ``config.json`` as a dict (CheckpointError if missing/corrupt/foreign)."""
    path = Path(folder) / "config.json"
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {folder}: {path.name} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a UniMotion checkpoint (format tag missing)")
    return meta


def load_tensors(path) -> dict[str, torch.Tensor]:
    """Tensors from a safetensors file (CheckpointError if missing or corrupt)."""
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing") from None
    except Exception as exc:  # safetensors raises its own error types for truncated/corrupt files
        raise CheckpointError(f"{path} is corrupt ({exc})") from None


def load_checkpoint(folder):
    """(net: MotionTextModel in eval mode, preset, meta dict) from a checkpoint folder."""
    import torch

    from studio.model.encoder import MotionTextModel

    meta = read_config(folder)
    if "preset" not in meta:
        raise CheckpointError(f"{Path(folder) / 'config.json'} has no 'preset' (the model's configuration)")
    try:
        preset = Preset.from_dict(meta["preset"])
    except ConfigError as exc:
        raise CheckpointError(f"{Path(folder) / 'config.json'}: {exc}") from None
    net = MotionTextModel(preset.model)
    state = load_tensors(Path(folder) / "model.safetensors")
    bad = [name for name, t in state.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise CheckpointError(f"weights in {folder} are not all finite numbers (NaN or infinite in "
                              f"{', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''})")
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"weights in {folder} do not match its config ({exc})") from None
    return net.eval(), preset, meta


def save_train_state(folder, optimizer: torch.optim.Optimizer, extra: dict) -> None:
    """Optimizer moments (safetensors) and scalars/RNG state (JSON) so training can resume exactly."""
    import torch

    folder = Path(folder)
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {"torch_rng": torch.get_rng_state()}
    scalars: dict[str, dict] = {}
    for pid, st in sd["state"].items():
        for name, value in st.items():
            if torch.is_tensor(value):
                tensors[f"opt.{pid}.{name}"] = value
            else:
                scalars.setdefault(str(pid), {})[name] = value
    _atomic_tensors(folder / "train_state.safetensors", tensors)
    _atomic_json(folder / "train_state.json", {"param_groups": sd["param_groups"], "scalars": scalars, **extra})


def load_train_state(folder, optimizer: torch.optim.Optimizer) -> dict:
    """Restore what :func:`save_train_state` wrote; returns its extra dict (step, stage, rng state...)."""
    import torch

    folder = Path(folder)
    try:
        meta = json.loads((folder / "train_state.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot resume from {folder}: train_state.json unreadable ({exc})") from None
    tensors = load_tensors(folder / "train_state.safetensors")
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = value
    for pid, sc in meta.pop("scalars").items():
        state.setdefault(int(pid), {}).update(sc)
    optimizer.load_state_dict({"state": state, "param_groups": meta.pop("param_groups")})
    torch.set_rng_state(tensors["torch_rng"])
    return meta
