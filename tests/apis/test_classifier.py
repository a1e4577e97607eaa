"""dpt.apis.classifier: a tiny timm classifier trained on a class-folder set, resumable."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from dpt.apis.classifier import RESUME_SUFFIX, ClassifierRecipe, build_model, train_classifier
from dpt.utils.errors import DataError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ClassifierRecipe(
    model_kwargs=dict(channels=(4, 8, 8, 8), stem_width=4),
    epochs=3,
    crop_scale=(0.35, 1.0),
    batch_size=4,
    lr=0.1,
    image_size=32,
    workers=0,
)


@pytest.fixture
def folder(tmp_path):
    """Bright images in class 'light', dark ones in 'dark': 8 each."""
    rng = np.random.default_rng(0)
    for cls, base in (('dark', 30), ('light', 220)):
        (tmp_path / 'train' / cls).mkdir(parents=True)
        for i in range(8):
            img = np.clip(base + rng.normal(0, 20, (40, 40, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(tmp_path / 'train' / cls / f'{i}.png')
    return tmp_path


def test_trains_writes_and_resumes(folder):
    out = str(folder / 'cls.pth')
    seen = []

    def stop_after_first_epoch(msg):
        seen.append(msg)
        if msg.startswith('epoch 2/'):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_classifier(str(folder / 'train'), out, TINY, log=stop_after_first_epoch)
    assert os.path.isfile(out + RESUME_SUFFIX) and not os.path.exists(out)
    seen.clear()
    record = train_classifier(
        str(folder / 'train'), out, TINY, str(folder / 'train'), log=seen.append
    )
    assert seen[0].startswith('resuming') and seen[1].startswith('epoch 2/3')
    assert len(seen) == 3 and not os.path.exists(out + RESUME_SUFFIX)
    assert record['classes'] == ['dark', 'light'] and record['train_images'] == 16
    assert record['val_accuracy'] == record['train_accuracy'] == 1.0  # an easy task
    model = build_model(TINY, 2)
    model.load_state_dict(torch.load(out, weights_only=True))
    with open(out + '.json') as f:
        assert json.load(f)['recipe']['model_kwargs']['stem_width'] == 4


def test_not_a_class_folder(tmp_path):
    (tmp_path / 'flat').mkdir()
    with pytest.raises(DataError, match='flat: not an image folder with one sub-folder'):
        train_classifier(str(tmp_path / 'flat'), str(tmp_path / 'x.pth'), TINY)
    r = subprocess.run(
        [
            sys.executable,
            'tools/misc/train_classifier.py',
            str(tmp_path / 'no'),
            str(tmp_path / 'x.pth'),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and r.stderr.strip().endswith('no: image folder not found')
