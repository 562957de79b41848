"""``studio pretrain``: reproducible pre-training of the motion encoder into a checkpoint folder.

    studio pretrain --preset shipped --out resources/model
    torchrun --nproc_per_node=2 -m studio.cli pretrain --preset tiny --out /tmp/ck   # DDP over gloo
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
    parser.add_argument("--uniform-mask", action="store_true", help="ablation: uniform instead of focused masking")
    parser.add_argument("--no-text", action="store_true", help="ablation: masked modelling only, no text stage")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads per process")
    parser.add_argument("--no-eval", action="store_true", help="skip the synthetic hold-out check at the end")


def _preset(args):
    from studio.model.config import PRESETS

    preset = PRESETS[args.preset]
    train = preset.train
    if args.steps is not None:
        total = train.mask_steps + train.contrastive_steps
        mask_steps = int(round(args.steps * train.mask_steps / max(1, total)))
        train = dataclasses.replace(train, mask_steps=mask_steps, contrastive_steps=args.steps - mask_steps)
    if args.seed is not None:
        train = dataclasses.replace(train, seed=args.seed)
    if args.no_text:
        train = dataclasses.replace(train, use_text=False)
    mask = dataclasses.replace(preset.mask, focused=False) if args.uniform_mask else preset.mask
    return dataclasses.replace(preset, train=train, mask=mask)


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
    command = "studio pretrain " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["pretrain"] else sys.argv[1:])
    info = {
        "command": command,
        "data": {"stage1": f"{preset.train.pool_unlabeled} synthetic windows from studio.synth (gestures + "
                           f"idle), re-augmented" + (f" + real: {args.unlabeled}" if args.unlabeled else ""),
                 "stage2": f"{preset.train.pool_pairs} motion-text pairs from studio.synth.sample_pair"
                           if preset.train.use_text else "none (no-text ablation)"},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
    }
    if info["world_size"] > 1:
        info["command"] = f"torchrun --nproc_per_node={info['world_size']} -m studio.cli " + command[len("studio "):]
    bar = tqdm(total=preset.train.mask_steps + preset.train.contrastive_steps, disable=rank != 0,
               unit="step", dynamic_ncols=True)

    def on_step(s) -> None:
        bar.n = s.step
        bar.set_postfix(stage=s.stage, loss=f"{s.loss:.3f}", refresh=False)
        bar.update(0)

    trainer = Pretrainer(preset, out=args.out, resume=args.resume, unlabeled=args.unlabeled,
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
    print(f"wrote {args.out}")
    return 0
