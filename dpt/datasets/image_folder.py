"""A folder of unlabelled images as a detection dataset, for pre-training without labels.

DETReg pre-trains on ImageNet's ``train/`` folder (``datasets/selfdet.py`` walks it; the class
sub-folders are not read) as well as on COCO's images. Here any folder is scanned
recursively for image files (``dpt.proposals.sources.IMAGE_EXTENSIONS``, sorted by path, ids
from 1), or the relative paths are read from a list file, one per line (a scan of ImageNet's
1.28 M files takes minutes on a network file system: write the list once). Samples have no
instances: a transform such as ``RegionPriors`` makes the pseudo ground truth.
"""

import os.path as osp

from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS

from ..proposals.sources import folder_images
from ..utils.errors import DataError
from .coco import CheckedImagesMixin
from .list_file import read_list_lines


@DATASETS.register_module()
class UnlabelledImageFolder(CheckedImagesMixin, BaseDetDataset):
    """Every image under ``data_root / data_prefix['img']``.

    Args:
        ann_file: optional list file of image paths relative to the image folder (blank lines
            and lines starting with '#' skipped); '' scans the folder.
        metainfo: defaults to one class, ``region`` (DETReg's priors are class-agnostic).
        *args, **kwargs: as mmdet's ``BaseDetDataset`` (``data_root``, ``data_prefix=dict(
            img=...)``, ``pipeline``, ...).
    """

    METAINFO = dict(classes=('region',))

    def __init__(self, *args, ann_file='', data_prefix=dict(img=''), **kwargs):
        super().__init__(*args, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def load_data_list(self):
        img_dir = self.data_prefix.get('img', '') or self.data_root or '.'
        if self.ann_file:
            names = self._read_list(self.ann_file)
        else:
            names = [im['file_name'] for im in folder_images(img_dir)]
        return [
            dict(img_id=i + 1, img_path=osp.join(img_dir, name), file_name=name, instances=[])
            for i, name in enumerate(names)
        ]

    @staticmethod
    def _read_list(path):
        names = []
        for number, line in read_list_lines(path):
            if osp.isabs(line) or line.startswith('..'):
                raise DataError(
                    f'{path}: line {number}: {line!r} is not a path relative to the image folder'
                )
            names.append(line)
        if not names:
            raise DataError(f'{path}: the image list is empty')
        return names

    def filter_data(self):
        # nothing to filter by: no sizes are read up front and no sample has labels
        return self.data_list
