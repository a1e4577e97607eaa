"""Give each proposal a K-means cluster as its class, for AlignDet's DETR pre-training.

RoIAlign features of every proposal from a frozen backbone, PCA, K-means (AlignDet: 256
clusters of 256-dim features); the output is the proposal file with categories
cluster_1..cluster_K (dpt/clustering/). COCO, with the image-domain
backbone that the pre-training starts from:
    python tools/misc/cluster_proposals.py \\
        data/coco/annotations/train2017_ratio3size0008@0.5.json data/coco/train2017 \\
        --backbone checkpoints/resnet50_backbone.pth
    # -> data/coco/annotations/train2017_ratio3size0008@0.5_cluster-id-as-class.json
The tiny demo (random backbone of the tiny configs' size):
    python tools/misc/cluster_proposals.py data/demo/annotations/train_ratio3size0008@0.5.json \\
        data/demo/train --random-init --depth 18 --base-channels 16 --clusters 8 \\
        --short-side 160

Killed or interrupted, the same command continues where it stopped (<out>.parts/ keeps the
PCA and the features of each finished chunk of images).
"""

import argparse
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('proposals', help='COCO-style proposal file (tools/misc/make_proposals.py)')
    p.add_argument('img_dir', help="folder of the images (the file's file_name relative to it)")
    p.add_argument(
        '--out',
        help='output .json (default: PROPOSALS with '
        '_cluster-id-as-class before .json, as AlignDet named it)',
    )
    weights = p.add_mutually_exclusive_group(required=True)
    weights.add_argument(
        '--backbone',
        metavar='CKPT',
        help='mmdet ResNet state dict (tools/model_converters/convert_backbone.py)',
    )
    weights.add_argument(
        '--random-init', action='store_true', help='a randomly initialised backbone (trials, tests)'
    )
    p.add_argument('--depth', type=int, default=50, help='ResNet depth (default: 50)')
    p.add_argument('--base-channels', type=int, default=64, help='ResNet width (default: 64)')
    p.add_argument('--clusters', type=int, default=256, help='K (default: 256, AlignDet)')
    p.add_argument('--pca-dims', type=int, default=256, help='PCA dims (default: 256)')
    p.add_argument(
        '--short-side',
        type=int,
        default=800,
        help='images resized to this short side (default: 800)',
    )
    p.add_argument('--max-side', type=int, default=1333, help='... long side at most this')
    p.add_argument('--roi-size', type=int, default=7, help='RoIAlign output size (default: 7)')
    p.add_argument(
        '--pca-images',
        type=int,
        default=5000,
        help='random images whose proposals fit the PCA (default: 5000; 0 = all)',
    )
    p.add_argument(
        '--fit-samples',
        type=int,
        default=1000000,
        help='proposals K-means is fitted on (default: 1000000; 0 = all)',
    )
    p.add_argument('--iters', type=int, default=100, help='most Lloyd iterations')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument(
        '--chunk-images',
        type=int,
        default=500,
        help='images per saved chunk of features (default: 500)',
    )
    p.add_argument('--device', help='cuda or cpu (default: cuda if there is one)')
    return p.parse_args(argv)


def default_out(proposals):
    stem = proposals[: -len('.json')] if proposals.endswith('.json') else proposals
    return stem + '_cluster-id-as-class.json'


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm

    from dpt.apis import cli_errors
    from dpt.clustering import ClusterJob, ClusterSettings

    tool = 'cluster_proposals'
    with cli_errors(tool):
        settings = ClusterSettings(
            num_clusters=args.clusters,
            pca_dims=args.pca_dims,
            backbone=args.backbone,
            depth=args.depth,
            base_channels=args.base_channels,
            short_side=args.short_side,
            max_side=args.max_side,
            roi_size=args.roi_size,
            pca_images=args.pca_images,
            fit_samples=args.fit_samples,
            iters=args.iters,
            seed=args.seed,
            chunk_images=args.chunk_images,
        )
        out = args.out or default_out(args.proposals)
        job = ClusterJob(args.proposals, args.img_dir, out, settings, args.device)
        print(
            f"{len(job.images)} images, {len(job.data['annotations'])} proposals from "
            f'{args.proposals}; ResNet-{args.depth} '
            f"({args.backbone or 'random init'}) on {job.device}; {job.done_images()} "
            f'images already done in {job.parts}',
            flush=True,
        )
        start = time.time()
        num_pca = 0 if job.has_pca else min(args.pca_images or len(job.images), len(job.images))
        for stage, steps, total in (
            ('PCA', job.fit_pca(), num_pca),
            ('features', job.extract(), len(job.images) - job.done_images()),
        ):
            with tqdm(
                steps, total=total, desc=stage, unit='img', dynamic_ncols=True, mininterval=0.5
            ) as bar:
                for _ in bar:
                    pass
        print(f'K-means ({args.clusters} clusters) ...', flush=True)
        s = job.finish()
    print(
        f"wrote {s['out']}: {s['proposals']} proposals of {s['images']} images in "
        f"{s['clusters']} clusters ({s['empty']} empty, sizes {s['smallest']}-{s['largest']}); "
        f"{s['features']}-dim features, PCA to {s['pca_dims']} dims keeps "
        f"{100 * s['explained']:.1f}% of the variance; {time.time() - start:.1f}s"
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
