import pytest

from dpt.utils.constants import IMAGENET_MEAN, IMAGENET_MEAN_255, IMAGENET_STD, IMAGENET_STD_255


def test_imagenet_statistics_on_both_scales_agree():
    assert IMAGENET_MEAN_255 == pytest.approx([m * 255 for m in IMAGENET_MEAN], abs=1e-9)
    assert IMAGENET_STD_255 == pytest.approx([s * 255 for s in IMAGENET_STD], abs=1e-9)


def test_mmdet_preprocessor_numbers():
    """The 0-255 numbers are those of mmdet's own detection configs."""
    import os.path as osp

    import mmdet
    from mmengine.config import Config

    cfg = Config.fromfile(
        osp.join(
            osp.dirname(mmdet.__file__),
            '.mim',
            'configs',
            '_base_',
            'models',
            'faster-rcnn_r50_fpn.py',
        )
    )
    assert tuple(cfg.model.data_preprocessor.mean) == IMAGENET_MEAN_255
    assert tuple(cfg.model.data_preprocessor.std) == IMAGENET_STD_255
