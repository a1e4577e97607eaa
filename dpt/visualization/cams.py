"""DAP's class activation map of an image's label, as a heat map under its pseudo boxes
(``tools/analysis_tools/browse_boxes.py --classifier/--checkpoint``), computed with
:mod:`dpt.pseudo_boxes`' own functions: the map the boxes were fitted to."""

import numpy as np

from ..utils.errors import DataError


class CamHeatmaps:
    """Callable (file_name, RGB image) -> (H, W) map in [0, 1] of the image's ``label`` in
    ``box_file`` (a make_cam_boxes.py output: 1-based category ids), or None for an image
    without one."""

    def __init__(
        self, box_file, spec, checkpoint, model_kwargs=None, scales=(288, 576), device='cpu'
    ):
        from ..pseudo_boxes import CamSettings, build_classifier
        from .boxes import read_boxes

        self.boxes, cats = read_boxes(box_file)
        self.classifier = build_classifier(spec, checkpoint, model_kwargs).to(device).eval()
        self.settings = CamSettings(scales=tuple(scales))
        self.device = device
        if not any(b.label is not None for b in self.boxes.values()):
            raise DataError(
                f"{box_file}: its images have no 'label' (a make_cam_boxes.py "
                f'output has); no class to draw the activation map of'
            )

    def __call__(self, name, img_rgb):
        from PIL import Image

        from ..pseudo_boxes import class_activation_maps

        label = self.boxes[name].label
        if label is None:
            return None
        out = class_activation_maps(
            self.classifier,
            [Image.fromarray(img_rgb)],
            [int(label) - 1],
            self.settings,
            self.device,
        )
        cam, cell = out if isinstance(out, tuple) else (out, None)
        cam = cam[0].float().cpu().numpy()
        h, w = img_rgb.shape[:2]
        if cell:  # map cells cover the (padded) network input: cut the padding away
            cam = cam[: int(np.ceil(h / cell)), : int(np.ceil(w / cell))]
        lo, hi = float(cam.min()), float(cam.max())
        return (cam - lo) / max(hi - lo, 1e-12)
