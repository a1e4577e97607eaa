"""Miniature reproduction of DAP on the demo data.

DAP (Zhong et al., CVPR 2021) turns an image classifier into a detector's pre-training: CAM
pseudo boxes of each image's label on the classification set, then Faster R-CNN trained on
them (initialised from the classifier), then transfer without the class-specific predictor.
Its baseline is the transfer from the classifier alone. On the demo data:

    classifier: the tiny detectors' ResNet-18 (quarter width) trained on the classification
        demo split (data/demo_cls; demo_classifier of miniature.py next to this file, shared
        with the DETReg miniature)
    pseudo boxes: tools/misc/make_cam_boxes.py on data/demo_cls/train (short sides 128 and
        256 for the 160 px images), CorLoc / recall against the kept-aside true boxes, with
        DAP's NMS variants and the single-threshold baseline
    (A) fine-tune the tiny Faster R-CNN on 10 % of the detection demo's labels
        (semi_anns/instances_train.1@10.json), backbone from the classifier
    (B) DAP pre-training (configs/dap/faster-rcnn_dap-pretrain_tiny_demo.py) on the pseudo
        boxes, extraction with --preset dap, the same fine-tune

Both are tested on the detection demo's val split (box AP); the tables are printed and
written to --out. Finished stages are reused, interrupted ones resume.

    python tools/analysis_tools/dap_miniature.py [--seeds 0] [--pretrain-options ...]
"""

import os.path as osp
import time

from stages import ROOT

PRETRAIN = 'configs/dap/faster-rcnn_dap-pretrain_tiny_demo.py'
FINETUNE = 'configs/dap/faster-rcnn_dap-finetune_tiny_demo.py'
SPLIT = 'semi_anns/instances_train.1@10.json'  # where the fine-tune config reads
CAM_PREFIX = 'annotations/train_cam_boxes'  # under the classification root
CAM_SCALES = (128, 256)
NMS = (0.9, 0.8, 0.7, 0.6, 0.5)
ARMS = (
    '(A) classifier backbone -> fine-tune',
    '(B) classifier -> DAP pre-training on CAM boxes -> fine-tune',
)


def prepare(data_root):
    """The detection demo and its 10 % split (if missing)."""
    from dpt.datasets import make_demo_dataset
    from dpt.datasets.splits import make_semi_splits

    gt_file = osp.join(data_root, 'annotations', 'instances_train.json')
    if not osp.isfile(gt_file):
        make_demo_dataset(data_root)
    for r in make_semi_splits(gt_file, osp.join(data_root, 'semi_anns'), [10], [1]):
        print(
            f"{r['state']} {r['path']}: {r['images']} images, {r['annotations']} annotations",
            flush=True,
        )


def cam_boxes(cls_root, supervised, workers=1):
    """The pseudo boxes of the classification train images (resumable); returns the CorLoc
    table rows (what, images, CorLoc, recall)."""
    from miniature import CLASSIFIER_KWARGS

    from dpt.datasets.classification import read_folder
    from dpt.pseudo_boxes import CamSettings, box_quality
    from dpt.pseudo_boxes.generate import generate_cam_boxes, output_names
    from dpt.utils.errors import load_json

    img_root = osp.join(cls_root, 'train')
    prefix = osp.join(cls_root, CAM_PREFIX)
    settings = CamSettings(scales=CAM_SCALES, nms=NMS)
    files = {
        f'DAP boxes, NMS {iou:g}': path for iou, path in output_names(prefix, settings).items()
    }
    files['single-threshold CAM box (0.2, largest component)'] = f'{prefix}_baseline.json'
    if not all(osp.isfile(p) for p in files.values()):
        print(f'\n==== CAM pseudo boxes of {img_root} -> {prefix}_*.json', flush=True)
        items, classes = read_folder(img_root)
        generate_cam_boxes(
            prefix,
            img_root,
            items,
            classes,
            'timm:resnet18',
            supervised['classifier'],
            CLASSIFIER_KWARGS,
            settings,
            workers,
        )
    gt = load_json(osp.join(cls_root, 'annotations', 'train_gt.json'))
    rows = []
    for what, path in files.items():
        data = load_json(path)
        q = box_quality(data, gt)
        rows.append(
            (
                what,
                q['images'],
                len(data['annotations']) / max(q['images'], 1),
                q['corloc'],
                q['recall'],
            )
        )
    return rows


