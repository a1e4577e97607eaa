"""Train a detector from a config: ``python tools/train.py CONFIG [--work-dir D] [--resume]``.

mmdet's conventions: ``--amp``, ``--auto-scale-lr``, ``--resume [auto|CKPT]``,
``--cfg-options k=v``, ``--launcher pytorch`` (tools/dist_train.sh sets it).
"""

import argparse
import os

# Before torch loads OpenMP: waiting threads sleep rather than spin, which keeps CPU training
# fast when data-loader workers or other processes share the cores (see Makefile).
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Train a detector')
    p.add_argument('config', help='train config file')
    p.add_argument(
        '--work-dir', help='where logs and checkpoints go (default: work_dirs/<config name>)'
    )
    p.add_argument('--amp', action='store_true', help='automatic mixed precision')
    p.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by (total batch) / auto_scale_lr.base_batch_size',
    )
    p.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT, or with no value from the newest checkpoint in '
        'the work dir (starting afresh if there is none)',
    )
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. load_from=pretrain/epoch_12.pth',
    )
    p.add_argument(
        '--tensorboard',
        action='store_true',
        help='also write TensorBoard event files (WORK_DIR/<time>/vis_data/)',
    )
    from dpt.apis.launch import parse_launcher_args

    return parse_launcher_args(p, argv)


def main(argv=None):
    args = parse_args(argv)
    from dpt.apis import build_runner, cli_errors, load_config, prepare_train_config

    with cli_errors('train'):
        cfg = load_config(args.config, args.cfg_options)
        prepare_train_config(
            cfg,
            args.config,
            args.work_dir,
            args.amp,
            args.auto_scale_lr,
            args.resume,
            args.launcher,
        )
        if args.tensorboard:
            from dpt.apis.tensorboard import enable_tensorboard

            enable_tensorboard(cfg)
        build_runner(cfg).train()


if __name__ == '__main__':
    main()
