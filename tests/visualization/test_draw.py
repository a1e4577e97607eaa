"""dpt.visualization.draw: boxes land on the pixels their coordinates name, in their colour."""

import numpy as np

from dpt.visualization.draw import PALETTE, TITLE_HEIGHT, compose, draw_boxes, save_png, titled


def close(a, b, tol=40):
    return int(np.abs(np.asarray(a, int) - np.asarray(b, int)).max()) <= tol


def test_box_edges_in_their_colours_at_zoom_and_offset(tmp_path):
    img = np.full((40, 50, 3), 128, np.uint8)
    boxes = np.array([[5, 6, 20, 30], [25, 4, 45, 36]], np.float32)
    colors = [PALETTE[0], PALETTE[1]]
    left = titled(draw_boxes(img, boxes, colors, ['a', 'b'], zoom=2), 'title')
    right = draw_boxes(img, boxes[:1], colors[:1], zoom=1)
    picture = compose([[left, right]])
    assert left.offset == (0, 0) and right.offset == (left.image.shape[1] + 4, 0)
    for panel, box, col in (
        (left, boxes[0], colors[0]),
        (left, boxes[1], colors[1]),
        (right, boxes[0], colors[0]),
    ):
        x1, y1, x2, y2 = panel.to_picture(box)[0]
        ym = round((y1 + y2) / 2)
        assert close(picture[ym, round(x1)], col), picture[ym, round(x1) - 2 : round(x1) + 3]
        assert close(picture[ym, round(x2)], col)
        # inside the box, away from its edges and labels: the grey image
        assert close(picture[ym, round((x1 + x2) / 2)], (128, 128, 128), 5)
    assert left.title_height == TITLE_HEIGHT
    assert picture.shape[0] == 40 * 2 + TITLE_HEIGHT
    out = save_png(picture, str(tmp_path / 'sub' / 'p.png'))
    assert (tmp_path / 'sub' / 'p.png').stat().st_size > 0 and out.endswith('p.png')


def test_masks_and_heatmap_change_the_image_under_the_boxes():
    img = np.zeros((40, 40, 3), np.uint8)
    mask = np.zeros((1, 40, 40), bool)
    mask[0, 10:30, 10:30] = True
    panel = draw_boxes(img, [[2, 2, 38, 38]], [PALETTE[2]], masks=mask)
    assert panel.image[20, 20].sum() > 0 and panel.image[20, 7].sum() == 0
    heat = np.zeros((10, 10), np.float32)
    heat[5:, 5:] = 1
    hot = draw_boxes(img, [], [], heatmap=heat)
    assert hot.image[35, 35, 0] > hot.image[2, 2, 0]  # red where the map is high
