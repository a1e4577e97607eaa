"""Take the detector out of a pre-training checkpoint for fine-tuning (``load_from``).

    # AlignDet: the online detector, output layers dropped, written next to the checkpoint
    python tools/model_converters/extract_detector_weights.py \
        work_dirs/faster-rcnn_r50_fpn_aligndet-pretrain_1x_coco
    # -> work_dirs/faster-rcnn_r50_fpn_aligndet-pretrain_1x_coco/aligndet_finetune_init.pth

    # DETReg (Deformable DETR or DETR): keep the box regressors, drop the class layer, the
    # embedding branch and the frozen region encoder -> finetune_init.pth
    python tools/model_converters/extract_detector_weights.py \
        work_dirs/deformable-detr_r50_detreg-pretrain_50e_coco --preset detreg
    # DAP (Faster R-CNN): drop the class-specific predictor (fc_cls, fc_reg)
    python tools/model_converters/extract_detector_weights.py \
        work_dirs/faster-rcnn_r50_fpn_dap-pretrain_1e_imagenet --preset dap

SRC is a checkpoint or a work dir (its newest checkpoint). By default the AlignDet ``online.``
detector (``--which target``: the EMA target), or a plain detector; ``--prefix`` names another
layout (DETReg, DAP). Output layers (fc_cls, fc_reg, retina_cls/reg, conv_cls/reg/centerness,
conv_logits, the last layer of DETR cls/reg branches) are dropped unless ``--keep-heads``.
"""

import argparse


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('src', help='pre-training checkpoint, or its work dir')
    p.add_argument(
        'out',
        nargs='?',
        help='output checkpoint (default: aligndet_finetune_init.pth '
        'next to SRC; finetune_init.pth for a plain detector)',
    )
    p.add_argument(
        '--which', choices=['online', 'target'], help='AlignDet branch to take (default: online)'
    )
    p.add_argument(
        '--prefix',
        help="the detector's key prefix in SRC, e.g. 'detector.' "
        "('' for a plain detector; default: online./target. or plain)",
    )
    p.add_argument(
        '--preset',
        choices=['aligndet', 'detreg', 'dap'],
        help="a strategy's hand-over: detreg keeps the heads but drops the class "
        'layer, feature_embed and region_encoder; aligndet and dap drop the '
        'output layers (the default)',
    )
    p.add_argument('--keep-heads', action='store_true', help='keep the output layers')
    p.add_argument(
        '--drop',
        action='append',
        default=[],
        metavar='REGEX',
        help=r"also drop keys this regular expression finds, e.g. 'rpn_head\.rpn_cls' "
        '(repeatable)',
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from dpt.apis import cli_errors
    from dpt.weights import extract_detector_weights

    flags = {'which': '--which', 'prefix': '--prefix', 'drop': '--drop', 'preset': '--preset'}
    with cli_errors('extract_detector_weights', flags):
        result, out = extract_detector_weights(
            args.src, args.out, args.prefix, args.which, args.keep_heads, args.drop, args.preset
        )
        print(result.summary())
        print(f'wrote {out}')


if __name__ == '__main__':
    main()
