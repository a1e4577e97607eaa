#!/usr/bin/env python
"""Direct pre-training step vs fine-tuning step of Faster R-CNN R50-FPN, side by side.

The seed (arXiv 2106.03112) claims that pre-training at low resolution on the target data is
over 11x faster than ImageNet pre-training. This measures the part of that claim a training
step can show: one pre-training step (448x448 crops, trainable BN, random init; the
``direct-pretrain-p1x`` config) against one fine-tuning step (800x1333, frozen BN and stage 1;
the ``direct-finetune-p1x_1x`` config), each in a fresh process (``benchmarks/run.py``'s
measuring function), on CPU and on CUDA where present. Rows at batch 2 compare equal batches;
the pre-training config's own batch (8 per GPU) is measured too.

    python benchmarks/direct_pretraining.py [--device cpu|cuda|all] [--out r.json] [--markdown]
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (benchmarks/run.py)

CONFIGS = os.path.join(bench.ROOT, 'configs', 'direct_pretraining')
PRETRAIN = os.path.join(CONFIGS, 'faster-rcnn_r50_fpn_direct-pretrain-p1x_coco.py')
FINETUNE = os.path.join(CONFIGS, 'faster-rcnn_r50_fpn_direct-finetune-p1x_1x_coco.py')
# (row name, config, size, batch)
ROWS = [
    ('pre-train 448, batch 2', PRETRAIN, 'low', 2),
    ('pre-train 448, batch 8', PRETRAIN, 'low', 8),
    ('fine-tune 800x1333, batch 2', FINETUNE, 'full', 2),
]


def ratio_lines(rows):
    """Images/s and peak-memory ratios of each pre-training row to the fine-tuning row."""
    lines = []
    for device in dict.fromkeys(r['device'] for r in rows):
        done = [r for r in rows if r['device'] == device and 'error' not in r]
        base = next((r for r in done if r['size'] == 'full'), None)
        if base is None:
            continue
        for r in done:
            if r is not base:
                lines.append(
                    f"{device}: {r['model']} is {r['images_per_s'] / base['images_per_s']:.2f}x"
                    f" the images/s of {base['model']}, with "
                    f"{r['peak_mb'] / base['peak_mb']:.2f}x its peak memory"
                )
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', choices=['cpu', 'cuda', 'all'], default='all')
    p.add_argument('--steps', type=int, default=2, help='timed steps after the warm-up')
    p.add_argument('--timeout', type=int, default=1200)
    p.add_argument('--out', help='write rows and machine info to this JSON file')
    p.add_argument('--markdown', action='store_true')
    args = p.parse_args(argv)
    proc = subprocess.run(
        [sys.executable, bench.__file__, '--info'],
        capture_output=True,
        text=True,
        env=bench.child_env(),
    )
    if bench.RESULT_TAG not in proc.stdout:
        sys.exit(f'cannot import torch/mmcv/mmdet:\n{proc.stderr}')
    info = json.loads(proc.stdout.split(bench.RESULT_TAG)[-1])
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, GPU: {info['gpu'] or 'none'}", flush=True
    )
    devices = {
        'cpu': ['cpu'],
        'cuda': ['cuda'],
        'all': ['cpu'] + (['cuda'] if info['cuda'] else []),
    }[args.device]
    rows = []
    for device in devices:
        for name, config, size, batch in ROWS:
            row = bench.run_one(name, config, size, device, args.steps, args.timeout, batch=batch)
            rows.append(row)
            print(f'{device} {name}: ' + ' '.join(bench.format_row(row)[3:]), flush=True)
            if args.out:
                bench.write_json(
                    args.out, dict(machine=info, rows=rows, date=time.strftime('%Y-%m-%d %H:%M'))
                )
    print()
    print(bench.format_table(rows, args.markdown))
    print()
    print('\n'.join(ratio_lines(rows)))
    return 1 if any('error' in r for r in rows) else 0


if __name__ == '__main__':
    sys.exit(main())
