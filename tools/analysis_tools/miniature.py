"""What the miniature reproductions (tools/analysis_tools/*_miniature.py) share: their
command line, the merged configs of their stages, the budget line, the result table, the
machine line and the page they write. Each miniature runs its arms as :mod:`stages`, so a
second run reuses finished stages and resumes an interrupted one.

A tool module, not part of the dpt package (its defaults are paths of this checkout:
data/, work_dirs/, docs/results/): the scripts next to it import it as ``from miniature
import ...`` (Python puts a script's directory on ``sys.path``).
"""

import argparse
import json
import os
import os.path as osp
import platform
import sys

from stages import ROOT

from dpt.engine.fileio import atomic_write_bytes

BOX_KEYS = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75')
BOX_HEADERS = ('box AP', 'box AP50', 'box AP75')


def miniature_parser(description, name, seeds=(0,), stage_options=True):
    """--work-dir work_dirs/miniature/NAME, --data, --out docs/results/NAME_miniature.md,
    --seeds and (``stage_options``) --pretrain-options / --finetune-options."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--work-dir', default=f'work_dirs/miniature/{name}')
    p.add_argument('--data', default='data/demo')
    p.add_argument('--out', default=f'docs/results/{name}_miniature.md')
    p.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=list(seeds),
        help='random seeds (randomness.seed); every arm runs once per seed',
    )
    if stage_options:
        p.add_argument(
            '--pretrain-options',
            nargs='+',
            default=[],
            metavar='KEY=VALUE',
            help='--cfg-options of the pre-training, e.g. train_cfg.max_epochs=6',
        )
        p.add_argument(
            '--finetune-options',
            nargs='+',
            default=[],
            metavar='KEY=VALUE',
            help='--cfg-options of every fine-tune (and its test)',
        )
    return p


def merged_config(config, options=()):
    """``config`` (relative to the repo root) with ``KEY=VALUE`` options merged in."""
    from mmengine.config import Config, DictAction

    cfg = Config.fromfile(osp.join(ROOT, config))
    ns = argparse.Namespace()
    DictAction(option_strings=[], dest='options')(None, ns, list(options))
    cfg.merge_from_dict(ns.options or {})
    return cfg


def _train_images(cfg, data_root):
    """Images a config's training loader goes through per epoch: those of its annotation
    file, less those without boxes when ``filter_empty_gt`` drops them."""
    dataset = cfg.train_dataloader.dataset
    with open(osp.join(data_root, dataset.ann_file)) as f:
        data = json.load(f)
    if dataset.get('filter_cfg', {}).get('filter_empty_gt', False):
        return len({a['image_id'] for a in data['annotations']})
    return len(data['images'])


def budget(data_root, stages):
    """'pre-train 12 epochs = 900 iterations at batch 4 on 300 images (config); ...' for
    ``stages`` of (name, config, options)."""
    parts = []
    for name, config, options in stages:
        cfg = merged_config(config, options)
        epochs, batch = cfg.train_cfg.max_epochs, cfg.train_dataloader.batch_size
        images = _train_images(cfg, data_root)
        parts.append(
            f'{name} {epochs} epochs = {epochs * -(-images // batch)} iterations at '
            f'batch {batch} on {images} images ({osp.basename(config)}'
            f'{", " + " ".join(options) if options else ""})'
        )
    return '; '.join(parts)


def _minutes(seconds):
    return f'{seconds / 60:.1f} min' if seconds else '-'


def format_table(
    rows, with_mean, keys=BOX_KEYS, headers=BOX_HEADERS, times=('pre-train', 'fine-tune')
):
    """Markdown table of rows ``(run, seed, metrics, *seconds)`` (one seconds value per name
    in ``times``; 0 shows as '-'); AP in %; per-run means when ``with_mean``."""
    lines = [
        f'| run | seed | {" | ".join(headers)} | {" | ".join(times)} |',
        '| --- | ---: |' + ' ---: |' * (len(headers) + len(times)),
    ]
    for name, seed, metrics, *seconds in rows:
        aps = ' | '.join(f'{100 * metrics[k]:.1f}' for k in keys)
        lines.append(f'| {name} | {seed} | {aps} | {" | ".join(map(_minutes, seconds))} |')
    if with_mean:
        for name in dict.fromkeys(r[0] for r in rows):
            mine = [r for r in rows if r[0] == name]
            aps = ' | '.join(f'{100 * sum(r[2][k] for r in mine) / len(mine):.1f}' for k in keys)
            lines.append(f'| {name} | mean of {len(mine)} | {aps} |' + ' |' * len(times))
    return '\n'.join(lines)


def command_line(tool_file):
    """How the running tool was called, relative to the repo root, for the report."""
    return ' '.join(['python', osp.relpath(osp.abspath(tool_file), ROOT), *sys.argv[1:]])


def cpu_model():
    """The CPU's model name (Linux: /proc/cpuinfo), else what :mod:`platform` knows."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine():
    """'<CPU model>, N CPU cores, <GPU> GPU' ('no GPU' when torch sees none): the machine the
    miniature ran on, for its page."""
    import torch

    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        gpu = (f'{count} x ' if count > 1 else '') + f'{torch.cuda.get_device_name(0)} GPU'
    else:
        gpu = 'no GPU'
    return f'{cpu_model()}, {os.cpu_count()} CPU cores, {gpu}'


