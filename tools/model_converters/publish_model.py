"""Make a checkpoint ready to share (mmdet's publish_model.py): the optimizer, scheduler and
message-hub state dropped, a sha256 prefix in the name, meta naming its config, the dpt
version and the checkpoint it came from:

    python tools/model_converters/publish_model.py work_dirs/faster-rcnn_tiny_demo/epoch_12.pth \\
        faster-rcnn_tiny_demo.pth
    # -> faster-rcnn_tiny_demo-<8 hex>.pth
"""

import argparse


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('in_file', help='input checkpoint')
    p.add_argument('out_file', help='output name; -<sha256[:8]>.pth is appended')
    p.add_argument(
        '--config',
        help="config to record when the checkpoint's meta has none (e.g. an extracted one)",
    )
    args = p.parse_args(argv)
    import dpt  # noqa: F401
    from dpt.apis import cli_errors
    from dpt.apis.checkpoints import publish_checkpoint

    with cli_errors('publish_model', {'config': '--config'}):
        out, dropped = publish_checkpoint(args.in_file, args.out_file, args.config)
    if dropped:
        print(f'dropped: {", ".join(dropped)}')
    print(f'The published model is saved at {out}.')


if __name__ == '__main__':
    main()
