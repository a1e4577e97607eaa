"""An image-classification set: an ImageNet-style folder of class sub-folders (classes =
sorted sub-folder names, as torchvision's ``ImageFolder``), or a list file of
``relative/path label`` lines (label: a class index or a class name) under an image root."""

import os
import os.path as osp

from ..proposals.sources import IMAGE_EXTENSIONS
from ..utils.errors import DataError
from .list_file import read_list_lines


def read_folder(root):
    """([(relative path, class index)], class names) of ``root/<class>/**/<image>``."""
    if not osp.isdir(root):
        raise DataError(f'{root}: image folder not found')
    classes = sorted(d.name for d in os.scandir(root) if d.is_dir() and not d.name.startswith('.'))
    if not classes:
        raise DataError(f'{root}: no class sub-folders')
    items = []
    for index, name in enumerate(classes):
        for folder, dirs, files in os.walk(osp.join(root, name), followlinks=True):
            dirs.sort()
            items += [
                (osp.relpath(osp.join(folder, f), root), index)
                for f in sorted(files)
                if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith('.')
            ]
    if not items:
        raise DataError(f'{root}: no image files in its class folders')
    return items, classes


def read_list(path, classes=None):
    """([(path, class index)], class names) from ``path`` lines ``relative/path label``;
    class names come from ``classes`` (a list) or are the sorted names the file uses."""
    rows = []
    for number, line in read_list_lines(path):
        parts = line.rsplit(None, 1)
        if len(parts) != 2:
            raise DataError(f'{path}: line {number}: expected "<image path> <label>"')
        rows.append((number, parts[0], parts[1]))
    if not rows:
        raise DataError(f'{path}: no images listed')
    numeric = all(label.isdigit() for _, _, label in rows)
    if classes is None:
        classes = (
            [str(i) for i in range(max(int(r[2]) for r in rows) + 1)]
            if numeric
            else sorted({r[2] for r in rows})
        )
    index = {name: i for i, name in enumerate(classes)}
    items = []
    for number, image, label in rows:
        i = int(label) if numeric else index.get(label)
        if i is None or not 0 <= i < len(classes):
            raise DataError(
                f'{path}: line {number}: label {label!r} is not one of the {len(classes)} classes'
            )
        items.append((image, i))
    return items, list(classes)
