"""What the DETR-family heads of dpt's strategies share (AlignDet's
:class:`~dpt.models.aligndet.BoxDomainDETRHead`, DETReg's
:class:`~dpt.models.detreg.DETRegHead` and :class:`~dpt.models.detreg.DETRegDETRHead`):
two workarounds for what mmdet's DETR heads do only for themselves, and the extra query
branch each strategy adds beside the classifier.
"""

from contextlib import contextmanager
from types import SimpleNamespace

import torch

from ..utils.errors import ConfigError

# DETR's classification loss (facebookresearch/detr ``SetCriterion``, ``--eos_coef 0.1``),
# mmdet's DETRHead default: the no-object class weighs 0.1 of a real class
DETR_LOSS_CLS = dict(
    type='CrossEntropyLoss', bg_cls_weight=0.1, use_sigmoid=False, loss_weight=1.0, class_weight=1.0
)


def no_object_class_weight(loss_cls, num_classes):
    """``(loss_cls, bg_cls_weight)`` for a subclass of mmdet's ``DETRHead``.

    mmdet's ``DETRHead.__init__`` turns a number ``class_weight`` and ``bg_cls_weight`` (the
    no-object class's relative weight, DETR's ``eos_coef``) into one weight per class, the
    no-object class last, and sets ``self.bg_cls_weight`` (which enters the loss's average
    factor) only when the head is exactly ``DETRHead``; a subclass calls this first, passes
    the returned ``loss_cls`` on and sets ``self.bg_cls_weight`` after ``super().__init__``.

    Without ``class_weight`` (AlignDet's loss), or with a sigmoid loss (no no-object class),
    nothing is weighted and ``bg_cls_weight`` is 0: the loss is divided by the matched queries;
    a ``class_weight`` that already has one weight per class is left as it is, also with
    ``bg_cls_weight`` 0. ``bg_cls_weight`` defaults to ``class_weight``, as in mmdet.
    """
    loss_cls = dict(loss_cls)
    weight = loss_cls.get('class_weight')
    bg_cls_weight = loss_cls.pop('bg_cls_weight', weight)
    if weight is None or loss_cls.get('use_sigmoid', False):
        return loss_cls, 0
    if not _is_number(weight):  # one weight per class, the no-object one included: as given
        return loss_cls, 0
    if not _is_number(bg_cls_weight):
        raise ConfigError(
            f'bbox_head.loss_cls.bg_cls_weight: {bg_cls_weight!r} is not a '
            'number (the no-object class weight relative to class_weight)'
        )
    class_weight = torch.full((num_classes + 1,), float(weight))
    class_weight[num_classes] = float(bg_cls_weight)
    loss_cls['class_weight'] = class_weight
    return loss_cls, float(bg_cls_weight)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@contextmanager
def recorded_matches(head):
    """Within it, each ``head.assigner.assign`` result's ``gt_inds`` (0 unmatched, j + 1
    matched to box j) is appended to the yielded list, in the order mmdet's ``loss_by_feat``
    asks for them: decoder layers outer, images inner (then the encoder's, if two-stage).

    mmdet's DETR heads match inside their loss and return only the losses; the strategies'
    extra losses need the matches of the detection losses."""
    assigner, matches = head.assigner, []

    def assign(*args, **kwargs):
        result = assigner.assign(*args, **kwargs)
        matches.append(result.gt_inds)
        return result

    head.assigner = SimpleNamespace(assign=assign)
    try:
        yield matches
    finally:
        head.assigner = assigner


class QueryEmbeddingMixin:
    """A DETR-family head with one more branch on the decoder's queries, beside the classifier
    and the box regressor, under the strategy's own attribute name ``embedding_name`` (a name
    the fine-tuning detector does not have, so that weight extraction leaves the branch out:
    :data:`dpt.weights.detector.OUTPUT_LAYERS`). A subclass sets ``embedding_name`` and
    implements ``build_embedding()``."""

    embedding_name: str = None

    def build_embedding(self):
        raise NotImplementedError

    def _init_layers(self):
        super()._init_layers()
        setattr(self, self.embedding_name, self.build_embedding())

    def embed_queries(self, hidden_states):
        """The branch applied to ``hidden_states`` (..., embed_dims)."""
        return getattr(self, self.embedding_name)(hidden_states)
