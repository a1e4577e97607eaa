"""Training curves of one or several runs (mmdet's analyze_logs.py plot_curve, over
mmengine's vis_data/scalars.json):

    python tools/analysis_tools/analyze_logs.py plot_curve work_dirs/pretrained work_dirs/scratch \\
        --keys loss coco/bbox_mAP --legend pre-trained scratch --out curve.png

A run is a work dir of tools/train.py (its */vis_data/scalars.json, resumed starts joined)
or a scalars.json file. Metrics are drawn by epoch, losses by iteration.
"""

import argparse


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot keys of scalars.json against the step')
    plot.add_argument('runs', nargs='+', metavar='RUN_DIR_OR_SCALARS_JSON')
    plot.add_argument(
        '--keys',
        nargs='+',
        default=['coco/bbox_mAP'],
        help='scalars to plot (default: coco/bbox_mAP)',
    )
    plot.add_argument('--legend', nargs='+', help='one name per run (or per run and key)')
    plot.add_argument('--title')
    plot.add_argument('--out', required=True, help='PNG file')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from dpt.apis import cli_errors
    from dpt.visualization import plot_curves

    with cli_errors('analyze_logs', {'legend': '--legend'}):
        drawn = plot_curves(args.runs, args.keys, args.out, args.legend, args.title)
    for (run, key), (xs, ys) in drawn.items():
        print(f'{run}: {key}, {len(xs)} points, last {ys[-1]:.4g} at {xs[-1]}')
    print(f'save curve to: {args.out}')


if __name__ == '__main__':
    main()
