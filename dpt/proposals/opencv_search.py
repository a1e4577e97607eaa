"""DETReg's region priors: OpenCV's selective search, fast mode, on a 128x128 copy of the image.

Bar et al., "DETReg: Unsupervised Pretraining with Region Priors for Object Detection"
(CVPR 2022, section 3.1); amirbar/DETReg ``datasets/selfdet.py``: the image (RGB, as PIL gives
it) is resized to 128x128, OpenCV ximgproc's ``switchToSelectiveSearchFast`` runs on it, and
the first 30 boxes in output order are scaled back to the image. Needs opencv-contrib-python
(see requirements.txt for how it shares ``cv2`` with opencv-python).
"""

import ctypes
import ctypes.util

import cv2
import numpy as np

DETREG_RESIZE = 128
DETREG_TOPK = 30

_libc = None


def _seed_c_rand(seed):
    """OpenCV ranks the regions by ``rand() * level`` (C's ``rand``), so the same image gives
    other boxes on every call; seeding C's generator makes the output a function of the image."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library('c') or None)
        except OSError:
            _libc = False
    if _libc:
        _libc.srand(int(seed))


def opencv_fast_search(img, resize=DETREG_RESIZE, topk=DETREG_TOPK, seed=0):
    """Boxes of OpenCV's fast selective search on an (H, W, 3) ``uint8`` image.

    Args:
        img: the image; DETReg passed RGB (OpenCV converts it as if it were BGR).
        resize: search on a ``resize`` x ``resize`` copy and scale the boxes back (DETReg: 128,
            amirbar/DETReg ``datasets/selfdet.py:120`` ``selective_search(img, h, w,
            res_size=128)``); ``None`` searches the image as it is (far slower at COCO size).
        topk: keep the first ``topk`` boxes in OpenCV's order (DETReg: 30); ``None`` keeps all.
        seed: seed of C's ``rand()`` before the search, for reproducible ranking.

    Returns:
        (N, 4) float32 ``(x1, y1, x2, y2)`` with ``x2 = x + w`` of OpenCV's rectangles.
    """
    img = np.ascontiguousarray(img)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'opencv_fast_search needs an (H, W, 3) image, got shape {img.shape}')
    h, w = img.shape[:2]
    small = img if resize is None else cv2.resize(img, (resize, resize))
    search = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
    search.setBaseImage(small)
    search.switchToSelectiveSearchFast()
    _seed_c_rand(seed)
    rects = search.process()
    boxes = np.asarray(rects, np.float32).reshape(-1, 4)
    if topk is not None:
        boxes = boxes[:topk]
    boxes[:, 2:] += boxes[:, :2]
    if resize is not None:
        boxes *= np.array([w, h, w, h], np.float32) / resize
    return boxes
