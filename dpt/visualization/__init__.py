"""Pictures of what dpt trains on and produces (docs/tools.md): pipeline outputs
(:func:`browse_dataset`), box files over their images (:func:`browse_boxes`) and training
curves (:func:`plot_curves`), drawn with mmengine's visualizer, headless."""

from .boxes import browse_boxes, image_quality, read_boxes
from .browse import browse_dataset, item_rows
from .curves import plot_curves, read_scalars
from .draw import PALETTE, TRUE_COLOR, Panel, color, compose, draw_boxes, save_png

__all__ = [
    'browse_boxes',
    'image_quality',
    'read_boxes',
    'browse_dataset',
    'item_rows',
    'plot_curves',
    'read_scalars',
    'PALETTE',
    'TRUE_COLOR',
    'Panel',
    'color',
    'compose',
    'draw_boxes',
    'save_png',
]