def format_quality(rows):
    lines = [
        '| pseudo boxes | images | boxes per image | CorLoc | recall of the labelled objects |',
        '| --- | ---: | ---: | ---: | ---: |',
    ]
    for what, images, per_image, corloc, recall in rows:
        lines.append(
            f'| {what} | {images} | {per_image:.2f} | {100 * corloc:.1f} % | {100 * recall:.1f} % |'
        )
    return '\n'.join(lines)


def report(command, seeds, supervised, quality, budget, table, total_seconds):
    from miniature import machine

    rec = supervised['record']
    return (
        f'# DAP miniature on the demo data\n\n'
        f'Made by `{command}` on {time.strftime("%Y-%m-%d")}, {machine()}, seeds {seeds}; '
        f'{total_seconds / 60:.1f} min wall-clock for that command (stages finished by an '
        f'earlier run are reused, not counted; times are rough on a shared machine). '
        f'See docs/dap.md.\n\n'
        f"- classifier: ResNet-18 at a quarter width, {rec['train_images']} classification "
        f"demo images, {rec['recipe']['epochs']} epochs, val accuracy "
        f"{100 * rec.get('val_accuracy', float('nan')):.1f} %\n"
        f'- pseudo boxes: CAMs at short sides {CAM_SCALES[0]} and {CAM_SCALES[1]} '
        f'(flip-averaged), thresholds 0.2-0.5, DAP pre-trains on NMS 0.8\n'
        f'- budget: {budget}\n\n'
        f'Pseudo boxes against the kept-aside true boxes of the labelled objects:\n\n'
        f'{quality}\n\nFine-tuning on 10 % of the detection demo labels, box AP on its '
        f'val split:\n\n{table}\n'
        f'\nAll four strategies against their own baselines from a real ImageNet backbone '
        f'(MobileNetV2), over several seeds: [the shared table](strategies.md).\n'
    )


def _arms(pre, work):
    """Both arms as (name, sub-dir, init, whether its time includes the pre-training): (A)
    from the classifier alone, (B) from DAP's extraction of the pre-training (made first)."""
    out = osp.join(work, 'pretrain', 'dap_finetune_init.pth')
    if not osp.isfile(out):
        from dpt.weights import extract_detector_weights

        result, out = extract_detector_weights(pre['checkpoint'], out, preset='dap')
        print(result.summary(), flush=True)
    return (ARMS[0], 'a_finetune', 'None', False), (ARMS[1], 'b_finetune', out, True)


def main():
    from miniature import (
        CLASSIFIER_DIR,
        DEMO_CLS,
        backbone_options,
        budget,
        budget_stages,
        command_line,
        demo_classifier,
        miniature_parser,
        pretrain_and_finetunes,
        print_table,
        run_seeds,
        write_report,
    )

    p = miniature_parser(__doc__.split('\n\n')[0], 'dap')
    p.add_argument('--cls-data', default=DEMO_CLS, help='the classification demo split')
    p.add_argument('--classifier-dir', default=CLASSIFIER_DIR)
    p.add_argument('--workers', type=int, default=1, help='processes for the pseudo boxes')
    args = p.parse_args()
    from stages import data_root_options

    start = time.time()
    data, cls_root = osp.join(ROOT, args.data), osp.join(ROOT, args.cls_data)
    prepare(data)
    supervised = demo_classifier(cls_root, osp.join(ROOT, args.classifier_dir))
    quality = format_quality(cam_boxes(cls_root, supervised, args.workers))
    print('\n' + quality, flush=True)
    init = backbone_options(supervised['backbone'])

    def run_seed(seed):
        work = osp.join(ROOT, args.work_dir, f'seed{seed}')
        pre_opts = [
            f'train_dataloader.dataset.data_root={cls_root}/',
            f'randomness.seed={seed}',
            *init,
            *args.pretrain_options,
        ]
        fine_opts = [
            *data_root_options(data),
            f'randomness.seed={seed}',
            *init,
            *args.finetune_options,
        ]
        return pretrain_and_finetunes(
            seed,
            work,
            ('DAP pre-training', PRETRAIN, pre_opts),
            FINETUNE,
            fine_opts,
            lambda pre: _arms(pre, work),
        )

    table = print_table(run_seeds(args.seeds, run_seed), args.seeds)
    stages = budget_stages(args, PRETRAIN, FINETUNE)
    write_report(
        args.out,
        report(
            command_line(__file__),
            args.seeds,
            supervised,
            quality,
            budget(cls_root, stages[:1]) + '; ' + budget(data, stages[1:]),
            table,
            time.time() - start,
        ),
    )


if __name__ == '__main__':
    main()
