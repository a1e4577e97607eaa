"""A COCO dataset that checks its inputs and names the file and item at fault."""

import math
import os.path as osp
from collections import defaultdict

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from ..utils.errors import DataError, load_json
from ..utils.image_io import image_problem


def _show_id(value, known=()):
    """An id as the user must look for it: a string in quotes, saying so where the file's
    other ids are numbers written the same way."""
    if not isinstance(value, str):
        return f'{value}'
    like = next((k for k in known if not isinstance(k, str) and str(k) == value), None)
    return f"'{value}' (a string" + (
        f'; the image id in \'images\' is the number {like})' if like is not None else ')'
    )


def _repeated(items, key):
    """(value, first index, second index) of the first ``key`` value two dicts share."""
    seen = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or key not in item:
            continue
        value = item[key]
        marker = (
            (type(value).__name__, value) if isinstance(value, (str, int, float)) else repr(value)
        )
        if marker in seen:
            return value, seen[marker], i
        seen[marker] = i
    return None


def _check_unique_ids(items, source, name, what):
    """:class:`DataError` naming ``source`` where two of ``items`` (the ``name`` list) share an
    id: ``what`` with the id filled in, then the two places."""
    twice = _repeated(items, 'id')
    if twice:
        value, a, b = twice
        raise DataError(f'{source}: {what.format(_show_id(value))} ({name}[{a}] and {name}[{b}])')


def check_coco(
    data,
    source,
    keys=('images', 'annotations', 'categories'),
    kind='COCO instances file',
    need_size=False,
):
    """Check a loaded COCO-style dict: the ``keys`` lists are there, image and annotation
    ids are unique, every image has an ``id`` (and, with ``need_size``, a positive ``width``
    and ``height``) and every annotation names an image of ``images``; :class:`DataError`
    naming ``source`` and the first item at fault otherwise. Returns the set of image ids."""
    if not isinstance(data, dict):
        raise DataError(
            f'{source}: the file holds a JSON {type(data).__name__}, not an '
            f'object with {", ".join(repr(k) for k in keys)}; is this a {kind}?'
        )
    for key in keys:
        if not isinstance(data.get(key), list):
            raise DataError(f"{source}: no '{key}' list; is this a {kind}?")
    images = data['images']
    for i, img in enumerate(images):
        if not isinstance(img, dict) or 'id' not in img:
            raise DataError(f"{source}: images[{i}] has no 'id'")
        if not isinstance(img['id'], (int, str)) or isinstance(img['id'], bool):
            raise DataError(
                f"{source}: images[{i}] has the id {img['id']!r}, not a number or a string"
            )
        if need_size:
            bad = [
                k
                for k in ('width', 'height')
                if not isinstance(img.get(k), (int, float))
                or isinstance(img.get(k), bool)
                or not img[k] > 0
            ]
            if bad:
                raise DataError(
                    f"{source}: image id {_show_id(img['id'])} (images[{i}], "
                    f"{img.get('file_name', 'no file_name')}) has no positive "
                    f"{' and '.join(repr(k) for k in bad)}"
                )
    _check_unique_ids(images, source, 'images', "image id {} is listed twice in 'images'")
    ids = {img['id'] for img in images}
    anns = data.get('annotations', [])
    if not isinstance(anns, list):
        anns = []
    _check_unique_ids(anns, source, 'annotations', 'annotation id {} is used twice')
    if 'categories' in keys:
        for i, cat in enumerate(data['categories']):
            if not isinstance(cat, dict) or 'id' not in cat or 'name' not in cat:
                raise DataError(f"{source}: categories[{i}] has no 'id' or 'name'")
        lacking = next(
            (i for i, a in enumerate(anns) if isinstance(a, dict) and 'category_id' not in a), None
        )
        if lacking is not None:
            raise DataError(
                f"{source}: annotation {_show_id(anns[lacking].get('id', lacking))}"
                f" has no 'category_id'"
            )
    unknown = [
        (i, a)
        for i, a in enumerate(anns)
        if not isinstance(a, dict) or a.get('image_id') not in ids
    ]
    if unknown:
        i, first = unknown[0]
        first = first if isinstance(first, dict) else {}
        more = f' (and {len(unknown) - 1} more)' if len(unknown) > 1 else ''
        raise DataError(
            f"{source}: annotation {_show_id(first.get('id', i))} names image id "
            f"{_show_id(first.get('image_id'), ids)}, which is not in 'images'"
            f'{more}'
        )
    return ids


