"""``studio pretrain``: reproducible pre-training of the motion encoder into a checkpoint folder.

    studio pretrain --preset shipped --out resources/model
    torchrun --nproc_per_node=2 -m studio.cli pretrain --preset tiny --out /tmp/ck   # DDP over gloo

Real unlabeled data (``--real``, on by default for the shipped and ablation presets): the train parts of
the packaged evaluation sets (resources/sample_sets/*.npz; their test parts are never read) and aeon's
Daphnet walking recording. Ablations: ``--uniform-mask``, ``--no-text``, ``--no-real``, ``--no-universe``
(catalogue gestures and activities only, no procedural programs).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from studio.model.config import PRESETS

    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny", help="configuration preset")
    parser.add_argument("--out", required=True, help="checkpoint folder (model.safetensors + config.json)")
    parser.add_argument("--resume", action="store_true", help="continue from the training state in --out")
    parser.add_argument("--steps", type=int, default=None,
                        help="total steps (split between the two stages in the preset's proportion)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the preset's)")
    parser.add_argument("--unlabeled", action="append", default=[], metavar="NPZ",
                        help="real unlabeled windows (X, channels, rate_hz) added to stage 1; repeatable; "
                             "a file with a split contributes its 'train' rows only")
    parser.add_argument("--real", dest="real", action="store_true", default=None,
                        help="add the packaged sets' train parts and aeon's Daphnet recording as real unlabeled "
                             "data (default for the shipped and ablation presets)")
    parser.add_argument("--no-real", dest="real", action="store_false", help="ablation: synthetic data only")
    parser.add_argument("--uniform-mask", action="store_true", help="ablation: uniform instead of focused masking")
    parser.add_argument("--no-text", action="store_true", help="ablation: no text-motion loss")
    parser.add_argument("--no-universe", action="store_true",
                        help="ablation: no procedural movement programs (catalogue gestures and activities only)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads per process")
    parser.add_argument("--no-eval", action="store_true", help="skip the synthetic hold-out check at the end")


def _preset(args):
    from studio.model.config import PRESETS

    preset = PRESETS[args.preset]
    train = preset.train
    if args.steps is not None:
        total = train.mask_steps + train.joint_steps
        mask_steps = int(round(args.steps * train.mask_steps / max(1, total)))
        train = dataclasses.replace(train, mask_steps=mask_steps, joint_steps=args.steps - mask_steps)
    if args.seed is not None:
        train = dataclasses.replace(train, seed=args.seed)
    if args.no_text:
        train = dataclasses.replace(train, use_text=False)
    if args.no_universe:
        _, catalogue, activity = train.source_weights
        train = dataclasses.replace(train, source_weights=(0.0, catalogue, activity))
    mask = dataclasses.replace(preset.mask, focused=False) if args.uniform_mask else preset.mask
    return dataclasses.replace(preset, train=train, mask=mask)


def real_set_files() -> list:
    """The packaged evaluation sets (only their train parts are read for pre-training)."""
    from studio.shipped import resource_path

    return sorted(resource_path("sample_sets").glob("*.npz"))


def run(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    from studio.model.checkpoint import read_config, save_checkpoint
    from studio.model.pretrain import Pretrainer

    if args.threads:
        torch.set_num_threads(args.threads)
    elif int(os.environ.get("WORLD_SIZE", "1")) > 1:
        torch.set_num_threads(1)  # one process per core under torchrun
    preset = _preset(args)
    rank = int(os.environ.get("RANK", "0"))
    unlabeled, real_series, real_names = list(args.unlabeled), [], []
    if args.real if args.real is not None else args.preset != "tiny":
        unlabeled += [str(p) for p in real_set_files()]
        from studio.recognition.real_sets import daphnet_walking

        real_series.append(daphnet_walking())
        real_names = ["train parts of " + ", ".join(p.stem for p in real_set_files()), "aeon Daphnet S06R02E0"]
    command = "studio pretrain " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["pretrain"] else sys.argv[1:])
    info = {
        "command": command,
        "data": {"universe": f"{preset.train.n_classes} classes x {preset.train.renders} performances from "
                             f"studio.synth.universe (program/catalogue/activity weights "
                             f"{list(preset.train.source_weights)}), {preset.train.n_motion} random-movement windows",
                 "real_unlabeled": real_names + list(args.unlabeled),
                 "text": "generated descriptions, frozen MiniLM" if preset.train.use_text else "none (ablation)"},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
    }
    if info["world_size"] > 1:
        info["command"] = f"torchrun --nproc_per_node={info['world_size']} -m studio.cli " + command[len("studio "):]
    bar = tqdm(total=preset.train.mask_steps + preset.train.joint_steps, disable=rank != 0,
               unit="step", dynamic_ncols=True)

    def on_step(s) -> None:
        bar.n = s.step
        bar.set_postfix(stage=s.stage, loss=f"{s.loss:.3f}", refresh=False)
        bar.update(0)

    trainer = Pretrainer(preset, out=args.out, resume=args.resume, unlabeled=unlabeled, real_series=real_series,
                         on_step=on_step, on_status=lambda t: tqdm.write(t), info=info)
    started = time.time()
    before = 0.0
    if args.resume:
        try:
            before = float(read_config(args.out).get("seconds_total", 0.0))
        except Exception:  # nothing to resume from yet: the trainer starts fresh
            before = 0.0
    metrics = trainer.run()
    bar.close()
    if rank != 0:
        return 0
    if not args.no_eval:
        from studio.model.holdout import calibration, feature_mean, synthetic_holdout
        from studio.model.motion_model import MotionModel

        model = MotionModel(trainer.net.eval(), preset)
        info["feature_mean"] = feature_mean(model, seed=preset.train.seed + 777)
        model.meta["feature_mean"] = info["feature_mean"]
        metrics.update(synthetic_holdout(model, seed=preset.train.seed + 12345))
        info["calibration"] = calibration(model, seed=preset.train.seed + 999)
    meta = read_config(args.out)
    metrics["seconds"] = round(time.time() - started + before, 1)
    info["seconds_total"] = metrics["seconds"]
    save_checkpoint(args.out, trainer.net, preset, meta["step"], metrics, info)
    for key, value in metrics.items():
        print(f"{key}: {value}")
    from studio.model.export import export_inference
    from studio.model.motion_model import load_model

    parity = export_inference(load_model(args.out), args.out)
    print(f"encoder.onnx and text_head.onnx for onnxruntime inference (max abs diff vs torch "
          f"{parity['max_abs_diff']:.1e})")
    print(f"wrote {args.out}")
    return 0
