"""Draw the boxes of a COCO-style file over their images, with the true boxes and each
image's recall@0.5 / CorLoc where they are given:

    python tools/analysis_tools/browse_boxes.py \\
        data/demo/annotations/train_ratio3size0008@0.5.json \\
        --img-dir data/demo/train --gt data/demo/annotations/instances_train.json \\
        --output-dir work_dirs/browse/proposals --max 8 --max-boxes 30

Reads what tools/misc/make_proposals.py (proposals, region priors), make_cam_boxes.py (DAP's
pseudo boxes) and cluster_proposals.py (cluster ids) write, and AlignDet's published proposal
files. --classifier/--checkpoint add DAP's class activation map under each image.
"""

import argparse
import json


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('boxes', help='COCO-style box file')
    p.add_argument('--img-dir', required=True, help="folder of the file's file_names")
    p.add_argument('--gt', help='COCO-style true boxes of the same images')
    p.add_argument('--output-dir', required=True)
    p.add_argument('--max', type=int, metavar='N', help='the first N images only')
    p.add_argument(
        '--max-boxes',
        type=int,
        metavar='K',
        help='draw the first K boxes of each image (file order)',
    )
    p.add_argument(
        '--zoom', type=float, help='draw at this scale (default: 2 for images up to 320 px, else 1)'
    )
    cam = p.add_argument_group('DAP class activation maps (the make_cam_boxes.py options)')
    cam.add_argument('--classifier', help='timm:<model> or torchvision:<model>')
    cam.add_argument('--checkpoint', help="the classifier's weights")
    cam.add_argument('--model-kwargs', default='{}', help='JSON keyword arguments')
    cam.add_argument('--scales', type=int, nargs='+', default=[288, 576])
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from dpt.apis import cli_errors
    from dpt.utils.errors import ConfigError
    from dpt.visualization import browse_boxes

    with cli_errors('browse_boxes'):
        heatmaps = None
        if args.classifier or args.checkpoint:
            if not (args.classifier and args.checkpoint):
                raise ConfigError('--classifier and --checkpoint go together')
            try:
                kwargs = json.loads(args.model_kwargs)
            except json.JSONDecodeError as e:
                raise ConfigError(f'--model-kwargs: not JSON ({e})') from None
            from dpt.visualization.cams import CamHeatmaps

            heatmaps = CamHeatmaps(
                args.boxes, args.classifier, args.checkpoint, kwargs, tuple(args.scales)
            )
        records, s = browse_boxes(
            args.boxes,
            args.img_dir,
            args.output_dir,
            args.gt,
            args.max,
            args.max_boxes,
            args.zoom,
            heatmaps,
        )
    line = f'drew {s["images"]} images to {args.output_dir}'
    if s['recall'] is not None:
        line += f'; recall@0.5 {100 * s["recall"]:.1f} %, CorLoc {100 * s["corloc"]:.1f} %'
    print(line)


if __name__ == '__main__':
    main()
