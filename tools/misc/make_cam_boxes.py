"""DAP's pseudo boxes: class activation maps of a classifier for each image's label, boxes
by thresholds, connected components and moments, NMS (docs/dap.md).

    python tools/misc/make_cam_boxes.py data/demo_cls/train \\
        --classifier timm:resnet18 --checkpoint work_dirs/miniature/classifier/classifier.pth \\
        --model-kwargs '{"channels": [16, 32, 64, 128], "stem_width": 16}' \\
        --out data/demo_cls/annotations/train_cam_boxes --scales 128 256 \\
        --gt-ann data/demo_cls/annotations/train_gt.json
    # -> data/demo_cls/annotations/train_cam_boxes_nms0.8.json (+ _baseline.json)

IMG_ROOT is an ImageNet-style folder of class sub-folders, or the root that --list's paths
are relative to. A killed run continues where it stopped (<out>.partial.jsonl); a rerun
with another classifier, checkpoint or settings is refused (delete that file to start over).
Any torchvision or timm classifier with global average pooling works (docs/dap.md).
"""

import argparse
import json


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('img_root')
    p.add_argument('--list', help='image list file: "relative/path label" lines')
    p.add_argument('--classes', help='class names file (one per line) for --list')
    p.add_argument('--classifier', required=True, help='timm:<model> or torchvision:<model>')
    p.add_argument('--checkpoint', required=True)
    p.add_argument(
        '--num-classes',
        type=int,
        help='classes of the classifier (default: the '
        "rows of the checkpoint's final linear layer)",
    )
    p.add_argument('--model-kwargs', default='{}', help='JSON keyword arguments of the model')
    p.add_argument('--out', required=True, help='output prefix: <out>_nms<iou>.json')
    p.add_argument(
        '--nms',
        type=float,
        nargs='+',
        default=[0.8],
        help='one output per IoU (DAP trains with 0.8; it compares 0.9 .. 0.5)',
    )
    p.add_argument('--scales', type=int, nargs='+', default=[288, 576])
    p.add_argument('--thresholds', type=float, nargs='+', default=[0.2, 0.3, 0.4, 0.5])
    p.add_argument('--device', help='cuda or cpu (default: cuda if there is one)')
    p.add_argument('--workers', type=int, default=1, help='processes on CPU')
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--limit', type=int, help='at most this many images in this run')
    p.add_argument(
        '--gt-ann',
        help='COCO-style true boxes: print CorLoc and recall of the '
        'outputs and of the single-threshold baseline',
    )
    args = p.parse_args(argv)
    from dpt.apis import cli_errors
    from dpt.datasets.classification import read_folder, read_list
    from dpt.pseudo_boxes import CamSettings, box_quality
    from dpt.pseudo_boxes.generate import generate_cam_boxes
    from dpt.utils.errors import ConfigError, load_json

    with cli_errors('make_cam_boxes', {'prefix': '--out'}):
        try:
            kwargs = json.loads(args.model_kwargs)
        except json.JSONDecodeError as e:
            raise ConfigError(f'--model-kwargs: not JSON ({e})') from None
        if args.list:
            classes = None
            if args.classes:
                with open(args.classes) as f:
                    classes = [c.strip() for c in f if c.strip()]
            items, classes = read_list(args.list, classes)
        else:
            items, classes = read_folder(args.img_root)
        settings = CamSettings(
            scales=tuple(args.scales), thresholds=tuple(args.thresholds), nms=tuple(args.nms)
        )
        summary = generate_cam_boxes(
            args.out,
            args.img_root,
            items,
            classes,
            args.classifier,
            args.checkpoint,
            kwargs,
            settings,
            args.workers,
            args.batch_size,
            args.device,
            args.limit,
            num_classes=args.num_classes,
        )
        for what, path in summary['files'].items():
            print(f'wrote {path} ({what})')
        if summary['failed']:
            print(f"{len(summary['failed'])} images failed (listed in the outputs' failed_images)")
        if args.gt_ann:
            gt = load_json(args.gt_ann)
            print('| boxes | images | CorLoc | recall |\n| --- | ---: | ---: | ---: |')
            for what, path in summary['files'].items():
                q = box_quality(load_json(path), gt)
                print(
                    f"| {what} | {q['images']} | {100 * q['corloc']:.1f} % | "
                    f"{100 * q['recall']:.1f} % |"
                )


if __name__ == '__main__':
    main()
