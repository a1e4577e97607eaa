"""EMA update of the box-domain pre-trainer's target detector (AlignDet, ICCV 2023, Sec. 3.3)."""

import math

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


def cosine_momentum(base: float, cur_iter: int, max_iters: int, end: float = 1.0) -> float:
    """BYOL's schedule: ``m = end - (end - base) * (cos(pi * k / K) + 1) / 2``; ``base`` at
    k = 0, ``end`` at k = K."""
    return end - (end - base) * (math.cos(math.pi * cur_iter / max_iters) + 1) / 2


@HOOKS.register_module()
class TargetMomentumHook(Hook):
    """After every training iteration (i.e. optimizer step), moves the target detector towards
    the online one with the cosine-annealed momentum of :func:`cosine_momentum`, starting from
    the model's ``momentum`` (AlignDet's ``MomentumUpdateHook``, from mmselfsup)."""

    def __init__(self, end_momentum: float = 1.0) -> None:
        self.end_momentum = end_momentum

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        # runner.iter is the index k of the iteration just run (0 for the first)
        model.update_target(
            cosine_momentum(model.momentum, runner.iter, runner.max_iters, self.end_momentum)
        )
