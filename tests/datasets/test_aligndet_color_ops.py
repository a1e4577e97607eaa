"""AlignDet's colour ops (dpt.datasets.transforms.color_ops) against the outputs of AlignDet's
own RandAug ops (tests/data/parity/aligndet/views/, PROVENANCE.md): exact, every op at every
magnitude it draws; Posterize never leaves a view black."""

import json
import os

import numpy as np
import pytest

FIXTURES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    'data',
    'parity',
    'aligndet',
    'views',
)
# AlignDet's class names (rand_aug.py) -> dpt's op names
ALIGNDET_NAMES = dict(
    Identity='Identity',
    AutoContrast='AutoContrast',
    RandEqualize='Equalize',
    RandSolarize='Solarize',
    RandColor='Color',
    RandContrast='Contrast',
    RandBrightness='Brightness',
    RandSharpness='Sharpness',
    RandPosterize='Posterize',
)
H, W = 30, 41


def parity_image():
    """The 41x30 BGR input of the fixtures (make_fixtures.py builds the same)."""
    rng = np.random.RandomState(0)
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    img = np.stack(
        [40 + 150 * x / (W - 1), 60 + 120 * y / (H - 1), 200 - 100 * (x + y) / (W + H - 2)], axis=-1
    )
    img += rng.randint(-25, 26, size=img.shape)
    img[8:18, 10:25] = (230, 30, 90)
    return np.clip(img, 20, 235).astype(np.uint8)


@pytest.fixture(scope='module')
def ops_fixture():
    with np.load(os.path.join(FIXTURES, 'ops.npz')) as data:
        arrays = dict(data)
    with open(os.path.join(FIXTURES, 'ops.json')) as f:
        return arrays, json.load(f)


@pytest.fixture(scope='module', autouse=True)
def _registered():
    import dpt  # noqa: F401


def test_parity_image_is_rebuilt(ops_fixture):
    arrays, _ = ops_fixture
    np.testing.assert_array_equal(parity_image(), arrays['image'])


@pytest.mark.parametrize('aligndet_name', sorted(ALIGNDET_NAMES))
def test_op_matches_aligndet(ops_fixture, aligndet_name):
    from dpt.datasets.transforms import color_op

    arrays, meta = ops_fixture
    image = arrays['image']
    op = ALIGNDET_NAMES[aligndet_name]
    if aligndet_name in arrays:  # no magnitude
        expected = {5: arrays[aligndet_name]}
    else:
        expected = {m: arrays[f'{aligndet_name}_m{m}'] for m in meta['magnitudes']}
    for m, want in expected.items():
        out = color_op(image.copy(), op, m)
        assert out.dtype == np.uint8 and out.shape == image.shape
        diff = np.abs(out.astype(int) - want.astype(int))
        assert diff.max() == 0, (
            f'{op} at magnitude {m}: {int((diff > 0).sum())} values differ, by up to {diff.max()}'
        )
    if op != 'Identity':  # the fixture is not the input: the comparison can fail
        assert any((want != image).any() for want in expected.values())


def test_magnitude_tables(ops_fixture):
    """AlignDet's parameters per magnitude, as its own helpers computed them."""
    _, meta = ops_fixture
    params = meta['params']
    assert params['RandSolarize threshold'] == [25, 51, 76, 102, 128, 153, 179, 204, 230]
    assert params['RandPosterize bits'] == [4, 4, 3, 3, 2, 2, 2, 1, 1]
    np.testing.assert_allclose(
        params['RandColor/Contrast/Brightness/Sharpness factor'], np.arange(1, 10) * 0.18 + 0.1
    )


def test_draws_are_aligndets():
    """Op uniform over the nine, applied always, magnitude uniform over 1..9."""
    from mmcv.transforms import Compose
    from mmdet.registry import TRANSFORMS

    from dpt.datasets.transforms import ALIGNDET_COLOR_OPS

    aug = TRANSFORMS.build(dict(type='RandomColorOp'))
    assert aug.ops == ALIGNDET_COLOR_OPS and len(aug.ops) == 9
    np.random.seed(0)
    draws = [aug._draw() for _ in range(4000)]
    ops = [op for op, _ in draws]
    mags = np.array([m for _, m in draws])
    assert set(ops) == set(ALIGNDET_COLOR_OPS)
    assert set(mags.tolist()) == set(range(1, 10))
    counts = np.array([ops.count(op) for op in ALIGNDET_COLOR_OPS])
    assert counts.min() > 4000 / 9 * 0.8 and counts.max() < 4000 / 9 * 1.2
    # a transform in a Compose changes the image only through the drawn op
    out = Compose([aug])(dict(img=parity_image()))
    assert out['img'].shape == (H, W, 3)


def test_posterize_never_black():
    """AlignDet's Posterize keeps 4 - int(m * 4 / 10) >= 1 bits for every m it draws (1..9),
    so a bright image stays bright; mmdet's Posterize (level drawn in 0..4 bits, rounded)
    keeps 0 bits in about 1 of 80 draws and leaves the view black."""
    from mmdet.registry import TRANSFORMS

    from dpt.datasets.transforms import color_op

    bright = np.full((8, 8, 3), 200, np.uint8)
    ours = TRANSFORMS.build(dict(type='RandomColorOp', ops=['Posterize']))
    mmdet_posterize = TRANSFORMS.build(dict(type='Posterize', prob=1.0))
    np.random.seed(0)
    ours_black = mmdet_black = 0
    for _ in range(1000):
        ours_black += not ours(dict(img=bright.copy()))['img'].any()
        mmdet_black += not mmdet_posterize(dict(img=bright.copy()))['img'].any()
    assert ours_black == 0
    assert mmdet_black > 0  # the behaviour this test guards against exists
    for m in range(1, 10):
        assert (color_op(bright, 'Posterize', m) >= 128).all()


def test_bad_config():
    from dpt.datasets.transforms import RandomColorOp
    from dpt.utils.errors import ConfigError

    with pytest.raises(ConfigError, match="'Rotate'"):
        RandomColorOp(ops=['Color', 'Rotate'])
    with pytest.raises(ConfigError, match='magnitude 1'):
        RandomColorOp(magnitude=1)  # randint(1, 1) has nothing to draw
    with pytest.raises(ConfigError, match='prob'):
        RandomColorOp(prob=1.5)
    aug = RandomColorOp(ops=['Solarize'], magnitude=5, random_magnitude=False)
    np.testing.assert_array_equal(
        aug(dict(img=parity_image()))['img'],
        np.where(parity_image() < 128, parity_image(), 255 - parity_image()),
    )
