"""What a config's training pipeline gives the model, drawn: mmdet's
``tools/analysis_tools/browse_dataset.py`` (the dataset of ``train_dataloader`` built from
the config, every item drawn after the whole pipeline), for each kind of item dpt's
pipelines make:

* detection (baselines, low-resolution pre-training crops, DAP's pseudo boxes): the image
  with its boxes (and masks) coloured by class;
* two views (AlignDet's ``MultiBranch``): the views side by side, box ``j`` the same colour
  and number in both (the same proposal, which the box-domain loss contrasts);
* region priors (DETReg's ``PackRegionPriors``): the view with its numbered priors and,
  below, the crops whose embeddings are the targets, numbered and framed alike.

Images come back from the pipeline's normalisation (a ``Normalize`` transform) and BGR.
"""

import os.path as osp

import numpy as np

from .draw import color, compose, draw_boxes, save_png, show, titled

TRANSFORM_NORMALIZE = 'Normalize'


def find_normalize(pipeline):
    """The ``Normalize`` step of a pipeline config (looked for in nested branches and
    choices too) as (mean, std, to_rgb), or None."""
    found = []

    def visit(node):
        if isinstance(node, dict):
            if str(node.get('type', '')).split('.')[-1] == TRANSFORM_NORMALIZE:
                found.append(node)
            for v in node.values():
                visit(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                visit(v)

    visit(pipeline)
    if not found:
        return None
    n = found[0]
    return (
        np.asarray(n['mean'], np.float32),
        np.asarray(n['std'], np.float32),
        bool(n.get('to_rgb', True)),
    )


def input_image(inputs, normalize=None):
    """(H, W, 3) uint8 RGB of a packed (3, H, W) input: un-normalised with ``normalize``
    ((mean, std, to_rgb)), BGR -> RGB unless the normalisation made it RGB already."""
    img = inputs.permute(1, 2, 0).cpu().numpy().astype(np.float32)
    rgb = False
    if normalize is not None:
        mean, std, rgb = normalize
        img = img * std + mean
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img if rgb else img[..., ::-1])


def _boxes(instances):
    b = instances.get('bboxes', None)
    if b is None:
        return np.zeros((0, 4), np.float32)
    b = getattr(b, 'tensor', b)
    return b.cpu().numpy().astype(np.float32).reshape(-1, 4)


def _masks(instances, shape):
    m = instances.get('masks', None)
    if m is None or len(m) == 0:
        return None
    from mmdet.models.utils import mask2ndarray

    masks = mask2ndarray(m).astype(bool)
    return masks if masks.shape[1:] == tuple(shape) else None


def _ids(instances, n):
    ids = instances.get('instances_ids', None)
    return (
        np.arange(n)
        if ids is None
        else np.asarray(ids.cpu() if hasattr(ids, 'cpu') else ids).reshape(-1)
    )


def _geometry(sample):
    meta = sample.metainfo
    h, w = meta.get('img_shape', (0, 0))[:2]
    flip = meta.get('flip_direction') if meta.get('flip') else None
    return f'{w}x{h}' + (f', flip {flip}' if flip else '')


def detection_panel(img, sample, class_names, zoom):
    inst = sample.gt_instances
    boxes = _boxes(inst)
    labels = inst.labels.cpu().numpy() if 'labels' in inst else np.zeros(len(boxes), int)
    names = [class_names[i] if class_names and i < len(class_names) else str(i) for i in labels]
    panel = draw_boxes(
        img, boxes, [color(i) for i in labels], names, zoom, masks=_masks(inst, img.shape[:2])
    )
    return panel


def id_panel(img, sample, zoom):
    """Boxes coloured and numbered by their instance id (the index of the proposal or
    region prior in the image's list)."""
    inst = sample.gt_instances
    boxes = _boxes(inst)
    ids = _ids(inst, len(boxes))
    return draw_boxes(img, boxes, [color(i) for i in ids], [int(i) for i in ids], zoom)


