"""A small synthetic instance-segmentation dataset in COCO format, made offline.

Six classes of shapes, textured and painted over cluttered backgrounds with occlusion,
so that a detector trained for a few minutes on a CPU learns something but is far from
perfect. Every image comes from its own random generator, seeded by
``(seed, split index, image index)``, so the same parameters give the same bytes.

:mod:`.render` makes the images, :mod:`.write` the datasets (:func:`make_demo_dataset`,
:func:`make_demo_classification`), :mod:`.preview` a picture of one (:func:`draw_samples`).
"""

from .preview import draw_samples
from .render import (
    DEMO_CLASSES,
    MIN_VISIBLE_FRACTION,
    MIN_VISIBLE_PIXELS,
    render_classification_image,
    render_image,
)
from .write import (
    FORMAT_VERSION,
    SPLITS,
    TASKS,
    make_demo_classification,
    make_demo_dataset,
    mask_to_polygons,
)

__all__ = [
    'DEMO_CLASSES',
    'FORMAT_VERSION',
    'SPLITS',
    'TASKS',
    'MIN_VISIBLE_FRACTION',
    'MIN_VISIBLE_PIXELS',
    'render_image',
    'render_classification_image',
    'mask_to_polygons',
    'make_demo_dataset',
    'make_demo_classification',
    'draw_samples',
]