def write_report(out, text):
    """Write the page atomically (relative paths from the repo root); return its path."""
    out = osp.join(ROOT, out)
    atomic_write_bytes(text.encode(), out)
    print(f'written to {out}')
    return out


# ----------------------------------------------------------------------------- supervised
# The demo's stand-in for an ImageNet-supervised backbone: the tiny detectors' ResNet-18 at
# a quarter width, trained as a classifier on the classification demo split.
DEMO_CLS = 'data/demo_cls'
CLASSIFIER_KWARGS = dict(channels=(16, 32, 64, 128), stem_width=16)
CLASSIFIER_DIR = 'work_dirs/miniature/classifier'  # one classifier for every miniature


def demo_classifier(cls_root, work_dir, epochs=40, seed=0):
    """Make the classification demo split (if missing), train the classifier on it and
    convert it to an mmdet backbone (each only if missing); return
    ``dict(classifier=<timm weights>, backbone=<mmdet ResNet weights>, record=...)``."""
    from dpt.apis.classifier import ClassifierRecipe, train_classifier
    from dpt.datasets.demo_data import make_demo_classification
    from dpt.weights import convert_backbone

    make_demo_classification(cls_root)
    out = osp.join(work_dir, 'classifier.pth')
    if not osp.isfile(out):
        print(f'\n==== classifier on {cls_root}/train -> {out}', flush=True)
        recipe = ClassifierRecipe(
            model_kwargs=dict(CLASSIFIER_KWARGS),
            epochs=epochs,
            batch_size=64,
            lr=0.2,
            image_size=96,
            seed=seed,
        )
        train_classifier(osp.join(cls_root, 'train'), out, recipe, osp.join(cls_root, 'val'))
    with open(out + '.json') as f:
        record = json.load(f)
    backbone = osp.join(work_dir, 'backbone.pth')
    if not osp.isfile(backbone):
        print(convert_backbone(out, backbone).summary(), flush=True)
    return dict(classifier=out, backbone=backbone, record=record)


def width_options(backbone, *modules):
    """--cfg-options giving each ResNet config in ``modules`` (e.g. 'model.backbone') the
    widths of the converted ``backbone`` file (timm's narrow ResNets keep a 64-channel
    stem, which the tiny configs' ResNet(base_channels=16) would make 16)."""
    from dpt.utils.checkpoint import load_checkpoint_file

    meta = load_checkpoint_file(backbone, map_location='cpu').get('meta', {})
    return [
        f'{m}.{k}={meta[k]}'
        for m in modules
        for k in ('base_channels', 'stem_channels')
        if k in meta
    ]


