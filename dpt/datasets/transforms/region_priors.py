"""DETReg's region priors as ground truth: boxes of an unlabelled image and their crops.

Bar et al., "DETReg: Unsupervised Pretraining with Region Priors for Object Detection"
(CVPR 2022, sec. 3.1-3.2): the first 30 boxes of OpenCV's fast
selective search on a 128x128 copy of the image are one-class pseudo ground truth; each box,
cropped from the original image, resized to 128x128 and SimCLR-augmented, is embedded by a
frozen self-supervised encoder (in the model: :class:`dpt.models.detreg.DETReg`), and the
detector regresses that embedding. Images with fewer than 2 boxes, before or after the
view, are resampled.

Pipeline::

    LoadImageFromFile -> RegionPriors -> RandomFlip / RandomChoice(RandomChoiceResize,
    RandomCrop ...) -> MinRegionPriors -> PackRegionPriors

(DETReg's view: ``configs/detreg/_base_/pretrain_view.py``.)

Crops are taken here, before the view transforms, and follow their boxes through crops that
drop boxes by the box index in ``gt_instances_ids`` (which mmdet's crops filter with the boxes).
"""

import os.path as osp
import random

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from PIL import Image, ImageFilter
from torchvision import transforms as T

from ...proposals import opencv_fast_search
from ...utils.errors import ConfigError, DataError, load_json

SOURCES = ('online', 'cache')


class PILGaussianBlur:
    """SimCLR's blur as DETReg applies it (``datasets/selfdet.py`` ``GaussianBlur``): PIL's
    ``ImageFilter.GaussianBlur`` with a radius drawn uniformly from ``sigma``."""

    def __init__(self, sigma=(0.1, 2.0)):
        self.sigma = sigma

    def __call__(self, img):
        return img.filter(ImageFilter.GaussianBlur(radius=random.uniform(*self.sigma)))


def simclr_augmentation():
    """SimCLR's colour augmentation of the region crops (Chen et al., 2020, appendix A), as
    DETReg's ``get_query_transforms('train')`` composes it on PIL images after the resize:
    colour jitter (0.4, 0.4, 0.4, 0.1) with p 0.8, grayscale p 0.2, PIL Gaussian blur radius
    0.1-2 with p 0.5."""
    return T.Compose(
        [
            T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
            T.RandomGrayscale(p=0.2),
            T.RandomApply([PILGaussianBlur((0.1, 2.0))], p=0.5),
        ]
    )


