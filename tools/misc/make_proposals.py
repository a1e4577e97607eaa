"""Make unsupervised proposals (selective search) for an image set, as a COCO-style file.

AlignDet's proposals (the default: SoCo's search and filter ratio3size0008 with its fall-backs):
    python tools/misc/make_proposals.py --ann-file data/coco/annotations/instances_train2017.json \\
        --img-dir data/coco/train2017 \\
        --out data/coco/annotations/train2017_ratio3size0008@0.5.json --workers 16
A folder of images (recursive), DETReg's search (first 30 boxes of OpenCV's fast mode):
    python tools/misc/make_proposals.py --img-dir images/ --out props.json --method opencv_fast

Killed or interrupted, the same command continues where it stopped (docs/proposals.md).
"""

import argparse
import os
import sys
import time


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()


def _iou_or_off(text):
    if text.lower() in ('off', 'none'):
        return 'off'
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an IoU in (0, 1] or 'off', got '{text}'")


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        '--img-dir',
        required=True,
        help='image folder (searched recursively unless --ann-file lists the images)',
    )
    p.add_argument(
        '--ann-file',
        help="COCO-style file whose 'images' to use (file_name "
        'relative to --img-dir); its annotations are not read',
    )
    p.add_argument('--out', required=True, help='output COCO-style .json')
    p.add_argument(
        '--method',
        choices=['soco', 'opencv_fast'],
        default='soco',
        help="soco: SoCo's selective search, box for box (AlignDet); opencv_fast: "
        "OpenCV's fast mode on a 128x128 copy (DETReg). Default: soco",
    )
    p.add_argument(
        '--filter',
        help="SoCo filter name: 'ratio3size0008' (default for soco), "
        "'ratio3', 'size03', 'none' (32 px sides only) or 'off' (default for "
        'opencv_fast)',
    )
    p.add_argument(
        '--min-size',
        type=float,
        metavar='PX',
        help='smallest box side kept (overrides the filter; SoCo: 32)',
    )
    p.add_argument(
        '--max-ratio',
        type=float,
        metavar='R',
        help='keep aspect ratios in [1/R, R] (overrides the filter; 0 = any)',
    )
    p.add_argument(
        '--size-range',
        type=float,
        nargs=2,
        metavar=('LO', 'HI'),
        help='keep sqrt(box area / image area) in [LO, HI] (overrides the filter)',
    )
    p.add_argument(
        '--nms',
        type=_iou_or_off,
        metavar='IOU',
        help="NMS IoU threshold, or 'off' (default: off; SoCo's scripts have no NMS, "
        'docs/proposals.md)',
    )
    p.add_argument(
        '--max-per-image',
        type=int,
        metavar='N',
        help='keep the first N proposals of each image (default: all for soco, '
        '30 for opencv_fast; 0 = all)',
    )
    p.add_argument(
        '--workers',
        type=int,
        default=_cores(),
        help='processes (default: the CPU cores this process may use)',
    )
    p.add_argument(
        '--limit',
        type=int,
        metavar='N',
        help='only the first N images (a trial; a later run without it continues)',
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm

    from dpt.apis import cli_errors
    from dpt.proposals import ProposalJob, ProposalSettings

    tool = 'make_proposals'
    with cli_errors(tool):
        settings = ProposalSettings.from_options(
            args.method,
            args.filter,
            args.min_size,
            args.max_ratio,
            args.size_range,
            args.nms,
            args.max_per_image,
        )
        job = ProposalJob(args.out, args.img_dir, args.ann_file, settings, args.limit)
        print(
            f'{len(job.images)} images from {args.ann_file or args.img_dir}; '
            f'{job.reused} already done ({job.partial}), {len(job.todo)} to compute with '
            f'{args.workers} worker(s); {settings.method} {settings.name}',
            flush=True,
        )
        start = time.time()
        tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked
        bar = tqdm(
            total=len(job.todo), unit='img', dynamic_ncols=True, smoothing=0.05, mininterval=0.5
        )
        try:
            for rec in job.run(args.workers):
                bar.update()
                if 'error' in rec:
                    tqdm.write(
                        f"{tool}: skipped {rec['file_name']}: {rec['error']}", file=sys.stderr
                    )
        except KeyboardInterrupt:
            bar.close()
            print(
                f'{tool}: interrupted after {job.computed} images; they are kept in '
                f'{job.partial}: rerun the same command to continue',
                file=sys.stderr,
            )
            sys.exit(130)
        bar.close()
        s = job.finish()
    secs = time.time() - start
    rate = f', {s["computed"] / secs:.2f} images/s' if s['computed'] else ''
    per = s['proposals'] / max(s['written'], 1)
    print(
        f"wrote {s['out']}: {s['written']} images, {s['proposals']} proposals "
        f"({per:.1f} per image); computed {s['computed']} in {secs:.1f}s{rate}, "
        f"reused {s['reused']}"
    )
    fallbacks = {k: v for k, v in s['filters'].items() if k != settings.box_filter.name}
    if fallbacks:
        print(
            'images whose filter left nothing, and what kept their boxes: '
            + ', '.join(f'{k}: {v}' for k, v in sorted(fallbacks.items()))
        )
    if s['failed']:
        print(
            f"{s['failed']} image(s) could not be used (listed under 'failed_images')",
            file=sys.stderr,
        )
    if s['partial']:
        print(
            f"kept {s['partial']}: the output does not hold every image yet; "
            'rerun (without --limit) to continue'
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
