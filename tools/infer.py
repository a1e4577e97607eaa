"""Detect objects in images with a trained detector (mmdet's DetInferencer):

    python tools/infer.py configs/baselines/faster-rcnn_tiny_demo.py \\
        work_dirs/faster-rcnn_tiny_demo/epoch_12.pth \\
        data/demo/val/000000.jpg data/demo/val/000001.jpg --out-dir work_dirs/infer --score-thr 0.3

IMAGES are files or folders. Writes OUT_DIR/vis/<image> (boxes and masks of score >=
--score-thr drawn) and OUT_DIR/preds/<image>.json (labels, scores, boxes x1 y1 x2 y2, masks as
RLE). A fine-tuned checkpoint, or one from extract_detector_weights.py (its dropped output
layers stay random); a pre-training checkpoint is refused.
"""

import argparse
import os
import os.path as osp

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('config', help='the detector config')
    p.add_argument('checkpoint')
    p.add_argument('images', nargs='+', help='image files or folders')
    p.add_argument('--out-dir', required=True)
    p.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='draw detections of at least this score (default: 0.3)',
    )
    p.add_argument('--device', default=None, help='cuda or cpu (default: cuda if there is one)')
    p.add_argument('--batch-size', type=int, default=1)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch

    from dpt.apis import cli_errors
    from dpt.apis.infer import infer_images

    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    with cli_errors('infer'):
        results = infer_images(
            args.config,
            args.checkpoint,
            args.images,
            args.out_dir,
            args.score_thr,
            device,
            args.batch_size,
        )
    for image, pred in results:
        kept = sum(s >= args.score_thr for s in pred['scores'])
        print(
            f'{image}: {kept} detections of score >= {args.score_thr} '
            f'({len(pred["scores"])} in all)'
        )
    print(
        f'pictures in {osp.join(args.out_dir, "vis")}, '
        f'predictions in {osp.join(args.out_dir, "preds")}'
    )


if __name__ == '__main__':
    main()
