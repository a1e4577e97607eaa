"""dpt's image reader gives the arrays mmcv.imread gives (mmdet's loader decodes alike)."""

import cv2
import mmcv
import numpy as np
import pytest

from dpt.utils.image_io import ImageReadError, image_problem, read_image, read_rgb


@pytest.fixture
def photos(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (23, 31, 3), np.uint8)
    img[:, :8] = (10, 120, 240)  # channel order visible: a blue-ish BGR band
    paths = {}
    for ext in ('png', 'jpg'):
        paths[ext] = str(tmp_path / f'x.{ext}')
        assert cv2.imwrite(paths[ext], img)
    return paths


@pytest.mark.parametrize('ext', ['png', 'jpg'])
def test_same_arrays_as_mmcv_imread(photos, ext):
    path = photos[ext]
    for order, ours in (
        ('rgb', read_rgb(path)),
        ('rgb', read_image(path, 'rgb')),
        ('bgr', read_image(path)),
    ):
        ref = mmcv.imread(path, channel_order=order, backend='cv2')
        assert ours.dtype == ref.dtype == np.uint8 and ours.shape == ref.shape == (23, 31, 3)
        assert np.array_equal(ours, ref)
    assert np.array_equal(read_rgb(path), read_image(path)[..., ::-1])


def test_unreadable_files_say_why(tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    (tmp_path / 'junk.jpg').write_bytes(b'not an image' * 8)
    assert image_problem(str(tmp_path / 'empty.jpg')) == 'empty image file (0 bytes)'
    assert image_problem(str(tmp_path / 'gone.jpg')) == 'image file not found'
    with pytest.raises(ImageReadError, match='^corrupt image$'):
        read_rgb(str(tmp_path / 'junk.jpg'))  # not OpenCV's cvtColor message
