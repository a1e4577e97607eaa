"""Detector extraction: AlignDet-style pre-training checkpoints of the tiny demo detectors
(``online.`` / ``target.``) become fine-tuning checkpoints that load into the same detector
with only the output layers missing."""

import glob
import importlib.util
import os

import pytest
import torch
from mmengine.config import Config

from dpt.utils.checkpoint import load_checkpoint_file
from dpt.utils.errors import CheckpointError
from dpt.utils.state_dict import adapt_norm_layers, check_fits, compare_state_dicts, state_dict_of
from dpt.weights.detector import ALIGNDET_OUT, PLAIN_OUT, extract_detector, extract_detector_weights

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# output layers each detector loses, written out by hand (mmdet 3.3's module names)
OUTPUT_LAYERS = {
    'faster-rcnn': ['roi_head.bbox_head.fc_cls', 'roi_head.bbox_head.fc_reg'],
    'mask-rcnn': [
        'roi_head.bbox_head.fc_cls',
        'roi_head.bbox_head.fc_reg',
        'roi_head.mask_head.conv_logits',
    ],
    'cascade-rcnn': [
        f'roi_head.bbox_head.{i}.{layer}' for i in range(3) for layer in ('fc_cls', 'fc_reg')
    ],
    'retinanet': ['bbox_head.retina_cls', 'bbox_head.retina_reg'],
    'fcos': ['bbox_head.conv_cls', 'bbox_head.conv_reg', 'bbox_head.conv_centerness'],
    'detr': ['bbox_head.fc_cls', 'bbox_head.fc_reg'],
    # two decoder layers: each has a one-Linear classifier and a 3-Linear MLP (0, 2, 4)
    'deformable-detr': [
        'bbox_head.cls_branches.0',
        'bbox_head.cls_branches.1',
        'bbox_head.reg_branches.0.4',
        'bbox_head.reg_branches.1.4',
    ],
}


@pytest.fixture(scope='module', autouse=True)
def _registered():
    from mmdet.utils import register_all_modules

    register_all_modules()
    import dpt  # noqa: F401


def tiny(name, seed=0):
    from mmdet.registry import MODELS

    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(f'{ROOT}/configs/baselines/{name}_tiny_demo.py').model)
    model.init_weights()
    return model


def pretrain_checkpoint(state):
    """What the AlignDet pre-trainer's runner saves: both branches, plus mmengine's records."""
    return {
        'meta': {'epoch': 12, 'iter': 48},
        'state_dict': {
            **{f'online.{k}': v for k, v in state.items()},
            **{f'target.{k}': v + 1 for k, v in state.items()},
        },
        'optimizer': {'state': {}, 'param_groups': []},
    }


def modules(keys):
    return sorted({k.rsplit('.', 1)[0] for k in keys})


def project_load(path, model):
    """What DptRunner.load_checkpoint does with load_from: adapt, compare, refuse, load."""
    from mmengine.runner.checkpoint import load_checkpoint

    state, converted = adapt_norm_layers(state_dict_of(load_checkpoint_file(path)), model)
    report = compare_state_dicts(state, model.state_dict())
    check_fits(report, str(path), type(model).__name__, 0.5)
    load_checkpoint(model, str(path), strict=False, logger='silent')
    return report


@pytest.mark.parametrize('name', sorted(OUTPUT_LAYERS))
def test_online_detector_loads_without_output_layers(name, tmp_path):
    pretrained = tiny(name, seed=0).state_dict()
    work_dir = tmp_path / f'{name}_aligndet-pretrain'
    work_dir.mkdir()
    src = work_dir / 'epoch_12.pth'
    torch.save(pretrain_checkpoint(pretrained), src)

    result, out = extract_detector_weights(src)
    assert out == str(work_dir / ALIGNDET_OUT)  # the fine-tune configs' load_from
    assert modules(result.heads) == sorted(OUTPUT_LAYERS[name])
    assert len(result.left_out) == len(pretrained)  # the whole target detector
    ckpt = load_checkpoint_file(out)
    assert set(ckpt) == {'state_dict', 'meta'} and ckpt['meta']['prefix'] == 'online.'
    assert ckpt['meta']['dropped_output_layers'] == sorted(OUTPUT_LAYERS[name])

    finetune = tiny(name, seed=1)
    report = project_load(out, finetune)
    assert not report.unexpected and not report.shape_mismatch
    assert modules(report.missing) == sorted(OUTPUT_LAYERS[name])
    assert not any(k.startswith(('backbone.', 'neck.')) for k in report.missing)
    loaded = finetune.state_dict()
    for key in report.loaded:  # the online branch's tensors, not the target's
        assert torch.equal(loaded[key], pretrained[key]), key
    summary = result.summary()
    assert f'kept {len(report.loaded)} tensors, dropped {len(result.heads)}' in summary
    assert 'dropped' in summary and OUTPUT_LAYERS[name][0] in summary
    assert "left out 'target.'" in summary


