"""Miniature reproduction of AlignDet's box-domain pre-training on the demo data.

AlignDet (Li et al., ICCV 2023) pre-trains a detector in two stages: an image-domain backbone
(supervised or self-supervised), then the whole detector on unsupervised proposals with the
backbone frozen (the box domain). Offline there is no image-domain backbone, so both arms
start from the same randomly initialised backbone, and the comparison isolates the box-domain
stage:

    (A) fine-tune the tiny Faster R-CNN on 10 % of the demo train labels; backbone: the
        random one the pre-training froze, every other layer fresh
    (B) box-domain pre-training (configs/aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py)
        on all demo train images' proposals, no labels; extraction of the online detector;
        the same fine-tune (configs/aligndet/faster-rcnn_aligndet-finetune_tiny_demo.py)

Before that: the demo data, SoCo selective-search proposals with AlignDet's settings
(data/demo/annotations/train_ratio3size0008@0.5.json; their number and GT recall at IoU 0.5
are reported) and the 10 % split (data/demo/semi_anns/instances_train.1@10.json). Both arms
are tested on the demo val split (box AP); the table is printed and written to --out.
Finished stages are reused and interrupted ones resume; each seed has its own work dir.

    python tools/analysis_tools/aligndet_miniature.py [--seeds 0] \\
        [--pretrain-options train_cfg.max_epochs=6] [--finetune-options ...]
"""

import json
import os.path as osp
import time

from stages import ROOT

PRETRAIN = 'configs/aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py'
FINETUNE = 'configs/aligndet/faster-rcnn_aligndet-finetune_tiny_demo.py'
PROPOSALS = 'annotations/train_ratio3size0008@0.5.json'  # where the pre-train config reads
SPLIT = 'semi_anns/instances_train.1@10.json'  # where the fine-tune config reads
ARMS = (
    '(A) random backbone -> fine-tune',
    '(B) random backbone -> AlignDet box-domain pre-training -> fine-tune',
)


def _xyxy(anns):
    import torch

    boxes = torch.tensor([a['bbox'] for a in anns], dtype=torch.float32).reshape(-1, 4)
    return torch.cat([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], dim=1)


def proposal_stats(proposal_file, gt_file, iou=0.5, large_side=32):
    """Proposal count and the share of ground-truth boxes that a proposal covers at IoU >=
    ``iou`` (all boxes, and those with both sides >= ``large_side`` px, which SoCo's 32 px
    minimum side can still reach)."""
    from collections import defaultdict

    from torchvision.ops import box_iou

    with open(proposal_file) as f:
        props = json.load(f)
    with open(gt_file) as f:
        gt = json.load(f)
    by_image = {k: defaultdict(list) for k in ('props', 'gt')}
    for kind, data in (('props', props), ('gt', gt)):
        for a in data['annotations']:
            by_image[kind][a['image_id']].append(a)
    found = {'all': [0, 0], 'large': [0, 0]}
    for image_id, anns in by_image['gt'].items():
        g = _xyxy(anns)
        p = _xyxy(by_image['props'].get(image_id, []))
        best = box_iou(g, p).max(dim=1).values if len(p) else g.new_zeros(len(g))
        large = ((g[:, 2:] - g[:, :2]) >= large_side).all(dim=1)
        for name, keep in (('all', slice(None)), ('large', large)):
            found[name][0] += int((best[keep] >= iou).sum())
            found[name][1] += int(best[keep].numel())
    images = len(props['images'])
    return dict(
        images=images,
        proposals=len(props['annotations']),
        per_image=len(props['annotations']) / max(images, 1),
        iou=iou,
        large_side=large_side,
        gt=found['all'][1],
        gt_large=found['large'][1],
        recall=found['all'][0] / max(found['all'][1], 1),
        recall_large=found['large'][0] / max(found['large'][1], 1),
    )


