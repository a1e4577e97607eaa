"""Re-estimate BN running statistics before fine-tuning, where a checkpoint gave none.

A GN checkpoint loaded into a BN model (dpt's runner converts the layers, see
:func:`dpt.utils.state_dict.adapt_norm_layers`) gives BN the affine parameters but no running
statistics: they start at mean 0 / var 1. A BN layer in train mode re-estimates them as it
trains; one frozen in training (``norm_eval=True``, a frozen stage: the direct fine-tune
recipe) would keep 0 / 1 for good. :class:`ReestimateBNStatsHook` re-estimates them first, from
the training data, in the way of "precise BN" (Wu & Johnson, "Rethinking 'Batch' in BatchNorm",
arXiv 2105.07576): forward passes over ``num_batches`` training batches with only those
layers in train mode and a cumulative average (``momentum=None``), so each running mean /
variance is the average of the per-batch statistics; under distributed training the averages
are averaged across ranks. Nothing else changes: no gradient, no other buffer, no parameter.
"""

from typing import List, Optional

import torch
from mmdet.registry import HOOKS
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn


def frozen_norm_layers(model: nn.Module) -> List[str]:
    """Names of the BN layers that stay in eval mode while the model trains (``norm_eval``,
    frozen stages): found by putting the model in train mode, then restoring every mode."""
    modes = {m: m.training for m in model.modules()}
    model.train()
    frozen = [
        name
        for name, m in model.named_modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and not m.training
    ]
    for m, mode in modes.items():
        m.training = mode
    return frozen


@torch.no_grad()
def reestimate_bn_stats(
    model: nn.Module, layers: List[str], batches, num_batches: int, log=None
) -> int:
    """Set the running statistics of the BN ``layers`` of ``model`` to the average of their
    per-batch statistics over the first ``num_batches`` of ``batches`` (data-loader batches,
    passed through the model's data preprocessor as in training). Returns the number of
    batches used."""
    modules = dict(model.named_modules())
    bns = [modules[name] for name in layers]
    modes = {m: m.training for m in model.modules()}
    momenta = [bn.momentum for bn in bns]
    model.eval()
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average of the batches' statistics
        bn.train()
    used = 0
    try:
        for data in batches:
            if used == num_batches:
                break
            data = model.data_preprocessor(data, True)
            model(**data, mode='tensor')
            used += 1
            if log is not None and (used % 20 == 0 or used == num_batches):
                log(f'Re-estimating BN statistics: batch {used} / {num_batches}')
    finally:
        for bn, momentum in zip(bns, momenta):
            bn.momentum = momentum
        for m, mode in modes.items():
            m.training = mode
    for bn in bns:  # each rank averaged the same number of batches: average the averages
        all_reduce(bn.running_mean, op='mean')
        all_reduce(bn.running_var, op='mean')
    return used


@HOOKS.register_module()
class ReestimateBNStatsHook(Hook):
    """Before training, re-estimate the running statistics of frozen BN layers that the
    loaded checkpoint gave none (GN -> BN), over ``num_batches`` training batches.

    dpt's runner (:class:`dpt.engine.DptRunner`) fills :attr:`layers` when ``load_from``
    converts GN layers into BN layers that training keeps frozen, and registers this hook
    with the defaults if the config has none; set the number of batches with
    ``custom_hooks = [dict(type='ReestimateBNStatsHook', num_batches=...)]``. Skipped when
    there is nothing to re-estimate and when a run resumes (the checkpoint then holds the
    statistics estimated at its start).
    """

    priority = 'NORMAL'

    def __init__(self, num_batches: int = 200, layers: Optional[List[str]] = None):
        if int(num_batches) < 1:
            raise ValueError(f'ReestimateBNStatsHook: num_batches must be >= 1, got {num_batches}')
        self.num_batches = int(num_batches)
        self.layers = list(layers or [])

    def before_train(self, runner) -> None:
        if not self.layers:
            return
        if runner.iter > 0:
            runner.logger.info('Resumed run: BN statistics are not re-estimated.')
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        runner.logger.info(
            f'Re-estimating the running statistics of {len(self.layers)} frozen BN layers '
            f'loaded from GN (no statistics in the checkpoint) over {self.num_batches} '
            f'training batches'
        )
        used = reestimate_bn_stats(
            model, self.layers, runner.train_dataloader, self.num_batches, runner.logger.info
        )
        runner.logger.info(f'BN statistics re-estimated from {used} batches')
