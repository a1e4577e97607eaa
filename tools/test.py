"""Evaluate a checkpoint: ``python tools/test.py CONFIG CKPT [--eval bbox segm]``.

``--eval`` picks the COCO metrics (bbox, segm, proposal), as the seed code bases' tools did;
without it the config's test evaluator decides. The AP numbers are printed at the end.
"""

import argparse
import json
import os
import os.path as osp

# Before torch loads OpenMP: waiting threads sleep rather than spin, which keeps CPU training
# fast when data-loader workers or other processes share the cores (see Makefile).
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Test (and evaluate) a detector checkpoint')
    p.add_argument('config', help='test config file')
    p.add_argument('checkpoint', help='checkpoint file')
    p.add_argument('--work-dir', help='where the metrics are saved')
    p.add_argument(
        '--eval', nargs='+', metavar='METRIC', help='COCO metrics to compute: bbox segm proposal'
    )
    p.add_argument('--out', help='also dump the raw predictions to this .pkl file')
    p.add_argument('--show-dir', help='draw predictions into this folder (in the work dir)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config entries')
    from dpt.apis.launch import parse_launcher_args

    return parse_launcher_args(p, argv)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.dist import is_main_process

    from dpt.apis import build_runner, cli_errors, format_metrics, load_config, prepare_test_config
    from dpt.engine.fileio import atomic_write_bytes

    with cli_errors('test'):
        cfg = load_config(args.config, args.cfg_options)
        prepare_test_config(
            cfg,
            args.config,
            args.checkpoint,
            args.work_dir,
            args.eval,
            args.out,
            args.show_dir,
            args.launcher,
        )
        from dpt.apis.checkpoints import check_testable

        check_testable(args.checkpoint)  # a pre-training checkpoint detects no classes
        metrics = build_runner(cfg).test()
        if is_main_process():
            print(f'\n{args.checkpoint} on {args.config}:\n{format_metrics(metrics)}')
            out = osp.join(cfg.work_dir, 'metrics.json')
            atomic_write_bytes(json.dumps(metrics, indent=1).encode(), out)
            print(f'metrics written to {out}')
        return metrics


if __name__ == '__main__':
    main()
