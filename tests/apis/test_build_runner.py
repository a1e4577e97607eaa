"""dpt.apis.build_runner: the config's runner, whatever default scope is current."""

import os.path as osp

from _cli import ROOT
from mmengine.registry import DefaultScope

CONFIG = 'configs/baselines/faster-rcnn_tiny_demo.py'


def test_dpt_runner_is_found_when_another_scope_is_current(tmp_path):
    from dpt.apis import build_runner, load_config, prepare_train_config
    from dpt.engine.runner import DptRunner

    cfg = load_config(osp.join(ROOT, CONFIG), None)
    prepare_train_config(cfg, CONFIG, str(tmp_path))
    # what a plain mmengine Runner built earlier in the process leaves current
    with DefaultScope.overwrite_default_scope('mmengine'):
        assert type(build_runner(cfg)) is DptRunner
