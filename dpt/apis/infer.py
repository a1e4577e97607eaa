"""Detections of a trained detector on image files (``tools/infer.py``): mmdet's
:class:`DetInferencer` (pictures under ``OUT/vis/``, one JSON of labels, scores, boxes and
RLE masks per image under ``OUT/preds/``), with dpt's checks around it:

* the checkpoint is read with dpt's safe loader (installed into mmengine here, as the
  runner does: :func:`dpt.engine.install_mmengine_changes`);
* a pre-training checkpoint is refused (:func:`dpt.apis.checkpoints.check_testable`), and so
  is one of another model (less than ``min_fit`` of its tensors fit), where mmengine's
  non-strict loading would silently predict with random weights;
* the class names come from the config when the checkpoint has none (an extracted or
  converted one): DetInferencer would otherwise name the classes COCO's.
"""

import os.path as osp

from ..utils.checkpoint import load_checkpoint_file
from ..utils.errors import ConfigError, DataError
from ..utils.state_dict import check_fits, compare_state_dicts, state_dict_of
from .checkpoints import check_testable


def _config_classes(cfg):
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        classes = (dataset.get('metainfo') or {}).get('classes')
        if classes:
            return tuple(classes)
    return None


def build_inferencer(config, checkpoint, device='cpu', min_fit=0.5):
    """A DetInferencer of ``config`` with the weights of ``checkpoint``, checked."""
    from mmdet.apis import DetInferencer
    from mmengine.config import Config

    import dpt  # noqa: F401  (registers dpt's modules)

    from ..engine import install_mmengine_changes

    install_mmengine_changes()  # DetInferencer loads the weights through mmengine
    if not osp.isfile(config):
        raise ConfigError(f'{config}: config file not found')
    check_testable(checkpoint)
    cfg = Config.fromfile(config)
    ckpt = load_checkpoint_file(checkpoint, 'cpu')
    inferencer = DetInferencer(model=cfg, weights=checkpoint, device=device, show_progress=False)
    model = inferencer.model
    report = compare_state_dicts(state_dict_of(ckpt), model.state_dict())
    check_fits(report, checkpoint, type(model).__name__, min_fit)
    if 'dataset_meta' not in (ckpt.get('meta') or {}):
        classes = _config_classes(cfg)
        if classes:
            model.dataset_meta = dict(classes=classes, palette='random')
            inferencer.visualizer.dataset_meta = model.dataset_meta
    return inferencer


def infer_images(config, checkpoint, images, out_dir, score_thr=0.3, device='cpu', batch_size=1):
    """Run the detector on ``images`` (files or folders); write OUT/vis/<image> (drawn
    detections of score >= ``score_thr``) and OUT/preds/<image stem>.json. Returns
    [(image, prediction dict)]."""
    missing = [p for p in images if not osp.exists(p)]
    if missing:
        raise DataError(f'{missing[0]}: image file or folder not found')
    inferencer = build_inferencer(config, checkpoint, device)
    inputs = [f for p in images for f in inferencer._inputs_to_list(p)]  # folders listed
    result = inferencer(
        inputs,
        batch_size=batch_size,
        out_dir=out_dir,
        pred_score_thr=score_thr,
        no_save_vis=False,
        no_save_pred=False,
        print_result=False,
    )
    return list(zip(inputs, result['predictions']))