def crop_panels(patches, ids, zoom=1.0):
    """DETReg's region crops ((N, 3, S, S) uint8 RGB), each framed in its box's colour."""
    panels = []
    for patch, i in zip(patches, ids):
        crop = patch.permute(1, 2, 0).cpu().numpy().astype(np.uint8)
        s = crop.shape[0]
        panels.append(draw_boxes(crop, [[0.5, 0.5, s - 0.5, s - 0.5]], [color(i)], [int(i)], zoom))
    return panels


def item_rows(item, class_names=None, normalize=None, zoom=None, crops_per_row=8):
    """(kind, rows of panels, title) of one dataset item (the output of its pipeline)."""
    inputs, samples = item['inputs'], item['data_samples']
    if isinstance(inputs, dict):  # MultiBranch: one packed view per branch
        panels = []
        for name, x in inputs.items():
            img = input_image(x, normalize)
            z = zoom or auto_zoom(img)
            p = titled(
                id_panel(img, samples[name], z),
                f'{name}: {_geometry(samples[name])}, {len(samples[name].gt_instances)} boxes',
            )
            panels.append(p)
        first = next(iter(samples.values()))
        return 'views', [panels], osp.basename(first.metainfo.get('img_path', ''))
    img = input_image(inputs, normalize)
    z = zoom or auto_zoom(img)
    inst = samples.gt_instances
    name = osp.basename(samples.metainfo.get('img_path', ''))
    if 'patches' in inst:  # DETReg: region priors and the crops of their embedding targets
        view = titled(
            id_panel(img, samples, z), f'{name}: {_geometry(samples)}, {len(inst)} region priors'
        )
        ids = _ids(inst, len(inst))
        crops = crop_panels(inst.patches, ids)
        rows = [[view]] + [
            crops[i : i + crops_per_row] for i in range(0, len(crops), crops_per_row)
        ]
        return 'region priors', rows, name
    panel = titled(
        detection_panel(img, samples, class_names, z),
        f'{name}: {_geometry(samples)}, {len(inst)} boxes',
    )
    return 'boxes', [[panel]], name


def auto_zoom(img, small=320):
    """2 for the demo's small images (their labels stay readable), else 1."""
    return 2.0 if max(img.shape[:2]) <= small else 1.0


def build_train_dataset(cfg):
    """The dataset of ``cfg.train_dataloader`` in mmdet's default scope, as training builds
    it (the config's ``custom_imports`` were imported when it was read)."""
    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope

    import dpt  # noqa: F401  (registers dpt's datasets and transforms)

    init_default_scope(cfg.get('default_scope', 'mmdet'))
    return DATASETS.build(cfg.train_dataloader.dataset)


def browse_dataset(cfg, output_dir=None, max_items=None, show_window=False, wait_s=2.0, zoom=None):
    """Draw the first ``max_items`` items of ``cfg``'s training dataset (all without it) to
    ``output_dir/<index>_<image>.png`` (and a window, if ``show_window`` and a display).
    Returns one record per item: dict(path, kind, rows, image)."""
    seed = (cfg.get('randomness') or {}).get('seed')
    if seed is not None:  # the same pictures again (randomness.seed, as training seeds)
        from mmengine.runner import set_random_seed

        set_random_seed(seed)
    dataset = build_train_dataset(cfg)
    class_names = list(dataset.metainfo.get('classes', ()) or ())
    normalize = find_normalize(cfg.train_dataloader.dataset.get('pipeline', []))
    total = len(dataset) if max_items is None else min(max_items, len(dataset))
    records = []
    for index in range(total):
        item = dataset[index]
        kind, rows, name = item_rows(item, class_names, normalize, zoom)
        picture = compose(rows)
        path = None
        if output_dir:
            path = save_png(
                picture, osp.join(output_dir, f'{index:04d}_{osp.splitext(name)[0]}.png')
            )
        if show_window:
            show(picture, name, wait_s)
        records.append(dict(path=path, kind=kind, rows=rows, image=picture, item=item))
    return records
