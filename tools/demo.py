"""The main job on the built-in demo data: make the data, pre-train a tiny Mask R-CNN at low
resolution on it, fine-tune that checkpoint at full resolution (``load_from``), evaluate box
and mask AP. Each stage is skipped when already done and resumes when interrupted, so
re-running continues where a killed run stopped.

    python tools/demo.py [--work-dir work_dirs/demo] [--data data/demo] [--fresh]
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

PRETRAIN = 'configs/direct_pretraining/mask-rcnn_tiny_lowres-pretrain_demo.py'
FINETUNE = 'configs/direct_pretraining/mask-rcnn_tiny_finetune_demo.py'


def run(title, step, total, cmd):
    print(f'\n==== [demo {step}/{total}] {title}\n$ {" ".join(cmd)}', flush=True)
    t0 = time.time()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
    if subprocess.call(cmd, cwd=ROOT, env=env) != 0:
        sys.exit(f'demo: stage "{title}" failed; rerun the same command to continue')
    return time.time() - t0


def final_checkpoint(work_dir):
    """The checkpoint of the last epoch, once training has finished, else None."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    return ckpt if osp.isfile(ckpt) and osp.isfile(osp.join(work_dir, 'done')) else None


def train_stage(title, step, total, config, work_dir, extra=()):
    ckpt = final_checkpoint(work_dir)
    if ckpt:
        print(f'\n==== [demo {step}/{total}] {title}: done already ({ckpt})')
        return ckpt, 0.0
    seconds = run(title, step, total, [sys.executable, 'tools/train.py', config,
                                       '--work-dir', work_dir, '--resume', *extra])
    open(osp.join(work_dir, 'done'), 'w').close()
    return final_checkpoint(work_dir), seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--data', default='data/demo')
    p.add_argument('--fresh', action='store_true', help='delete the work dir first')
    args = p.parse_args()
    work = osp.join(ROOT, args.work_dir) if not osp.isabs(args.work_dir) else args.work_dir
    if args.fresh and osp.isdir(work):
        shutil.rmtree(work)
    data_opt = [f'train_dataloader.dataset.data_root={args.data}/',
                f'val_dataloader.dataset.data_root={args.data}/',
                f'test_dataloader.dataset.data_root={args.data}/',
                f'val_evaluator.ann_file={args.data}/annotations/instances_val.json',
                f'test_evaluator.ann_file={args.data}/annotations/instances_val.json']

    t0 = time.time()
    print('==== [demo 1/4] demo data', flush=True)
    from dpt.apis import cli_errors
    from dpt.datasets import make_demo_dataset
    with cli_errors('demo'):
        summary = make_demo_dataset(osp.join(ROOT, args.data))
    print(json.dumps({k: v for k, v in summary.items() if 'dir' not in k}, default=str))

    pre_ckpt, t_pre = train_stage('low-resolution pre-training', 2, 4, PRETRAIN,
                                  osp.join(work, 'pretrain'), ['--cfg-options', *data_opt])
    ft_ckpt, t_ft = train_stage('fine-tuning from the pre-trained checkpoint', 3, 4, FINETUNE,
                                osp.join(work, 'finetune'),
                                ['--cfg-options', f'load_from={pre_ckpt}', *data_opt])
    metrics_file = osp.join(work, 'test', 'metrics.json')
    t_test = run('evaluation', 4, 4, [
        sys.executable, 'tools/test.py', FINETUNE, ft_ckpt, '--eval', 'bbox', 'segm',
        '--work-dir', osp.join(work, 'test'), '--cfg-options', *data_opt])

    print(f'\n==== demo finished in {time.time() - t0:.0f} s '
          f'(pre-train {t_pre:.0f} s, fine-tune {t_ft:.0f} s, test {t_test:.0f} s)')
    print(f'fine-tuned checkpoint: {ft_ckpt}')
    with open(metrics_file) as f:
        metrics = json.load(f)
    print('COCO AP on the demo val split (%):')
    for kind in ('bbox', 'segm'):
        print(f'  {kind:<5} AP {100 * metrics[f"coco/{kind}_mAP"]:5.1f}   '
              f'AP50 {100 * metrics[f"coco/{kind}_mAP_50"]:5.1f}   '
              f'AP75 {100 * metrics[f"coco/{kind}_mAP_75"]:5.1f}')
    print(f'metrics: {metrics_file}')


if __name__ == '__main__':
    main()
