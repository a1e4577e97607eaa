"""Multi-scale class activation maps as DAP's ``code/compute_box_imagenet1k.py`` makes them
(``get_transform``, ``compute_cam_twoscale``): at each short side (288 and 576) the image is
resized with PIL (bilinear, anti-aliased; torchvision's ``Resize``), normalised with the
ImageNet mean / std and zero-padded at the right and bottom to a multiple of 32; it and its
horizontal flip go through the classifier together and the flip's map is flipped back and
averaged in; each scale's map is min-max normalised; the smaller scales' maps are
nearest-upsampled to the largest's size and averaged with it, without normalising again
(the fused map's maximum can be below 1)."""

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F

from ..utils.constants import IMAGENET_MEAN, IMAGENET_STD


@dataclass(frozen=True)
class CamSettings:
    scales: tuple = (288, 576)  # short sides; DAP: 288 and 2 x 288
    flip: bool = True
    thresholds: tuple = (0.2, 0.3, 0.4, 0.5)
    min_rel_area: float = 0.5  # components whose rectangle has >= this x the largest's
    max_boxes: int = 4  # per threshold
    offset: float = 0.22  # moments of (cam + offset) where cam > threshold
    min_side: float = 1.0  # box sides in map cells are at least this
    size_divisor: int = 32  # zero padding of each resized image
    nms: tuple = (0.8,)  # one output per IoU; DAP trains with 0.8

    def to_dict(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def resize_short(img, short):
    """A PIL image resized so that its short side is ``short`` (the long side truncated to
    an integer), bilinear with anti-aliasing: torchvision's ``Resize(short)`` as DAP calls
    it (``interpolation=2``)."""
    from torchvision.transforms import InterpolationMode, functional as TF

    return TF.resize(img, short, InterpolationMode.BILINEAR)


def network_input(images, short, size_divisor=32):
    """(N, 3, H', W') float input of same-size PIL RGB images: resized (:func:`resize_short`),
    scaled to [0, 1], normalised, zero-padded at the right / bottom to ``size_divisor``."""
    arrays = [np.asarray(resize_short(im, short), dtype=np.uint8) for im in images]
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float().div(255)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    x = x.sub(mean).div(std)
    h, w = x.shape[-2:]
    s = size_divisor
    return F.pad(x, (0, (w + s - 1) // s * s - w, 0, (h + s - 1) // s * s - h), value=0)


def normalise(cam):
    """Per-map min-max normalisation of (N, h, w) maps (a constant map becomes 0)."""
    flat = cam.flatten(1)
    lo, hi = flat.min(1).values, flat.max(1).values
    return (cam - lo[:, None, None]) / (hi - lo).clamp_min(1e-12)[:, None, None]


def fuse_scales(maps):
    """DAP's two-scale map: each (N, h_i, w_i) map normalised, the others nearest-upsampled
    to the last (largest) one's size, averaged; not normalised again."""
    maps = [normalise(m) for m in maps]
    size = maps[-1].shape[-2:]
    up = [F.interpolate(m[:, None], size=tuple(size))[:, 0] for m in maps[:-1]]
    if len(maps) == 2:
        return (up[0] + maps[-1]) * 0.5
    return torch.stack([*up, maps[-1]]).mean(0)


@torch.no_grad()
def class_activation_maps(classifier, images, labels, settings=CamSettings(), device='cpu'):
    """``images``: same-size PIL RGB images, ``labels`` (N,) -> ((N, h, w) fused maps at the
    largest short side's map size, cell) with ``cell`` the image pixels per map cell: the
    network's stride at that scale times the resize factor (DAP: 32 x short / 576)."""
    labels = torch.as_tensor(labels, device=device)
    maps, stride = [], None
    for short in sorted(settings.scales):
        x = network_input(images, short, settings.size_divisor).to(device)
        if settings.flip:
            both = classifier.cams(torch.cat([x, x.flip(-1)]), torch.cat([labels, labels]))
            cam = (both[: len(x)] + both[len(x) :].flip(-1)) * 0.5
        else:
            cam = classifier.cams(x, labels)
        maps.append(cam)
        stride = x.shape[-2] / cam.shape[-2]
    w, h = images[0].size
    return fuse_scales(maps), stride * min(w, h) / max(settings.scales)
