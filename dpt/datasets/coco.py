"""A COCO dataset that checks its inputs and names the file and item at fault."""
import json
import math
import os.path as osp
from collections import defaultdict

import mmcv
from mmengine.fileio import get
from mmengine.logging import print_log

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS

from ..utils.errors import DataError


def check_coco(data, source, keys=('images', 'annotations', 'categories'),
               kind='COCO instances file'):
    """Check a loaded COCO-style dict: the ``keys`` lists are there and every annotation
    names an image of ``images``; :class:`DataError` naming ``source`` and the first item at
    fault otherwise. Returns the set of image ids."""
    for key in keys:
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            raise DataError(f"{source}: no '{key}' list; is this a {kind}?")
    ids = {img.get('id') for img in data['images'] if isinstance(img, dict)}
    unknown = [(i, a) for i, a in enumerate(data.get('annotations', []))
               if not isinstance(a, dict) or a.get('image_id') not in ids]
    if unknown:
        i, first = unknown[0]
        first = first if isinstance(first, dict) else {}
        more = f' (and {len(unknown) - 1} more)' if len(unknown) > 1 else ''
        raise DataError(f"{source}: annotation {first.get('id', i)} names image id "
                        f"{first.get('image_id')}, which is not in 'images'{more}")
    return ids


class CheckedCOCO(COCO):
    """pycocotools' COCO that refuses annotations naming an image the file does not hold."""

    def __init__(self, annotation_file):
        self.source = annotation_file
        try:
            super().__init__(annotation_file)
        except json.JSONDecodeError as e:
            raise DataError(f'{annotation_file}: not valid JSON ({e})') from None

    def createIndex(self):
        check_coco(self.dataset, self.source)
        super().createIndex()


def _degenerate(ann, width, height):
    """Why a box cannot be trained on, or None. Mirrors the rule mmdet applies silently."""
    box = ann.get('bbox')
    if not isinstance(box, (list, tuple)) or len(box) != 4 or not all(
            isinstance(v, (int, float)) and math.isfinite(v) for v in box):
        return f'bbox {box!r} is not 4 finite numbers'
    x, y, w, h = box
    if w < 1 or h < 1:
        return f'box {w:g}x{h:g} px is smaller than 1 px'
    if min(x + w, width) - max(x, 0) <= 0 or min(y + h, height) - max(y, 0) <= 0:
        return f'box {box} lies outside the {width}x{height} image'
    if ann.get('area', 1) <= 0:
        return f"area {ann.get('area')} <= 0"
    return None


class CheckedImagesMixin:
    """An image that cannot be read when a sample is loaded: :class:`DataError` naming the
    image file and its id, whatever the pipeline raised (for mmengine datasets whose data
    infos have ``img_path`` and ``img_id``)."""

    def prepare_data(self, idx):
        try:
            return super().prepare_data(idx)
        except Exception as e:
            info = self.get_data_info(idx)
            problem = self._image_problem(info['img_path'])
            if problem is None:
                raise  # not an input problem: let the real error through
            raise DataError(f"{info['img_path']} (image id {info['img_id']}): {problem}") from e

    def _image_problem(self, path):
        try:
            data = get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            return 'image file not found'
        except OSError as e:
            return f'cannot read image file ({e})'
        try:
            img = mmcv.imfrombytes(data)
        except Exception as e:  # decoders raise many types on corrupt data
            return f'corrupt image ({e})'
        return 'corrupt or empty image' if img is None or img.size == 0 else None


@DATASETS.register_module()
class CheckedCocoDataset(CheckedImagesMixin, CocoDataset):
    """mmdet's CocoDataset with clear errors for bad input.

    * a missing data root or annotation file, invalid JSON, an annotation naming an unknown
      image: :class:`DataError` naming the file and the item;
    * degenerate boxes (smaller than 1 px, outside the image, not numbers): dropped, as mmdet
      does, but with one warning per file listing them;
    * an image that cannot be read when it is loaded: :class:`DataError` naming the image
      file and its image id.
    """
    COCOAPI = CheckedCOCO

    def full_init(self):
        if self._fully_initialized:
            return
        if self.data_root and not osp.isdir(self.data_root):
            raise DataError(f"data root '{self.data_root}' does not exist "
                            f'({type(self).__name__}, ann_file {self.ann_file})')
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise DataError(f"annotation file '{self.ann_file}' not found "
                            f"(data_root '{self.data_root}')")
        super().full_init()

    def load_data_list(self):
        self._dropped = defaultdict(list)
        data_list = super().load_data_list()
        if self._dropped:
            items = [f'annotation {aid} of image {iid}: {why}'
                     for iid, anns in self._dropped.items() for aid, why in anns]
            shown = '; '.join(items[:5]) + (f'; ... {len(items) - 5} more' if len(items) > 5 else '')
            print_log(f'{self.ann_file}: dropped {len(items)} degenerate boxes ({shown})',
                      logger='current', level=30)
        return data_list

    def parse_data_info(self, raw_data_info):
        img = raw_data_info['raw_img_info']
        kept = []
        for ann in raw_data_info['raw_ann_info']:
            why = None if ann.get('ignore', False) else _degenerate(
                ann, img['width'], img['height'])
            if why:
                self._dropped[img['img_id']].append((ann.get('id'), why))
            else:
                kept.append(ann)
        return super().parse_data_info(dict(raw_data_info, raw_ann_info=kept))