def test_options(tmp_path):
    state = tiny('faster-rcnn').state_dict()
    ckpt = pretrain_checkpoint(state)
    # --which target: the EMA target
    result = extract_detector(ckpt, 'p.pth', which='target')
    assert result.prefix == 'target.'
    assert torch.equal(result.state['backbone.conv1.weight'], state['backbone.conv1.weight'] + 1)
    # --keep-heads keeps everything; --drop drops more
    assert len(extract_detector(ckpt, 'p.pth', keep_heads=True).state) == len(state)
    result = extract_detector(ckpt, 'p.pth', drop=[r'^rpn_head\.rpn_(cls|reg)\.'])
    assert modules(result.by_pattern) == ['rpn_head.rpn_cls', 'rpn_head.rpn_reg']
    assert 'dropped by --drop: rpn_head.rpn_cls, rpn_head.rpn_reg' in result.summary()
    # a plain detector checkpoint (DAP) and another prefix (DETReg-style)
    plain = extract_detector({'state_dict': state}, 'det.pth')
    assert plain.prefix == '' and not plain.aligndet and len(plain.state) == len(state) - 4
    other = extract_detector(
        {'model': {f'detector.{k}': v for k, v in state.items()}}, 'det.pth', prefix='detector'
    )
    assert other.prefix == 'detector.' and set(other.state) == set(plain.state)
    # a plain checkpoint is written as finetune_init.pth next to it
    torch.save({'state_dict': state}, tmp_path / 'epoch_1.pth')
    _, out = extract_detector_weights(tmp_path / 'epoch_1.pth')
    assert out == str(tmp_path / PLAIN_OUT)


def test_work_dir_and_refusals(tmp_path):
    state = tiny('retinanet').state_dict()
    torch.save(pretrain_checkpoint(state), tmp_path / 'epoch_3.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    result, out = extract_detector_weights(tmp_path)  # the work dir: its newest checkpoint
    assert result.source == str(tmp_path / 'epoch_3.pth') and out.endswith(ALIGNDET_OUT)

    with pytest.raises(CheckpointError, match='checkpoint file not found'):
        extract_detector_weights(tmp_path / 'out')
    (tmp_path / 'out').mkdir()
    with pytest.raises(CheckpointError, match='work dir without checkpoints'):
        extract_detector_weights(tmp_path / 'out')
    with pytest.raises(CheckpointError, match=r"^p\.pth: no 'target\.' detector"):
        extract_detector({'state_dict': state}, 'p.pth', which='target')
    with pytest.raises(CheckpointError, match=r"^p\.pth: not a detector checkpoint"):
        extract_detector({'state_dict': {'encoder_q.conv1.weight': torch.zeros(1)}}, 'p.pth')
    with pytest.raises(CheckpointError, match=r"^p\.pth: no key starts with 'student\.'"):
        extract_detector(pretrain_checkpoint(state), 'p.pth', prefix='student.')
    with pytest.raises(CheckpointError, match='not a regular expression'):
        extract_detector(pretrain_checkpoint(state), 'p.pth', drop=['(unclosed'])
    with pytest.raises(CheckpointError, match='nothing left'):
        extract_detector(pretrain_checkpoint(state), 'p.pth', drop=['.'])


def test_cli(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'extract_detector_weights', f'{ROOT}/tools/model_converters/extract_detector_weights.py'
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    torch.save(pretrain_checkpoint(tiny('fcos').state_dict()), tmp_path / 'epoch_12.pth')
    tool.main([str(tmp_path / 'epoch_12.pth'), '--drop', 'neck'])
    printed = capsys.readouterr().out
    assert 'bbox_head.conv_cls' in printed and f'wrote {tmp_path / ALIGNDET_OUT}' in printed
    with pytest.raises(SystemExit) as info:
        tool.main([str(tmp_path / 'epoch_12.pth'), '--prefix', 'student.'])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('extract_detector_weights: error: ')


PRETRAIN_DEMOS = sorted(glob.glob(f'{ROOT}/configs/aligndet/*_aligndet-pretrain_tiny_demo.py'))


@pytest.mark.skipif(not PRETRAIN_DEMOS, reason='no AlignDet pre-training demo configs')
@pytest.mark.parametrize('path', PRETRAIN_DEMOS, ids=os.path.basename)
def test_aligndet_pretrainer_hands_over(path):
    """The AlignDet pre-trainer's own state dict (online./target.) into its fine-tuning
    detector: only output layers (and a mask head, which box-domain pre-training lacks) miss."""
    from mmdet.registry import MODELS

    name = os.path.basename(path).split('_aligndet')[0]
    torch.manual_seed(0)
    pretrainer = MODELS.build(Config.fromfile(path).model)
    result = extract_detector({'state_dict': pretrainer.state_dict()}, path)
    finetune = Config.fromfile(f'{ROOT}/configs/baselines/{name}_tiny_demo.py').model
    if 'rcnn' in name:  # AlignDet fine-tunes R-CNN with its 4conv1fc box head, shared convs kept
        head = Config.fromfile(f'{ROOT}/configs/aligndet/_base_/rcnn_bbox_head.py')
        finetune.roi_head.bbox_head.update(head.aligndet_rcnn_bbox_head, conv_out_channels=64)
        assert any('.shared_convs.3.' in k for k in result.state)
    report = compare_state_dicts(result.state, MODELS.build(finetune).state_dict())
    assert not report.unexpected and not report.shape_mismatch

    def without_mask_head(names):
        return sorted(m for m in names if not m.startswith('roi_head.mask_head.'))

    assert without_mask_head(modules(report.missing)) == without_mask_head(OUTPUT_LAYERS[name])


def test_presets(tmp_path):
    """--preset dap drops the class-specific predictor (the default); an unknown preset is
    one line."""
    state = tiny('faster-rcnn').state_dict()
    torch.save({'state_dict': state}, tmp_path / 'epoch_1.pth')
    result, _ = extract_detector_weights(tmp_path / 'epoch_1.pth', preset='dap')
    assert modules(result.heads) == ['roi_head.bbox_head.fc_cls', 'roi_head.bbox_head.fc_reg']
    with pytest.raises(CheckpointError, match='^preset=dino: unknown; choose from aligndet'):
        extract_detector_weights(tmp_path / 'epoch_1.pth', preset='dino')
