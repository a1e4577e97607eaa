"""The CAM-box benchmark's per-image loop (DAP's way) and dpt's batched path give the same
boxes: the speed ratio compares like with like."""

import importlib.util
import os

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_loop_and_batched_agree(tmp_path):
    import timm

    from dpt.pseudo_boxes import CamSettings, build_classifier

    spec = importlib.util.spec_from_file_location(
        'bench', os.path.join(ROOT, 'benchmarks', 'cam_boxes.py')
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    kw = dict(channels=(4, 8, 8, 8), stem_width=4)
    torch.manual_seed(0)
    torch.save(timm.create_model('resnet18', num_classes=3, **kw).state_dict(), tmp_path / 'c.pth')
    clf = build_classifier('timm:resnet18', str(tmp_path / 'c.pth'), kw)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(3)]
    settings = CamSettings(scales=(64, 128))
    a = bench.per_image_loop(clf, images, [0, 1, 2], settings, 'cpu')
    b = bench.batched(clf, images, [0, 1, 2], settings, 'cpu', batch=2)
    assert all(len(x) and x.shape == y.shape and np.allclose(x, y, atol=0.05) for x, y in zip(a, b))
