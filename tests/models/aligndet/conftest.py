"""Fixtures of the AlignDet tests: tiny pre-train configs (the proposals of the demo data,
``proposal_file``, are in tests/conftest.py)."""

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CONFIG_DIR = os.path.join(ROOT, 'configs', 'aligndet')


@pytest.fixture(scope='module', autouse=True)
def _registered():
    from mmdet.utils import register_all_modules

    register_all_modules()
    import dpt  # noqa: F401


@pytest.fixture
def tiny_config(demo_data_root, proposal_file):
    """``make(name)``: the tiny pre-train config of ``name`` (faster-rcnn, ...), reading the
    session's demo data and proposals, loading in the test process."""
    from _cli import data_root_options
    from mmengine.config import Config

    def make(name):
        cfg = Config.fromfile(os.path.join(CONFIG_DIR, f'{name}_aligndet-pretrain_tiny_demo.py'))
        # every loader and evaluator on the session's demo data (a runner builds them all)
        cfg.merge_from_dict(dict(item.split('=', 1) for item in data_root_options(demo_data_root)))
        cfg.train_dataloader.dataset.ann_file = proposal_file
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            cfg[loader].update(num_workers=0, persistent_workers=False)
        return cfg

    return make
