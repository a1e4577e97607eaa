"""DAP's pre-training data: the images of a classification set with their CAM pseudo boxes
(``tools/misc/make_cam_boxes.py``) as a detection dataset with the classifier's classes."""

import os.path as osp

from mmdet.registry import DATASETS

from ..utils.errors import DataError, load_json
from .coco import CheckedCocoDataset


@DATASETS.register_module()
class PseudoBoxDataset(CheckedCocoDataset):
    """:class:`CheckedCocoDataset` whose classes, when the config names none, are the
    pseudo-box file's ``categories`` (by id), so a 1000-class ImageNet file needs no class
    list in the config. The file is then read twice (once here, once by the COCO API)."""

    def __init__(self, *args, ann_file='', metainfo=None, data_root='', **kwargs):
        if not (metainfo and metainfo.get('classes')):
            path = (
                ann_file if osp.isabs(ann_file) or not data_root else osp.join(data_root, ann_file)
            )
            if not osp.isfile(path):
                raise DataError(
                    f"pseudo-box file '{path}' not found (make it with "
                    'tools/misc/make_cam_boxes.py)'
                )
            data = load_json(path, 'pseudo-box file')
            cats = data.get('categories') if isinstance(data, dict) else None
            if (
                not isinstance(cats, list)
                or not cats
                or not all(isinstance(c, dict) and 'id' in c and 'name' in c for c in cats)
            ):
                raise DataError(
                    f"{path}: no 'categories' list of ids and names; is this a pseudo-box file?"
                )
            names = [c['name'] for c in sorted(cats, key=lambda c: c['id'])]
            metainfo = dict(metainfo or {}, classes=tuple(names))
        super().__init__(*args, ann_file=ann_file, metainfo=metainfo, data_root=data_root, **kwargs)
