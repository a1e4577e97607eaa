"""The images to make proposals for: those of a COCO-style annotation file, or a folder's."""

import os
import os.path as osp

from ..utils.errors import DataError, load_json
from ..utils.image_io import read_rgb  # noqa: F401  (the one image reader, as training reads)

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def coco_images(ann_file, img_dir):
    """The ``images`` entries of a COCO-style file (annotations are not needed), checked."""
    if not osp.isfile(ann_file):
        raise DataError(f'{ann_file}: annotation file not found')
    if not osp.isdir(img_dir):
        raise DataError(f'{img_dir}: image folder not found (images of {ann_file})')
    data = load_json(ann_file)
    images = data.get('images') if isinstance(data, dict) else None
    if not isinstance(images, list):
        raise DataError(f"{ann_file}: no 'images' list; is this a COCO-style file?")
    seen = set()
    for i, img in enumerate(images):
        if not isinstance(img, dict) or not all(k in img for k in ('id', 'file_name')):
            raise DataError(f"{ann_file}: images[{i}] has no 'id' or 'file_name'")
        if img['id'] in seen:
            raise DataError(f"{ann_file}: images[{i}] repeats image id {img['id']}")
        seen.add(img['id'])
    if not images:
        raise DataError(f"{ann_file}: the 'images' list is empty")
    return images


def folder_images(img_dir):
    """Entries ``{id, file_name}`` for the image files under ``img_dir`` (recursive, sorted;
    ``file_name`` relative to ``img_dir``)."""
    if not osp.isdir(img_dir):
        raise DataError(f'{img_dir}: image folder not found')
    names = []
    for root, dirs, files in os.walk(img_dir, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith('.')]
        names += [
            osp.relpath(osp.join(root, f), img_dir)
            for f in files
            if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith('.')
        ]
    if not names:
        raise DataError(f'{img_dir}: no image files ({", ".join(IMAGE_EXTENSIONS)})')
    return [dict(id=i + 1, file_name=n) for i, n in enumerate(sorted(names))]