def crop_box(box, width, height):
    """The integer box PIL's ``Image.crop`` cuts for a float xyxy box (each coordinate
    rounded, Python's ``round``, half to even), at least one pixel wide and high within the
    image (PIL would return an empty crop, which DETReg's resize then refuses)."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, y1 = min(max(x1, 0), width - 1), min(max(y1, 0), height - 1)
    return x1, y1, max(x2, x1 + 1), max(y2, y1 + 1)


def crop_regions(img_rgb, boxes, size=128, augmentation=None):
    """(N, 3, size, size) uint8 RGB crops of ``boxes`` (N, 4) xyxy from an (H, W, 3) uint8
    RGB image, made as DETReg makes them (``datasets/selfdet.py``): PIL ``Image.crop`` of the
    rounded box (:func:`crop_box`), PIL bilinear resize to ``size`` x ``size``
    (torchvision's ``Resize`` on a PIL image; PIL's filter is anti-aliased), then
    ``augmentation`` (a callable on PIL images), if any."""
    h, w = img_rgb.shape[:2]
    img = Image.fromarray(np.ascontiguousarray(img_rgb))
    crops = []
    for box in np.asarray(boxes, np.float32).reshape(-1, 4):
        patch = img.crop(crop_box(box, w, h)).resize((size, size), Image.BILINEAR)
        if augmentation is not None:
            patch = augmentation(patch)
        crops.append(torch.from_numpy(np.asarray(patch, np.uint8).copy()).permute(2, 0, 1))
    if not crops:
        return torch.zeros((0, 3, size, size), dtype=torch.uint8)
    return torch.stack(crops)


@TRANSFORMS.register_module()
class MinRegionPriors(BaseTransform):
    """``None`` (mmengine's dataset then loads another image, in training) when fewer than
    ``min_priors`` boxes are left after the view transforms: DETReg draws another image when
    its view (``datasets/selfdet.py``, after ``detection_transform``) leaves < 2 boxes."""

    def __init__(self, min_priors=2):
        self.min_priors = min_priors

    def transform(self, results):
        if len(results['gt_bboxes']) < self.min_priors:
            return None
        return results

    def __repr__(self):
        return f'{type(self).__name__}(min_priors={self.min_priors})'


class ProposalCache:
    """First boxes per image of a COCO-style proposal file (``tools/misc/make_proposals.py``),
    in file order, by image file name; read on first use."""

    def __init__(self, path):
        self.path = path
        self._boxes = None

    def _load(self):
        data = load_json(self.path, 'proposal file')
        try:
            names = {im['id']: im['file_name'] for im in data['images']}
            boxes = {name: [] for name in names.values()}
            for ann in data['annotations']:
                x, y, w, h = ann['bbox']
                boxes[names[ann['image_id']]].append((x, y, x + w, y + h))
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(
                f'{self.path}: not a COCO-style proposal file ({type(e).__name__}: {e})'
            ) from None
        return {k: np.asarray(v, np.float32).reshape(-1, 4) for k, v in boxes.items()}

    def boxes(self, img_path):
        if self._boxes is None:
            self._boxes = self._load()
        # match by the name below the image folder as the file lists it, or by base name
        for key in (img_path, osp.basename(img_path)):
            if key in self._boxes:
                return self._boxes[key]
        tail = [k for k in self._boxes if img_path.endswith('/' + k)]
        if tail:
            return self._boxes[tail[0]]
        raise DataError(f'{self.path}: no image {osp.basename(img_path)!r} in the proposal file')


@TRANSFORMS.register_module()
class RegionPriors(BaseTransform):
    """DETReg's region priors of an unlabelled image as one-class ground truth.

    Args:
        source: ``'online'`` runs :func:`dpt.proposals.opencv_fast_search` on every load
            (DETReg's way; ~70 ms a COCO image), ``'cache'`` reads ``proposal_file``.
        proposal_file: COCO-style proposals (``make_proposals.py --method opencv_fast``).
        num_priors: boxes kept, the first in search / file order (DETReg: 30).
        min_priors: fewer boxes -> ``None``, which mmengine's dataset answers in training by
            loading another image (DETReg resamples images with < 2 boxes).
        search_size: side of the copy the online search runs on (DETReg: 128).
        patch_size: side of the region crops (DETReg: 128); 0 makes no crops.
        augment: SimCLR colour augmentation of the crops (DETReg: on).
        seed: seed of the online search's ranking; None draws one per call (DETReg's search
            ranks differently each time), an int makes the boxes a function of the image.
        label: class index of every box. DETReg labels them 1 of its COCO head's 91 classes
            (``datasets/selfdet.py``, ``models/__init__.py``); with a one-class head, 0.

    Adds ``gt_bboxes`` (HorizontalBoxes), ``gt_bboxes_labels`` (``label``), ``gt_ignore_flags``,
    ``gt_instances_ids`` (box index) and ``region_patches`` ((N, 3, S, S) uint8 RGB).
    """

    def __init__(
        self,
        source='online',
        proposal_file=None,
        num_priors=30,
        min_priors=2,
        search_size=128,
        patch_size=128,
        augment=True,
        seed=None,
        label=0,
    ):
        if source not in SOURCES:
            raise ConfigError(f'RegionPriors.source: {source!r} is not one of {SOURCES}')
        if source == 'cache' and not proposal_file:
            raise ConfigError("RegionPriors: source='cache' needs proposal_file")
        self.source, self.proposal_file = source, proposal_file
        self.num_priors, self.min_priors = num_priors, min_priors
        self.search_size, self.patch_size = search_size, patch_size
        self.augment, self.seed, self.label = augment, seed, label
        self.cache = ProposalCache(proposal_file) if source == 'cache' else None
        self.augmentation = simclr_augmentation() if augment else None

    def priors(self, img_rgb, img_path):
        """(N, 4) float32 xyxy boxes inside the image, at most ``num_priors``."""
        if self.source == 'online':
            seed = np.random.randint(2**31 - 1) if self.seed is None else self.seed
            boxes = opencv_fast_search(
                img_rgb, resize=self.search_size, topk=self.num_priors, seed=seed
            )
        else:
            boxes = self.cache.boxes(img_path)[: self.num_priors].copy()
        h, w = img_rgb.shape[:2]
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, w)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, h)
        return boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]

    def transform(self, results):
        img_rgb = results['img'][..., ::-1]  # mmcv loads BGR; search and encoder take RGB
        boxes = self.priors(img_rgb, results.get('img_path', ''))
        if len(boxes) < self.min_priors:
            return None
        n = len(boxes)
        results['gt_bboxes'] = HorizontalBoxes(boxes)
        results['gt_bboxes_labels'] = np.full(n, self.label, np.int64)
        results['gt_ignore_flags'] = np.zeros(n, bool)
        results['gt_instances_ids'] = np.arange(n, dtype=np.int64)
        if self.patch_size:
            results['region_patches'] = crop_regions(
                img_rgb, boxes, self.patch_size, self.augmentation
            )
        return results

    def __repr__(self):
        return (
            f'{type(self).__name__}(source={self.source!r}, num_priors={self.num_priors}, '
            f'min_priors={self.min_priors}, patch_size={self.patch_size}, '
            f'augment={self.augment})'
        )


@TRANSFORMS.register_module()
class PackRegionPriors(PackDetInputs):
    """mmdet's ``PackDetInputs`` that also packs the crops of the boxes left after the view
    transforms as ``gt_instances.patches`` (picked by ``gt_instances_ids``)."""

    def transform(self, results):
        packed = super().transform(results)
        if 'region_patches' in results:
            ids = torch.as_tensor(results['gt_instances_ids'], dtype=torch.long)
            flags = results.get('gt_ignore_flags')
            if flags is not None:
                ids = ids[torch.as_tensor(~np.asarray(flags, bool))]
            packed['data_samples'].gt_instances.patches = results['region_patches'][ids]
        return packed
