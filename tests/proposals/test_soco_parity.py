"""dpt's ``soco`` search against SoCo's own ``selective_search`` on photos (parity fixtures,
tests/data/parity/soco/PROVENANCE.md): the same boxes, in the same order, on every photo."""

import hashlib

import numpy as np
import pytest
from proposals.soco_photos import build_photo, recipes, soco_boxes

from dpt.proposals import felzenszwalb, selective_search
from dpt.proposals.propose import search

SOCO = soco_boxes()


@pytest.mark.parametrize('name', list(recipes()))
def test_same_boxes_as_soco(name):
    img = build_photo(recipes()[name])
    want, label_hash = SOCO[name]
    labels = felzenszwalb(img, scale=300, sigma=0.9, min_size=100)
    assert hashlib.sha256(labels.astype(np.int32).tobytes()).hexdigest() == label_hash
    boxes = selective_search(img)
    assert boxes.dtype == np.float32 and boxes.shape == want.shape, (boxes.shape, want.shape)
    np.testing.assert_array_equal(boxes, want)


def test_tool_search_is_soco_raw_output():
    """``--method soco --filter off --nms off`` keeps every box: the search's output."""
    from dpt.proposals import ProposalSettings, select

    img = build_photo(recipes()['chelsea'])
    raw = search(img, 'soco')
    np.testing.assert_array_equal(raw, SOCO['chelsea'][0])
    settings = ProposalSettings.from_options('soco', 'off', nms_iou='off')
    idx, _, used = select(raw, img.shape[:2], settings)
    assert used == 'off' and idx.tolist() == list(range(len(raw)))  # SoCo keeps duplicates too
