"""DETReg's few-shot setting on COCO (Bar et al., CVPR 2022, sec. 4.4, Table 3; its README
follows TFA, Wang et al., ICML 2020, ucbdrive/few-shot-object-detection): 60 base and 20 novel
classes (the PASCAL VOC ones), K = 10 / 30 instances per class, AP reported on the novel
classes. :class:`ClassSubsetCocoMetric` is mmdet's CocoMetric restricted to some classes."""

from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS

# TFA's COCO novel classes (builtin_meta.py): the 20 PASCAL VOC classes, by their COCO names
COCO_NOVEL_CLASSES = (
    'airplane',
    'bicycle',
    'bird',
    'boat',
    'bottle',
    'bus',
    'car',
    'cat',
    'chair',
    'cow',
    'dining table',
    'dog',
    'horse',
    'motorcycle',
    'person',
    'potted plant',
    'sheep',
    'couch',
    'train',
    'tv',
)


def coco_base_classes(classes):
    """The classes of ``classes`` (COCO's 80, in order) that are not novel: TFA's 60."""
    return tuple(c for c in classes if c not in COCO_NOVEL_CLASSES)


@METRICS.register_module()
class ClassSubsetCocoMetric(CocoMetric):
    """mmdet's ``CocoMetric`` whose COCO evaluation counts only ``eval_classes`` (the novel
    classes' AP, nAP, of few-shot detection); predictions of every class are written as
    usual, and COCOeval averages over the listed classes alone.

    Args:
        eval_classes: class names, a subset of the dataset's ``classes``.
        **kwargs: as ``CocoMetric``; ``prefix`` defaults to ``'coco_novel'``.
    """

    def __init__(self, eval_classes, prefix='coco_novel', **kwargs):
        super().__init__(prefix=prefix, **kwargs)
        self.eval_classes = tuple(eval_classes)
        self._all_cat_ids = None

    def results2json(self, results, outfile_prefix):
        # the labels map to the categories of every class; COCOeval then reads self.cat_ids
        files = super().results2json(results, outfile_prefix)
        classes = list(self.dataset_meta['classes'])
        unknown = [c for c in self.eval_classes if c not in classes]
        if unknown:
            from ..utils.errors import ConfigError

            raise ConfigError(
                f'ClassSubsetCocoMetric.eval_classes: {unknown[0]!r} is not a '
                f'class of the dataset ({len(unknown)} unknown)'
            )
        self._all_cat_ids = self.cat_ids
        self.cat_ids = [
            cat for cat, name in zip(self.cat_ids, classes) if name in self.eval_classes
        ]
        return files

    def compute_metrics(self, results):
        try:
            return super().compute_metrics(results)
        finally:
            if self._all_cat_ids is not None:
                self.cat_ids, self._all_cat_ids = self._all_cat_ids, None