class CheckedCOCO(COCO):
    """pycocotools' COCO for an instances file, checked first (:func:`check_coco`, with
    image sizes): a file that is missing, not UTF-8, not JSON or not a COCO object, repeated
    ids, an image without a size or an annotation naming an image the file does not hold is
    a :class:`DataError` naming the file and the item."""

    def __init__(self, annotation_file=None):
        self.source = annotation_file
        super().__init__()
        if annotation_file is not None:
            self.dataset = load_json(annotation_file)
            self.createIndex()

    def createIndex(self):
        check_coco(self.dataset, self.source, need_size=True)
        super().createIndex()
        # mmdet's snake-case aliases, made in its __init__ for the dicts of then
        self.img_ann_map, self.cat_img_map = self.imgToAnns, self.catToImgs


def _degenerate(ann, width, height):
    """Why a box cannot be trained on, or None. Mirrors the rule mmdet applies silently."""
    box = ann.get('bbox')
    if (
        not isinstance(box, (list, tuple))
        or len(box) != 4
        or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in box)
    ):
        return f'bbox {box!r} is not 4 finite numbers'
    x, y, w, h = box
    if w < 1 or h < 1:
        return f'box {w:g}x{h:g} px is smaller than 1 px'
    if min(x + w, width) - max(x, 0) <= 0 or min(y + h, height) - max(y, 0) <= 0:
        return f'box {box} lies outside the {width}x{height} image'
    if ann.get('area', 1) <= 0:
        return f"area {ann.get('area')} <= 0"
    return None


def _names(names, limit=8):
    names = [str(n) for n in names]
    more = f', ... ({len(names)} in all)' if len(names) > limit else ''
    return ', '.join(names[:limit]) + more


def _decoded_shapes(data):
    """The (height, width) of each image as decoded (``ori_shape`` of the packed samples)."""
    samples = data.get('data_samples') if isinstance(data, dict) else None
    shapes = []
    for sample in samples if isinstance(samples, (list, tuple)) else [samples]:
        shape = getattr(sample, 'metainfo', {}).get('ori_shape') if sample is not None else None
        if shape is not None:
            shapes.append(tuple(shape[:2]))
    return shapes


class CheckedImagesMixin:
    """A sample whose image cannot be read, or whose size is not the ``width`` x ``height``
    of its data info: :class:`DataError` naming the image file and its id, whatever the
    pipeline raised (for mmengine datasets whose data infos have ``img_path`` and
    ``img_id``; the size is checked where the infos have ``width`` and ``height``). Images
    are judged by :mod:`dpt.utils.image_io`, as the loader reads them."""

    def prepare_data(self, idx):
        try:
            data = super().prepare_data(idx)
        except Exception as e:
            info = self.get_data_info(idx)
            problem = image_problem(info['img_path'], self.backend_args)
            if problem is None:
                raise  # not an input problem: let the real error through
            raise DataError(f"{info['img_path']} (image id {info['img_id']}): {problem}") from e
        info = self.get_data_info(idx)
        if 'width' in info and 'height' in info:
            expected = (info['height'], info['width'])
            wrong = next((s for s in _decoded_shapes(data) if s != expected), None)
            if wrong:
                raise DataError(
                    f"{info['img_path']} (image id {info['img_id']}): the image is "
                    f'{wrong[1]}x{wrong[0]} px but {self.ann_file or "the annotation file"} '
                    f'says {expected[1]}x{expected[0]} (width x height); its boxes would not '
                    f'fit the image'
                )
        return data


