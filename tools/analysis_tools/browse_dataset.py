"""Draw what a config's training pipeline gives the model (mmdet's browse_dataset):

    python tools/analysis_tools/browse_dataset.py \\
        configs/aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py \\
        --output-dir work_dirs/browse/aligndet --not-show --max 8

Detection configs show the boxes (and masks) by class, AlignDet's two views side by side
with their shared box ids, DETReg's view with its region priors and the crops of the
embedding targets, DAP's pseudo boxes (docs/tools.md). Headless: without a display nothing
is shown, the PNGs are written.
"""

import argparse

from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('config', help='train config file')
    p.add_argument('--output-dir', help='write one PNG per item here')
    p.add_argument('--not-show', action='store_true', help='do not show a window')
    p.add_argument('--show-interval', type=float, default=2, help='seconds per item shown')
    p.add_argument('--max', type=int, metavar='N', help='the first N items only')
    p.add_argument(
        '--zoom', type=float, help='draw at this scale (default: 2 for images up to 320 px, else 1)'
    )
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. train_dataloader.dataset.data_root=D',
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from dpt.apis import cli_errors, load_config
    from dpt.utils.errors import ConfigError
    from dpt.visualization import browse_dataset

    with cli_errors('browse_dataset'):
        if not args.output_dir and args.not_show:
            raise ConfigError('--not-show without --output-dir: nothing to do')
        cfg = load_config(args.config, args.cfg_options)
        records = browse_dataset(
            cfg, args.output_dir, args.max, not args.not_show, args.show_interval, args.zoom
        )
    kinds = sorted({r['kind'] for r in records})
    where = f' to {args.output_dir}' if args.output_dir else ''
    print(f'drew {len(records)} items ({", ".join(kinds)}){where}')


if __name__ == '__main__':
    main()
