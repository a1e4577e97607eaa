"""Import a ResNet from a self-supervised or classification checkpoint for mmdet's ResNet.

    python tools/model_converters/convert_backbone.py moco_v2_800ep.pth.tar \
        checkpoints/mocov2_r50.pth
    # then in a config: model.backbone.init_cfg=dict(type='Pretrained',
    #                                                checkpoint='checkpoints/mocov2_r50.pth')

Formats (auto-detected; --format forces one): MoCo v1/v2, SwAV, DenseCL, PixPro,
torchvision, timm (.pth or .safetensors), mmselfsup / mmpretrain; torchvision's
MobileNetV2 -> mmdet MobileNetV2. See docs/weights.md.
"""

import argparse


def parse_args(argv=None):
    from dpt.weights.backbone import FORMATS
    from dpt.weights.mobilenet import FORMAT as MOBILENET_V2

    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('src', help='checkpoint to read')
    p.add_argument('out', help='where to write the ResNet checkpoint (.pth)')
    p.add_argument(
        '--format',
        default='auto',
        choices=['auto', *FORMATS, MOBILENET_V2],
        help='layout of SRC (default: detected from its keys)',
    )
    p.add_argument('--depth', type=int, help='ResNet depth (default: from the blocks found)')
    p.add_argument(
        '--min-fit',
        type=float,
        default=1.0,
        help="share of the ResNet's tensors that SRC must provide (default: all)",
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from dpt.apis import cli_errors
    from dpt.weights import convert_backbone

    with cli_errors('convert_backbone', {'fmt': '--format', 'depth': '--depth'}):
        result = convert_backbone(args.src, args.out, args.format, args.depth, args.min_fit)
        print(result.summary())
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
