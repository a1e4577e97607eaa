"""The AlignDet miniature: its configs, data preparation (proposals, recall, 10 % split) and
table; the training stages themselves are tools/analysis_tools/stages.py, tested with the demo."""

import json
import os
import shutil

import pytest
from _cli import load_tool

load_tool('tools/analysis_tools/miniature.py')  # for `from miniature import` below

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tool():
    return load_tool('tools/analysis_tools/aligndet_miniature.py')


def test_finetune_config_reads_the_split_and_the_extracted_weights():
    from mmengine.config import Config

    tool = _tool()
    pre = Config.fromfile(os.path.join(ROOT, tool.PRETRAIN))
    cfg = Config.fromfile(os.path.join(ROOT, tool.FINETUNE))
    assert pre.train_dataloader.dataset.ann_file == tool.PROPOSALS
    assert cfg.train_dataloader.dataset.ann_file == tool.SPLIT
    assert cfg.train_dataloader.dataset.data_root == pre.train_dataloader.dataset.data_root
    assert cfg.model.roi_head.bbox_head.num_classes == 6
    assert cfg.model.backbone.depth == pre.model.detector.backbone.depth == 18
    assert cfg.load_from.endswith('aligndet_finetune_init.pth')
    assert cfg.train_cfg.max_epochs == 96 and cfg.param_scheduler[1].end == 96


def test_proposal_recall(tmp_path):
    tool = _tool()
    images = [dict(id=1, file_name='a.png', width=160, height=160)]
    gt = dict(
        images=images,
        annotations=[
            dict(id=1, image_id=1, bbox=[10, 10, 40, 40]),  # covered, large
            dict(id=2, image_id=1, bbox=[100, 100, 10, 10]),
        ],
    )  # missed, small
    props = dict(
        images=images,
        annotations=[
            dict(id=1, image_id=1, bbox=[12, 12, 40, 40]),
            dict(id=2, image_id=1, bbox=[0, 0, 160, 160]),
        ],
    )
    for name, data in (('gt', gt), ('props', props)):
        (tmp_path / f'{name}.json').write_text(json.dumps(data))
    s = tool.proposal_stats(tmp_path / 'props.json', tmp_path / 'gt.json')
    assert (s['proposals'], s['gt'], s['gt_large']) == (2, 2, 1)
    assert s['recall'] == 0.5 and s['recall_large'] == 1.0
    assert '50.0 %' in tool.format_proposals(s)


def test_prepare_makes_proposals_and_split(demo_data_root, tmp_path):
    tool = _tool()
    root = str(tmp_path / 'demo')
    shutil.copytree(demo_data_root, root)  # the session's demo set stays as it is
    s = tool.prepare(root, workers=1)
    assert os.path.isfile(os.path.join(root, tool.PROPOSALS))
    with open(os.path.join(root, tool.SPLIT)) as f:
        assert len(json.load(f)['images']) == 1  # 10 % of 16 images, rounded down
    assert s['images'] == 16 and s['proposals'] > 0 and 0 < s['recall'] <= 1
    assert tool.prepare(root, workers=1) == s  # a second run reuses everything


def test_table_and_report():
    from miniature import BOX_KEYS, format_table

    tool = _tool()
    m = dict.fromkeys(BOX_KEYS, 0.1)
    rows = [
        (tool.ARMS[0], 0, m, 0, 60.0),
        (tool.ARMS[1], 0, dict(m, **{'coco/bbox_mAP': 0.2}), 300.0, 90.0),
    ]
    lines = format_table(rows, with_mean=False).splitlines()
    assert lines[2] == f'| {tool.ARMS[0]} | 0 | 10.0 | 10.0 | 10.0 | - | 1.0 min |'
    assert lines[3] == f'| {tool.ARMS[1]} | 0 | 20.0 | 10.0 | 10.0 | 5.0 min | 1.5 min |'
    assert len(format_table(rows * 2, with_mean=True).splitlines()) == 8
    stats = dict(
        images=2,
        proposals=4,
        per_image=2.0,
        iou=0.5,
        large_side=32,
        gt=3,
        gt_large=1,
        recall=1 / 3,
        recall_large=1.0,
    )
    text = tool.report(
        'python tools/analysis_tools/aligndet_miniature.py',
        [0],
        stats,
        'pre-train 12 epochs',
        '| table |',
        600,
    )
    assert text.startswith('# AlignDet miniature') and '10.0 min' in text
    assert '33.3 %' in text and text.endswith('| table |\n')


@pytest.mark.parametrize('options', [[], ['train_cfg.max_epochs=1']])
def test_budget_counts_iterations(tmp_path, options):
    """Both stages drop images without boxes: 8 and 2 images have some of the 12."""
    from miniature import budget

    tool = _tool()
    for rel, images in ((tool.PROPOSALS, 8), (tool.SPLIT, 2)):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        anns = [dict(id=i, image_id=i % images) for i in range(10)]
        path.write_text(json.dumps(dict(images=[dict(id=i) for i in range(12)], annotations=anns)))
    text = budget(
        str(tmp_path),
        (
            ('pre-train', tool.PRETRAIN, ['train_cfg.max_epochs=3']),
            ('fine-tune', tool.FINETUNE, options),
        ),
    )
    assert text.startswith('pre-train 3 epochs = 6 iterations at batch 4 on 8 images')
    assert (
        'fine-tune 1 epochs = 1 iterations' if options else 'fine-tune 96 epochs = 96 iterations'
    ) in text
