"""The main job on the built-in demo data: make the data, pre-train a tiny Mask R-CNN at low
resolution on it, fine-tune that checkpoint at full resolution (``load_from``), evaluate box
and mask AP. Finished stages are skipped and an interrupted one resumes, so re-running the
command continues where a killed run stopped.

    python tools/demo.py [--work-dir work_dirs/demo] [--data data/demo] [--fresh]
"""

import argparse
import json
import os.path as osp
import shutil
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

PRETRAIN = 'configs/direct_pretraining/mask-rcnn_tiny_lowres-pretrain_demo.py'
FINETUNE = 'configs/direct_pretraining/mask-rcnn_tiny_finetune_demo.py'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--data', default='data/demo')
    p.add_argument('--fresh', action='store_true', help='delete the work dir first')
    p.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='passed to both training stages, e.g. train_cfg.max_epochs=1',
    )
    args = p.parse_args()
    from analysis_tools.stages import StageFailed, data_root_options, test_stage, train_stage

    from dpt.apis import cli_errors
    from dpt.datasets import make_demo_dataset

    work = osp.join(ROOT, args.work_dir)
    data = osp.join(ROOT, args.data)
    if args.fresh and osp.isdir(work):
        shutil.rmtree(work)
    t0 = time.time()
    with cli_errors('demo'):
        print('==== [demo 1/4] demo data', flush=True)
        if osp.isfile(osp.join(data, 'meta.json')):  # a demo dataset made earlier, any size
            with open(osp.join(data, 'meta.json')) as f:
                made = json.load(f)['counts']
            print(f'{data}: using the demo dataset there', flush=True)
        else:
            made = make_demo_dataset(data)
        print(
            f"{data}: {made['train']['images']} train / {made['val']['images']} val images",
            flush=True,
        )
        try:
            opts = data_root_options(data) + args.cfg_options
            pre = train_stage(
                '[demo 2/4] low-resolution pre-training', PRETRAIN, osp.join(work, 'pretrain'), opts
            )
            ft = train_stage(
                '[demo 3/4] fine-tuning from the pre-trained checkpoint',
                FINETUNE,
                osp.join(work, 'finetune'),
                [f'load_from={pre["checkpoint"]}', *opts],
            )
            metrics = test_stage(
                '[demo 4/4] evaluation',
                FINETUNE,
                ft['checkpoint'],
                osp.join(work, 'test'),
                cfg_options=opts,
            )
        except StageFailed as e:
            sys.exit(f'demo: {e}')

    print(
        f'\n==== demo finished in {time.time() - t0:.0f} s (pre-training {pre["seconds"]:.0f} s,'
        f' fine-tuning {ft["seconds"]:.0f} s when they ran)'
    )
    print(f'fine-tuned checkpoint: {ft["checkpoint"]}')
    print('COCO AP on the demo val split (%):')
    for kind in ('bbox', 'segm'):
        print(
            f'  {kind:<5} AP {100 * metrics[f"coco/{kind}_mAP"]:5.1f}   '
            f'AP50 {100 * metrics[f"coco/{kind}_mAP_50"]:5.1f}   '
            f'AP75 {100 * metrics[f"coco/{kind}_mAP_75"]:5.1f}'
        )
    print(f'metrics: {osp.join(work, "test", "metrics.json")}')


if __name__ == '__main__':
    main()
