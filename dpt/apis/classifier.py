"""Train an image classifier on an ImageNet-style folder: the supervised backbone of the
miniatures (DETReg's and DAP's), where no ImageNet weights can be downloaded.

A timm model (any ``timm.create_model`` name and keyword arguments; the demo's is a ResNet-18
at a quarter width, ``channels=(16, 32, 64, 128), stem_width=16``, the tiny detectors'
backbone) is trained with SGD, cosine lr, random resized crops and flips; the images and
labels are read by torchvision's ``ImageFolder`` (one sub-folder per class, sorted names).
The weights are written in timm's layout, which ``tools/model_converters/convert_backbone.py``
and DAP's pseudo-box tool read. After each epoch a resume file (model, optimiser, epoch) is
written atomically next to the output, so a killed run continues from its last epoch.
"""

import io
import json
import os
import os.path as osp
import time
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from ..engine.fileio import atomic_write_bytes
from ..utils.checkpoint import load_checkpoint_file
from ..utils.constants import IMAGENET_MEAN, IMAGENET_STD
from ..utils.errors import CheckpointError, DataError

RESUME_SUFFIX = '.resume.pth'


@dataclass
class ClassifierRecipe:
    arch: str = 'resnet18'
    model_kwargs: dict = field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 32
    lr: float = 0.1
    weight_decay: float = 5e-4
    image_size: int = 128
    crop_scale: tuple = (0.6, 1.0)  # of RandomResizedCrop: the object must stay in view
    workers: int = 1
    seed: int = 0
    # weights to start from (e.g. torchvision's ImageNet MobileNetV2): every tensor of the
    # model but its final linear layer's, which has the new classes
    init: str = None


def _loader(img_dir, recipe, train):
    from torchvision import datasets, transforms as T

    if not osp.isdir(img_dir):
        raise DataError(f'{img_dir}: image folder not found')
    size = recipe.image_size
    aug = (
        [T.RandomResizedCrop(size, scale=tuple(recipe.crop_scale)), T.RandomHorizontalFlip()]
        if train
        else [T.Resize(size), T.CenterCrop(size)]
    )
    tf = T.Compose([*aug, T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    try:
        ds = datasets.ImageFolder(img_dir, transform=tf)
    except (FileNotFoundError, RuntimeError) as e:  # no class folders / no images
        raise DataError(f'{img_dir}: not an image folder with one sub-folder per class ({e})')
    g = torch.Generator().manual_seed(recipe.seed)
    return ds, torch.utils.data.DataLoader(
        ds,
        recipe.batch_size,
        shuffle=train,
        generator=g,
        num_workers=recipe.workers,
        drop_last=train,
    )


def build_model(recipe, num_classes):
    """``recipe.arch``: a timm model name, or ``torchvision:<name>``; started from
    ``recipe.init`` where given."""
    family, _, name = recipe.arch.rpartition(':')
    if family == 'torchvision':
        import torchvision

        model = torchvision.models.get_model(name, num_classes=num_classes, **recipe.model_kwargs)
    else:
        import timm

        model = timm.create_model(name, num_classes=num_classes, **recipe.model_kwargs)
    if recipe.init:
        _start_from(model, recipe.init)
    return model


def _start_from(model, path):
    """Load every tensor of ``path`` into ``model`` but the final linear layer's."""
    from ..utils.state_dict import revise_state_dict, state_dict_of

    state = revise_state_dict(state_dict_of(load_checkpoint_file(path, map_location='cpu'), path))
    head = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)][-1]
    own = model.state_dict()
    fit = {
        k: v
        for k, v in state.items()
        if k in own and v.shape == own[k].shape and not k.startswith(head + '.')
    }
    missing = [
        k
        for k in own
        if k not in fit and not k.startswith(head + '.') and not k.endswith('num_batches_tracked')
    ]
    if missing:
        raise CheckpointError(
            f"{path}: tensor '{missing[0]}' missing or of another shape "
            f'({len(missing)} of {len(own)}); another model?'
        )
    model.load_state_dict(fit, strict=False)


@torch.no_grad()
def accuracy(model, loader):
    model.eval()
    right = total = 0
    for x, y in loader:
        right += int((model(x).argmax(1) == y).sum())
        total += len(y)
    return right / max(total, 1)


def _save(obj, path):
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(buf.getvalue(), path)


def train_classifier(train_dir, out, recipe=ClassifierRecipe(), val_dir=None, log=print):
    """Train on ``train_dir``; write the weights to ``out`` and ``<out>.json`` (recipe,
    classes, accuracies); return that record. Resumes from ``<out>.resume.pth``."""
    torch.manual_seed(recipe.seed)
    train_set, train_loader = _loader(train_dir, recipe, train=True)
    val_loader = _loader(val_dir, recipe, train=False)[1] if val_dir else None
    model = build_model(recipe, len(train_set.classes))
    opt = torch.optim.SGD(
        model.parameters(), lr=recipe.lr, momentum=0.9, weight_decay=recipe.weight_decay
    )
    steps = recipe.epochs * len(train_loader)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, recipe.lr, total_steps=max(steps, 1), pct_start=0.1, anneal_strategy='cos'
    )
    resume, first = out + RESUME_SUFFIX, 0
    if osp.isfile(resume):
        state = load_checkpoint_file(resume, map_location='cpu')
        model.load_state_dict(state['model'])
        opt.load_state_dict(state['optimizer'])
        sched.load_state_dict(state['scheduler'])
        first = state['epoch']
        log(f'resuming {resume} after epoch {first}')
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(first, recipe.epochs):
        model.train()
        t0, seen, total = time.time(), 0, 0.0
        for x, y in train_loader:
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen, total = seen + len(y), total + loss.item() * len(y)
        log(
            f'epoch {epoch + 1}/{recipe.epochs}: loss {total / max(seen, 1):.3f}, '
            f'{seen / (time.time() - t0):.1f} img/s'
        )
        _save(
            dict(
                model=model.state_dict(),
                optimizer=opt.state_dict(),
                scheduler=sched.state_dict(),
                epoch=epoch + 1,
            ),
            resume,
        )
    record = dict(
        recipe=asdict(recipe),
        classes=train_set.classes,
        train_images=len(train_set),
        train_accuracy=accuracy(model, _loader(train_dir, recipe, False)[1]),
    )
    if val_loader is not None:
        record['val_accuracy'] = accuracy(model, val_loader)
    _save(model.state_dict(), out)
    atomic_write_bytes(json.dumps(record, indent=1).encode(), out + '.json')
    if osp.isfile(resume):
        os.remove(resume)
    return record
