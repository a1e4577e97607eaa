"""AlignDet's photometric view augmentation: one colour op per view, at a random magnitude.

AlignDet (Li et al., ICCV 2023; liming-ai/AlignDet ``AlignDet/datasets/pipelines/rand_aug.py``,
Soft Teacher's ops, Xu et al., ICCV 2021, after google-research/ssl_detection) gives each view
ONE op drawn uniformly from nine (its ``OneOf``), applied with probability 1 at a magnitude
``m`` drawn uniformly from 1..9 on a 0..10 scale:

* Solarize: threshold ``min(int(m * 256 / 10), 255)``, 25 .. 230;
* Color, Contrast, Brightness, Sharpness (PIL's ImageEnhance): factor ``m * 1.8 / 10 + 0.1``,
  0.28 .. 1.72;
* Posterize: bits kept ``4 - int(m * 4 / 10)``, 4, 4, 3, 3, 2, 2, 2, 1, 1.

Identity, AutoContrast and Equalize take no parameter. Posterize keeps at least one bit, so no
view is ever black (mmdet's ``Posterize`` maps level 0..10 to 0..4 bits and can keep none).
"""

from typing import Sequence

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmdet.registry import TRANSFORMS
from PIL import Image, ImageEnhance

from ...utils.errors import ConfigError

# AlignDet's OneOf, in its order (with a fixed seed, dpt draws the same op as AlignDet)
ALIGNDET_COLOR_OPS = (
    'Identity',
    'AutoContrast',
    'Equalize',
    'Solarize',
    'Color',
    'Contrast',
    'Brightness',
    'Sharpness',
    'Posterize',
)


def _enhance(img: np.ndarray, enhancer, factor: float) -> np.ndarray:
    # PIL's ImageEnhance on the RGB image, as AlignDet: mmcv's cv2 versions of Color and
    # Sharpness round differently (off by up to 1 and 18 grey levels on the parity image)
    out = enhancer(Image.fromarray(np.ascontiguousarray(img[..., ::-1]))).enhance(factor)
    return np.ascontiguousarray(np.asarray(out, dtype=img.dtype)[..., ::-1])


def _factor(m, max_magnitude):
    return float(m) * 1.8 / max_magnitude + 0.1  # 0 would destroy the image


_OPS = {
    'Identity': lambda img, m, top: img,
    'AutoContrast': lambda img, m, top: mmcv.auto_contrast(img),
    'Equalize': lambda img, m, top: mmcv.imequalize(img),
    'Solarize': lambda img, m, top: mmcv.solarize(img, min(int(m * 256 / top), 255)),
    'Color': lambda img, m, top: _enhance(img, ImageEnhance.Color, _factor(m, top)),
    'Contrast': lambda img, m, top: _enhance(img, ImageEnhance.Contrast, _factor(m, top)),
    'Brightness': lambda img, m, top: _enhance(img, ImageEnhance.Brightness, _factor(m, top)),
    'Sharpness': lambda img, m, top: _enhance(img, ImageEnhance.Sharpness, _factor(m, top)),
    'Posterize': lambda img, m, top: mmcv.posterize(img, 4 - int(m * 4 / top)),
}


def color_op(img: np.ndarray, op: str, magnitude: int, max_magnitude: int = 10) -> np.ndarray:
    """``img`` (BGR uint8) after AlignDet's colour op ``op`` at ``magnitude``."""
    if op not in _OPS:
        raise ConfigError(f'color_op: unknown op {op!r}; ops are {sorted(_OPS)}')
    return _OPS[op](img, magnitude, max_magnitude)


@TRANSFORMS.register_module()
class RandomColorOp(BaseTransform):
    """One colour op of ``ops``, drawn uniformly, at a random magnitude (AlignDet's ``OneOf``
    of its RandAug ops; the ops' magnitudes are in this module's docstring).

    The draws are AlignDet's, in its order: the op, then (inside the op) whether it applies
    (``prob``), then the magnitude, ``randint(1, magnitude)`` (1..9 with the defaults).

    Args:
        ops (Sequence[str]): Op names, from :data:`ALIGNDET_COLOR_OPS`.
        prob (float): Probability that the drawn op is applied; AlignDet: 1.
        magnitude (int): Magnitudes are drawn from 1..``magnitude - 1``; with
            ``random_magnitude=False`` it is the magnitude itself.
        random_magnitude (bool): Draw the magnitude (AlignDet) or use ``magnitude``.
        max_magnitude (int): The top of the magnitude scale (AlignDet's
            ``magnitude_limit``, 10).
    """

    def __init__(
        self,
        ops: Sequence[str] = ALIGNDET_COLOR_OPS,
        prob: float = 1.0,
        magnitude: int = 10,
        random_magnitude: bool = True,
        max_magnitude: int = 10,
    ) -> None:
        unknown = [op for op in ops if op not in _OPS]
        if unknown or not ops:
            raise ConfigError(
                f'RandomColorOp: ops {list(ops)!r}: {unknown or "none"} not '
                f'among {list(ALIGNDET_COLOR_OPS)}'
            )
        if not 0 <= prob <= 1:
            raise ConfigError(f'RandomColorOp: prob {prob} is not in [0, 1]')
        if not 1 <= magnitude <= max_magnitude or (random_magnitude and magnitude < 2):
            raise ConfigError(
                f'RandomColorOp: magnitude {magnitude} must be in '
                f'[{2 if random_magnitude else 1}, {max_magnitude}] '
                '(max_magnitude)'
            )
        self.ops = tuple(ops)
        self.prob = prob
        self.magnitude = magnitude
        self.random_magnitude = random_magnitude
        self.max_magnitude = max_magnitude

    @cache_randomness
    def _draw(self):
        op = self.ops[np.random.randint(len(self.ops))]  # = np.random.choice(ops)
        if not np.random.random() < self.prob:
            return op, None
        if self.random_magnitude:
            return op, np.random.randint(1, self.magnitude)
        return op, self.magnitude

    def transform(self, results: dict) -> dict:
        op, magnitude = self._draw()
        if magnitude is not None:
            results['img'] = color_op(results['img'], op, magnitude, self.max_magnitude)
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(ops={list(self.ops)}, prob={self.prob}, '
            f'magnitude={self.magnitude}, random_magnitude={self.random_magnitude}, '
            f'max_magnitude={self.max_magnitude})'
        )