@DATASETS.register_module()
class CheckedCocoDataset(CheckedImagesMixin, CocoDataset):
    """mmdet's CocoDataset with clear errors for bad input.

    * a missing data root or annotation file, a file that is not UTF-8 JSON or not a COCO
      object, repeated image or annotation ids, an image without ``width`` / ``height``, an
      annotation naming an unknown image: :class:`DataError` naming the file and the item;
    * no category of the file among the config's classes, or nothing left to train on:
      :class:`DataError` saying why (with both class lists);
    * degenerate boxes (smaller than 1 px, outside the image, not numbers) and annotations
      whose ``category_id`` is not in ``categories``: dropped, as mmdet does, but with one
      warning per file listing them;
    * an image that cannot be read when it is loaded, or whose size is not the file's:
      :class:`DataError` naming the image file and its image id.
    """

    COCOAPI = CheckedCOCO

    def full_init(self):
        if self._fully_initialized:
            return
        if self.data_root and not osp.isdir(self.data_root):
            raise DataError(
                f"data root '{self.data_root}' does not exist "
                f'({type(self).__name__}, ann_file {self.ann_file})'
            )
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise DataError(
                f"annotation file '{self.ann_file}' not found (data_root '{self.data_root}')"
            )
        super().full_init()

    def load_data_list(self):
        self._dropped = defaultdict(list)
        opened = []

        def open_coco(path):  # keep the COCO object mmdet deletes, for the checks below
            opened.append(type(self).COCOAPI(path))
            return opened[-1]

        self.COCOAPI = open_coco
        try:
            data_list = super().load_data_list()
        finally:
            del self.COCOAPI
        self._check_categories(opened[0])
        if self._dropped:
            items = [
                f'annotation {aid} of image {iid}: {why}'
                for iid, anns in self._dropped.items()
                for aid, why in anns
            ]
            shown = '; '.join(items[:5]) + (
                f'; ... {len(items) - 5} more' if len(items) > 5 else ''
            )
            print_log(
                f'{self.ann_file}: dropped {len(items)} degenerate boxes ({shown})',
                logger='current',
                level=30,
            )
        return data_list

    def _check_categories(self, coco):
        anns = coco.dataset['annotations']
        self._file_summary = dict(
            images=len(coco.dataset['images']),
            annotations=len(anns),
            of_classes=sum(a['category_id'] in self.cat2label for a in anns),
        )
        file_names = [c['name'] for c in coco.dataset['categories']]
        classes = list(self.metainfo.get('classes') or ())
        if not self.cat_ids:
            raise DataError(
                f"{self.ann_file}: none of its categories ({_names(file_names) or 'none'}) is "
                f"one of the config's classes ({_names(classes)}); set the dataset's "
                f"metainfo=dict(classes=...) to the file's category names"
            )
        unknown = [a for a in anns if a['category_id'] not in coco.cats]
        if unknown:
            ids = sorted({a['category_id'] for a in unknown}, key=str)
            print_log(
                f"{self.ann_file}: dropped {len(unknown)} annotations whose category_id "
                f"is not in 'categories' (category_id {_names(ids, 5)}; first: "
                f"annotation {_show_id(unknown[0].get('id'))} of image "
                f"{_show_id(unknown[0]['image_id'])})",
                logger='current',
                level=30,
            )

    def filter_data(self):
        data_list = super().filter_data()
        if not data_list:
            s = getattr(self, '_file_summary', None) or {}
            what = 'test on' if self.test_mode else 'train on'
            if not s.get('images'):
                why = "its 'images' list is empty"
            elif not self.test_mode and not s.get('of_classes'):
                why = (
                    f"none of its {s['annotations']} annotations is of the config's "
                    f"classes ({_names(self.metainfo.get('classes') or ())})"
                    if s.get('annotations')
                    else "its 'annotations' list is empty"
                )
            else:
                why = (
                    f"every one of its {s['images']} images is left out by filter_cfg "
                    f'{dict(self.filter_cfg or {})} (no box of the classes kept, or '
                    f'smaller than min_size)'
                )
            raise DataError(f'{self.ann_file}: no image to {what}: {why}')
        return data_list

    def parse_data_info(self, raw_data_info):
        img = raw_data_info['raw_img_info']
        kept = []
        for ann in raw_data_info['raw_ann_info']:
            why = (
                None if ann.get('ignore', False) else _degenerate(ann, img['width'], img['height'])
            )
            if why:
                self._dropped[img['img_id']].append((ann.get('id'), why))
            else:
                kept.append(ann)
        return super().parse_data_info(dict(raw_data_info, raw_ann_info=kept))
