"""One way to read an image, for training and for every job that writes boxes for images.

mmdet's ``LoadImageFromFile`` reads a file's bytes with mmengine's file backend and decodes
them with ``mmcv.imfrombytes`` (OpenCV's ``imdecode``, EXIF orientation applied). The
proposal, CAM-box and clustering jobs and the checked datasets read through this module too,
so an image the training loader refuses is refused everywhere, with the same reason, and the
boxes the jobs write fit the image a detector is trained on. (``cv2.imread`` is not the same
reader: it accepts a truncated JPEG and pads the missing rows with grey, where ``imdecode``
refuses it.)
"""

import mmcv
from mmengine.fileio import get


class ImageReadError(OSError):
    """An image file that is missing, empty or cannot be decoded; the message says which."""


def _one_line(exc) -> str:
    # OpenCV's messages span several lines ("OpenCV(4.x) file:line: error: (-215) ...")
    return ' '.join(str(exc).split()) or type(exc).__name__


def read_image(path, channel_order='bgr', backend_args=None):
    """An (H, W, 3) ``uint8`` image in ``channel_order`` ('bgr' or 'rgb'): the array
    ``mmcv.imread(path, channel_order=...)`` gives (with the cv2 backend), read and decoded
    as mmdet's ``LoadImageFromFile`` does. Raises :class:`ImageReadError` (an ``OSError``)
    saying what is wrong with the file."""
    try:
        data = get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise ImageReadError('image file not found') from None
    except OSError as e:
        raise ImageReadError(f'cannot read image file ({_one_line(e)})') from None
    if not data:
        raise ImageReadError('empty image file (0 bytes)')
    try:
        img = mmcv.imfrombytes(data, flag='color', channel_order='bgr', backend='cv2')
    except Exception as e:  # decoders raise many types on corrupt data
        raise ImageReadError(f'corrupt image ({_one_line(e)})') from None
    if img is None or img.size == 0:
        raise ImageReadError('corrupt image')  # truncated, or not an image at all
    # converted after the check: imfrombytes(channel_order='rgb') would fail in cvtColor on
    # an image it cannot decode, with OpenCV's message instead of this one
    return mmcv.bgr2rgb(img) if channel_order == 'rgb' else img


def read_rgb(path, backend_args=None):
    """An (H, W, 3) ``uint8`` RGB image; see :func:`read_image`."""
    return read_image(path, 'rgb', backend_args)


def image_problem(path, backend_args=None):
    """Why ``path`` cannot be read as an image (one line), or None if it can."""
    try:
        read_image(path, backend_args=backend_args)
    except ImageReadError as e:
        return str(e)
    return None
