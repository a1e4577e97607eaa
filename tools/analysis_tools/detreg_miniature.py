"""Miniature reproduction of DETReg's pre-training on the demo data.

DETReg (Bar et al., CVPR 2022) pre-trains Deformable DETR without labels on region priors
(selective-search boxes as one class, plus the embedding of each box by a frozen
self-supervised encoder) on top of a frozen backbone, then fine-tunes it. Its paper compares
against fine-tuning from the backbone alone. Offline there is no ImageNet or SwAV backbone,
so the demo's stand-in is the tiny detectors' ResNet-18 (quarter width) trained as a
classifier on the classification demo split (data/demo_cls; miniature.py next to this
file). Both arms start from it:

    (A) fine-tune the tiny Deformable DETR on DETReg's seeded 10 % of the demo train images
        (semi_anns/instances_train.seed42@10.json); backbone from the classifier (at 0.1x
        the lr, as DETReg fine-tunes), the transformer and heads fresh
    (B) DETReg pre-training (configs/detreg/deformable-detr_detreg-pretrain_tiny_demo.py) on
        all demo train images, no labels, backbone frozen, region encoder = the classifier's
        layer2; extraction with --preset detreg; the same fine-tune

Both are tested on the demo val split (box AP); the table is printed and written to --out.
Finished stages are reused and interrupted ones resume; each seed has its own work dir.

    python tools/analysis_tools/detreg_miniature.py [--seeds 0] \\
        [--pretrain-options train_cfg.max_epochs=6] [--finetune-options ...]
"""

import os.path as osp
import time

from stages import ROOT

PRETRAIN = 'configs/detreg/deformable-detr_detreg-pretrain_tiny_demo.py'
FINETUNE = 'configs/detreg/deformable-detr_detreg-finetune_tiny_demo.py'
SPLIT = 'semi_anns/instances_train.seed42@10.json'  # where the fine-tune config reads
# DETReg's fine-tuning lr for a pre-trained backbone (0.1x); the tiny config's default is the
# full lr, for its random one
FINETUNE_OPTIONS = ('optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult=0.1',)
ARMS = (
    '(A) supervised backbone -> fine-tune',
    '(B) supervised backbone -> DETReg pre-training -> fine-tune',
)


def prepare(data_root):
    """The detection demo and DETReg's seeded 10 % of its train images (if missing)."""
    from dpt.datasets import make_demo_dataset
    from dpt.datasets.splits import make_semi_splits

    gt_file = osp.join(data_root, 'annotations', 'instances_train.json')
    if not osp.isfile(gt_file):  # a demo set of another size (tests) is used as it is
        make_demo_dataset(data_root)
    for r in make_semi_splits(
        gt_file, osp.join(data_root, 'semi_anns'), [10], seed=42, mode='images'
    ):
        print(
            f"{r['state']} {r['path']}: {r['images']} images, {r['annotations']} annotations",
            flush=True,
        )


def pretrain_options(supervised):
    """The pre-training's frozen backbone and region encoder: the classifier's."""
    from miniature import backbone_options, width_options

    return [
        *backbone_options(supervised['backbone']),
        f"model.region_encoder.checkpoint={supervised['classifier']}",
        *width_options(supervised['backbone'], 'model.region_encoder.backbone'),
    ]


def finetune_options(supervised):
    """Both fine-tunes: DETReg's 0.1x backbone lr, the classifier's ResNet widths."""
    from miniature import width_options

    return [*FINETUNE_OPTIONS, *width_options(supervised['backbone'], 'model.backbone')]


def _extract(record, work, which):
    """Fine-tune inits: DETReg's hand-over (arm B) or the pre-training's frozen backbone,
    i.e. the classifier's, alone (arm A)."""
    from dpt.weights import extract_detector_weights

    out = osp.join(work, 'pretrain', f'{which}_init.pth')
    if not osp.isfile(out):
        if which == 'backbone':
            result, out = extract_detector_weights(
                record['checkpoint'], out, keep_heads=True, drop=[r'^(?!backbone\.)']
            )
        else:
            result, out = extract_detector_weights(record['checkpoint'], out, preset='detreg')
        print(result.summary(), flush=True)
    return out


def report(command, seeds, supervised, budget, table, total_seconds):
    from miniature import machine

    rec = supervised['record']
    acc = f"{100 * rec['val_accuracy']:.1f} %" if 'val_accuracy' in rec else 'not measured'
    return (
        f'# DETReg miniature on the demo data\n\n'
        f'Made by `{command}` on {time.strftime("%Y-%m-%d")}, {machine()}, seeds {seeds}; '
        f'{total_seconds / 60:.1f} min wall-clock for that command (stages finished by an '
        f'earlier run are reused, not counted; times are rough on a shared machine). '
        f'See docs/detreg.md.\n\n'
        f"- supervised backbone: ResNet-18 at a quarter width trained as a classifier on "
        f"{rec['train_images']} classification demo images ({rec['recipe']['epochs']} "
        f'epochs; val accuracy {acc}); frozen in the pre-training, where its layer2 also '
        f'embeds the region crops (DETReg: SwAV ResNet-50)\n'
        f'- budget: {budget}\n\n{table}\n'
        f'\nAll four strategies against their own baselines from a real ImageNet backbone '
        f'(MobileNetV2), over several seeds: [the shared table](strategies.md).\n'
    )


def main():
    from miniature import (
        CLASSIFIER_DIR,
        DEMO_CLS,
        budget,
        budget_stages,
        command_line,
        demo_classifier,
        extracted_arms,
        miniature_parser,
        pretrain_and_finetunes,
        print_table,
        run_seeds,
        write_report,
    )

    p = miniature_parser(__doc__.split('\n\n')[0], 'detreg')
    p.add_argument('--cls-data', default=DEMO_CLS, help='the classification demo split')
    p.add_argument(
        '--classifier-dir',
        default=CLASSIFIER_DIR,
        help='where the classifier is trained (shared with the DAP miniature)',
    )
    p.add_argument('--classifier-epochs', type=int, default=40)
    args = p.parse_args()
    from stages import data_root_options

    start = time.time()
    data = osp.join(ROOT, args.data)
    prepare(data)
    supervised = demo_classifier(
        osp.join(ROOT, args.cls_data), osp.join(ROOT, args.classifier_dir), args.classifier_epochs
    )

    def run_seed(seed):
        opts = [*data_root_options(data), f'randomness.seed={seed}']
        work = osp.join(ROOT, args.work_dir, f'seed{seed}')
        return pretrain_and_finetunes(
            seed,
            work,
            (
                'DETReg pre-training',
                PRETRAIN,
                [*opts, *pretrain_options(supervised), *args.pretrain_options],
            ),
            FINETUNE,
            [*opts, *finetune_options(supervised), *args.finetune_options],
            lambda pre: extracted_arms(pre, work, ARMS, _extract, 'detreg_finetune'),
        )

    table = print_table(run_seeds(args.seeds, run_seed), args.seeds)
    write_report(
        args.out,
        report(
            command_line(__file__),
            args.seeds,
            supervised,
            budget(data, budget_stages(args, PRETRAIN, FINETUNE)),
            table,
            time.time() - start,
        ),
    )


if __name__ == '__main__':
    main()