def backbone_options(backbone):
    """--cfg-options that start a config's detector backbone from ``backbone`` (replacing
    whatever ``init_cfg`` the config has, None in the tiny ones), at its widths."""
    return [
        'model.backbone.init_cfg._delete_=True',
        'model.backbone.init_cfg.type=Pretrained',
        f'model.backbone.init_cfg.checkpoint={backbone}',
        *width_options(backbone, 'model.backbone'),
    ]


def finetune_and_test(title, config, work_dir, options, load_from):
    """Fine-tune ``config`` from ``load_from`` into ``work_dir`` (reused when done), test it
    (box AP) into ``<work_dir>_test``; return (metrics, fine-tune seconds)."""
    from stages import test_stage, train_stage

    record = train_stage(title, config, work_dir, [*options, f'load_from={load_from}'])
    metrics = test_stage(
        f'{title}: test',
        config,
        record['checkpoint'],
        work_dir + '_test',
        metrics=('bbox',),
        cfg_options=options,
    )
    return metrics, record['seconds']


def run_seeds(seeds, run_seed):
    """The table rows of ``run_seed(seed)`` for every seed in turn; a failed stage ends the
    tool with the one line 'miniature: <the stage and its log>'."""
    from stages import StageFailed

    rows = []
    try:
        for seed in seeds:
            rows.extend(run_seed(seed))
    except StageFailed as e:
        sys.exit(f'miniature: {e}')
    return rows


def pretrain_and_finetunes(seed, work, pretrain, finetune, options, arms):
    """One seed of a miniature whose arms share one pre-training: ``pretrain`` = (title,
    config, options) trained into ``<work>/pretrain``, then each arm of ``arms(record)`` (the
    pre-training's record; an iterable of (name, sub-dir of ``work``, load_from, whether the
    arm's time includes the pre-training), taken one at a time, so a generator makes each
    init just before its fine-tune) fine-tuned from ``config`` ``finetune`` with
    ``options`` and tested; return the rows (name, seed, metrics, pre-train s, fine-tune s)."""
    from stages import train_stage

    title, config, pre_options = pretrain
    pre = train_stage(f'seed {seed}: {title}', config, osp.join(work, 'pretrain'), pre_options)
    rows = []
    for name, sub, load_from, pretrained in arms(pre):
        metrics, seconds = finetune_and_test(
            f'seed {seed}: {name}', finetune, osp.join(work, sub), options, load_from
        )
        rows.append((name, seed, metrics, pre['seconds'] if pretrained else 0, seconds))
    return rows


def extracted_arms(pre, work, names, extract, which):
    """The two arms of ``names`` for :func:`pretrain_and_finetunes`: (A) from the
    pre-training's backbone alone, its time without the pre-training, and (B) from the
    extraction ``which`` (e.g. 'detreg_finetune'); ``extract(pre, work, which)`` makes each
    init, just before its fine-tune."""
    for name, kind, sub in ((names[0], 'backbone', 'a_finetune'), (names[1], which, 'b_finetune')):
        yield name, sub, extract(pre, work, kind), kind != 'backbone'


def budget_stages(args, pretrain, finetune):
    """The (name, config, options) of a miniature's pre-training and fine-tunes, for
    :func:`budget`: the configs with --pretrain-options / --finetune-options."""
    return (
        ('pre-train', pretrain, args.pretrain_options),
        ('fine-tune', finetune, args.finetune_options),
    )


def print_table(rows, seeds):
    """:func:`format_table` of ``rows`` (per-arm means when there is more than one seed),
    printed and returned for the page."""
    table = format_table(rows, len(seeds) > 1)
    print('\n' + table)
    return table