def prepare(data_root, workers=1):
    """Demo data, AlignDet's proposals of its train images and the 10 % split (each made
    only if missing); return the proposal statistics."""
    from dpt.datasets import make_demo_dataset
    from dpt.datasets.splits import make_semi_splits
    from dpt.proposals import ProposalSettings, generate_proposals

    gt_file = osp.join(data_root, 'annotations', 'instances_train.json')
    if not osp.isfile(gt_file):  # a demo set of another size (tests) is used as it is
        make_demo_dataset(data_root)
    out = osp.join(data_root, PROPOSALS)
    if not osp.isfile(out):  # the job itself resumes from its partial file
        print(f'\n==== proposals of the demo train images -> {out}', flush=True)
        generate_proposals(
            out,
            osp.join(data_root, 'train'),
            gt_file,
            ProposalSettings.from_options('soco'),
            workers,
        )
    for r in make_semi_splits(gt_file, osp.join(data_root, 'semi_anns'), [10], [1]):
        print(
            f"{r['state']} {r['path']}: {r['images']} images, {r['annotations']} annotations",
            flush=True,
        )
    return proposal_stats(out, gt_file)


def format_proposals(s):
    return (
        f"{s['proposals']} proposals on {s['images']} train images "
        f"({s['per_image']:.1f} per image); recall of the {s['gt']} ground-truth boxes at "
        f"IoU {s['iou']}: {100 * s['recall']:.1f} % (of the {s['gt_large']} boxes with "
        f"both sides >= {s['large_side']} px: {100 * s['recall_large']:.1f} %)"
    )


def report(command, seeds, stats, budget, table, total_seconds):
    """The markdown page written to --out."""
    from miniature import machine

    return (
        f'# AlignDet miniature on the demo data\n\n'
        f'Made by `{command}` on {time.strftime("%Y-%m-%d")}, '
        f'{machine()}, seeds {seeds}; {total_seconds / 60:.1f} min wall-clock for that command '
        f'(stages '
        f'finished by an earlier run are reused, not counted; the machine was shared, '
        f'so times are rough). See docs/aligndet.md; all four strategies against their '
        f'own baselines from a real ImageNet backbone (MobileNetV2), over several seeds: '
        f'[the shared table](strategies.md).\n\n'
        f'- proposals (SoCo selective search, ratio3size0008, NMS 0.5): '
        f'{format_proposals(stats)}\n'
        f'- budget: {budget}\n'
        f'- both arms start from the same random, frozen-in-pre-training backbone (no '
        f'image-domain pre-training offline); (B) adds the box-domain stage\n\n'
        f'{table}\n'
    )


def _extract(record, work, which):
    """Fine-tune inits from the pre-training: the online detector without output layers
    (arm B), or its backbone only (arm A: the same random backbone, nothing else)."""
    from dpt.weights import extract_detector_weights

    out = osp.join(work, 'pretrain', f'{which}_init.pth')
    if not osp.isfile(out):
        drop = [r'^(?!backbone\.)'] if which == 'backbone' else []
        result, out = extract_detector_weights(record['checkpoint'], out, drop=drop)
        print(result.summary(), flush=True)
    return out


def main():
    from miniature import (
        budget,
        budget_stages,
        command_line,
        extracted_arms,
        miniature_parser,
        pretrain_and_finetunes,
        print_table,
        run_seeds,
        write_report,
    )

    p = miniature_parser(__doc__.split('\n\n')[0], 'aligndet')
    p.add_argument('--workers', type=int, default=1, help='processes for the proposals')
    args = p.parse_args()
    from stages import data_root_options

    start = time.time()
    data = osp.join(ROOT, args.data)
    stats = prepare(data, args.workers)
    print(format_proposals(stats), flush=True)

    def run_seed(seed):
        opts = [*data_root_options(data), f'randomness.seed={seed}']
        work = osp.join(ROOT, args.work_dir, f'seed{seed}')
        return pretrain_and_finetunes(
            seed,
            work,
            ('(B) box-domain pre-training', PRETRAIN, [*opts, *args.pretrain_options]),
            FINETUNE,
            [*opts, *args.finetune_options],
            lambda pre: extracted_arms(pre, work, ARMS, _extract, 'aligndet_finetune'),
        )

    table = print_table(run_seeds(args.seeds, run_seed), args.seeds)
    write_report(
        args.out,
        report(
            command_line(__file__),
            args.seeds,
            stats,
            budget(data, budget_stages(args, PRETRAIN, FINETUNE)),
            table,
            time.time() - start,
        ),
    )


if __name__ == '__main__':
    main()
