"""Train a timm classifier on an ImageNet-style folder (one sub-folder per class).

    # the demo's: ResNet-18 at a quarter width (the tiny detectors' backbone)
    python tools/misc/train_classifier.py data/demo_cls/train work_dirs/classifier/r18q.pth \\
        --val-dir data/demo_cls/val \\
        --model-kwargs '{"channels": [16, 32, 64, 128], "stem_width": 16}'

Writes the weights (timm layout) and OUT.json (recipe, classes, accuracies); a killed run
continues from its last finished epoch (OUT.resume.pth).
"""

import argparse
import json


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument('train_dir')
    p.add_argument('out')
    p.add_argument('--val-dir')
    p.add_argument('--arch', default='resnet18', help='a timm model name')
    p.add_argument('--model-kwargs', default='{}', help='JSON keyword arguments of the model')
    p.add_argument('--epochs', type=int, default=30)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--lr', type=float, default=0.1)
    p.add_argument('--image-size', type=int, default=128)
    p.add_argument('--workers', type=int, default=1)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    from dpt.apis import cli_errors
    from dpt.apis.classifier import ClassifierRecipe, train_classifier
    from dpt.utils.errors import ConfigError

    with cli_errors('train_classifier'):
        try:
            kwargs = json.loads(args.model_kwargs)
        except json.JSONDecodeError as e:
            raise ConfigError(f'--model-kwargs: not JSON ({e})') from None
        recipe = ClassifierRecipe(
            args.arch,
            kwargs,
            args.epochs,
            args.batch_size,
            args.lr,
            image_size=args.image_size,
            workers=args.workers,
            seed=args.seed,
        )
        record = train_classifier(args.train_dir, args.out, recipe, args.val_dir)
        print(json.dumps({k: v for k, v in record.items() if k != 'recipe'}))


if __name__ == '__main__':
    main()
