"""Batched multi-scale class activation maps, as DAP makes them: for each short side (288
and 576) the image and its horizontal flip go through the classifier together, the flip's
map is flipped back and averaged in, the result min-max normalised; the scales' maps are
resized to the largest scale's map size and averaged."""
from dataclasses import dataclass

import torch
from torch.nn import functional as F


@dataclass(frozen=True)
class CamSettings:
    scales: tuple = (288, 576)      # short sides (DAP)
    flip: bool = True
    thresholds: tuple = (0.2, 0.3, 0.4, 0.5)
    min_rel_area: float = 0.5       # components with a box of >= this x the largest's area
    max_boxes: int = 4              # per threshold
    offset: float = 0.22            # moments of (cam + offset) * mask
    nms: tuple = (0.8,)             # one output per IoU; DAP trains with 0.8


def _resize_short(x, short):
    h, w = x.shape[-2:]
    s = short / min(h, w)
    return F.interpolate(x, size=(max(1, round(h * s)), max(1, round(w * s))),
                         mode='bilinear', align_corners=False)


def _normalise(cam):
    flat = cam.flatten(1)
    lo, hi = flat.min(1).values, flat.max(1).values
    return (cam - lo[:, None, None]) / (hi - lo).clamp_min(1e-12)[:, None, None]


@torch.no_grad()
def class_activation_maps(classifier, images, labels, settings=CamSettings()):
    """``images`` (N, 3, H, W) float RGB 0-255 of one size, ``labels`` (N,) -> (N, h, w)
    maps in [0, 1] at the largest scale's map size (normalised after averaging too)."""
    maps = []
    for short in settings.scales:
        x = _resize_short(images, short)
        if settings.flip:
            both = classifier.cams(torch.cat([x, x.flip(-1)]), torch.cat([labels, labels]))
            n = len(x)
            cam = (both[:n] + both[n:].flip(-1)) / 2
        else:
            cam = classifier.cams(x, labels)
        maps.append(_normalise(cam))
    size = max((m.shape[-2:] for m in maps), key=lambda s: s[0] * s[1])
    cams = torch.stack([F.interpolate(m[:, None], size=tuple(size), mode='bilinear',
                                      align_corners=False)[:, 0] for m in maps]).mean(0)
    return _normalise(cams)
