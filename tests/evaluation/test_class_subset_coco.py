"""DETReg's few-shot evaluation: COCO AP over the novel classes alone (ClassSubsetCocoMetric),
and TFA's novel / base class lists."""

import json

import pytest
import torch
from mmdet.datasets import CocoDataset
from mmdet.registry import METRICS
from mmdet.utils import register_all_modules
from mmengine.registry import DefaultScope

from dpt.evaluation import COCO_NOVEL_CLASSES, coco_base_classes
from dpt.utils.errors import ConfigError

register_all_modules()


@pytest.fixture(autouse=True)
def mmdet_scope():
    # the metrics are built by type name in mmdet's scope, whatever scope an earlier test in
    # the same process left current (a runner sets its own)
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def test_tfa_classes():
    classes = CocoDataset.METAINFO['classes']
    assert len(COCO_NOVEL_CLASSES) == 20 and set(COCO_NOVEL_CLASSES) <= set(classes)
    assert len(coco_base_classes(classes)) == 60


def _gt(tmp_path):
    images = [dict(id=i, width=100, height=100, file_name=f'{i}.jpg') for i in (1, 2)]
    anns = [
        dict(id=1, image_id=1, category_id=5, bbox=[10, 10, 30, 30], area=900, iscrowd=0),
        dict(id=2, image_id=2, category_id=9, bbox=[40, 40, 30, 20], area=600, iscrowd=0),
    ]
    path = tmp_path / 'gt.json'
    path.write_text(
        json.dumps(
            dict(
                images=images,
                annotations=anns,
                categories=[dict(id=5, name='cat'), dict(id=9, name='dog')],
            )
        )
    )
    return str(path)


def _evaluate(metric):
    metric.dataset_meta = dict(classes=('cat', 'dog'))
    # the cat is found exactly; the dog box misses its object
    preds = {1: ([[10, 10, 40, 40]], 0), 2: ([[0, 0, 20, 20]], 1)}
    for img_id, (boxes, label) in preds.items():
        metric.process(
            {},
            [
                dict(
                    img_id=img_id,
                    ori_shape=(100, 100),
                    pred_instances=dict(
                        bboxes=torch.tensor(boxes, dtype=torch.float32),
                        scores=torch.tensor([0.9]),
                        labels=torch.tensor([label]),
                    ),
                )
            ],
        )
    out = metric.evaluate(2)
    return out


def test_novel_ap_counts_only_the_novel_classes(tmp_path):
    ann_file = _gt(tmp_path)
    every = _evaluate(METRICS.build(dict(type='CocoMetric', ann_file=ann_file)))
    novel = METRICS.build(
        dict(type='ClassSubsetCocoMetric', ann_file=ann_file, eval_classes=['cat'])
    )
    only_cat = _evaluate(novel)
    assert every['coco/bbox_mAP'] == pytest.approx(0.5, abs=1e-3)
    assert only_cat['coco_novel/bbox_mAP'] == pytest.approx(1.0, abs=1e-3)
    # the labels still map to every category the next time
    assert novel.cat_ids == [5, 9]
    assert _evaluate(novel)['coco_novel/bbox_mAP'] == pytest.approx(1.0, abs=1e-3)


def test_unknown_class_is_refused(tmp_path):
    metric = METRICS.build(
        dict(type='ClassSubsetCocoMetric', ann_file=_gt(tmp_path), eval_classes=['cow'])
    )
    with pytest.raises(ConfigError, match="eval_classes: 'cow' is not a class"):
        _evaluate(metric)
