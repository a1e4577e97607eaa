"""dpt's Runner: mmengine's, plus CPU multi-process training and checked checkpoint loading."""

import torch
import torch.distributed as torch_dist
from mmdet.registry import RUNNERS
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, Runner
from mmengine.runner.checkpoint import _load_checkpoint

from ..utils.state_dict import (
    GN_TO_BN,
    adapt_norm_layers,
    check_fits,
    checkpoint_state,
    compare_state_dicts,
    load_state_dict_checked,
)
from .bn_statistics import ReestimateBNStatsHook, frozen_norm_layers
from .checkpoint_hook import DptCheckpointHook
from .loops import ResumableEpochBasedTrainLoop


def install_mmengine_changes():
    """dpt's two process-wide changes to mmengine, made by what runs dpt's jobs (this runner,
    :func:`dpt.apis.build_runner` for a config's plain mmengine Runner, the inferencer of
    ``tools/infer.py``), not by ``import dpt``; idempotent.

    * Local checkpoints load through the safe unpickler, and the message hub's records pickle
      as data (:func:`dpt.utils.checkpoint.install`): ``load_from``, ``--resume`` and
      ``init_cfg=dict(type='Pretrained')`` of mmengine checkpoints under torch >= 2.6.
    * mmengine's local file backend writes atomically (:func:`dpt.engine.fileio.install`):
      checkpoints and result files of a killed job are never left truncated.

    Every process of a run gets them where it builds its runner (each ``torchrun`` worker
    runs tools/train.py); the data loader's worker processes load no checkpoints.
    """
    from ..utils import checkpoint
    from . import fileio

    checkpoint.install()
    fileio.install()


@RUNNERS.register_module()
class DptRunner(Runner):
    """mmengine's Runner with three changes.

    * Without a GPU, a distributed launch (``torchrun``, ``--launcher pytorch``) runs on CPU
      processes over gloo, so ``dist_train.sh CONFIG N`` works, and is tested, everywhere.
    * ``load_from`` / ``--resume`` take the tensors under ``state_dict``, ``model`` or a bare
      dict, convert norm layers between BN and GN where checkpoint and model differ, load
      them, and print one summary of what the model holds afterwards (loaded, converted,
      skipped); they refuse a checkpoint of another model (config key ``load_from_min_fit``,
      the share of the checkpoint's tensors that must fit; 0.5 by default) instead of
      silently training from random init. BN layers loaded from GN that training keeps
      frozen get their statistics re-estimated before training (ReestimateBNStatsHook).
    * Checkpoints are read with the safe unpickler (see :mod:`dpt.utils.checkpoint`) and
      files written atomically (:mod:`dpt.engine.fileio`): the runner installs both into
      mmengine when it is built (:func:`install_mmengine_changes`).
    * A kill never leaves the work dir without a checkpoint, and a resume continues where
      the checkpoint stopped: ``CheckpointHook`` is built as
      :class:`~dpt.engine.checkpoint_hook.DptCheckpointHook` (old checkpoints removed only
      after the new one is complete) and ``EpochBasedTrainLoop`` as
      :class:`~dpt.engine.loops.ResumableEpochBasedTrainLoop` (resumes mid-epoch).
    """

    def __init__(self, *args, **kwargs):
        install_mmengine_changes()  # before the model's init_weights, load_from, any save
        super().__init__(*args, **kwargs)

    def setup_env(self, env_cfg):
        if (
            self.distributed
            and not torch.cuda.is_available()
            and not (torch_dist.is_available() and torch_dist.is_initialized())
        ):
            # mmengine's init_dist calls torch.cuda.set_device, which fails without a GPU.
            torch_dist.init_process_group(backend='gloo')
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        if self.distributed and not torch.cuda.is_available() and not is_model_wrapper(model):
            # DDP takes device_ids only for GPU modules; on CPU they must be None.
            model_wrapper_cfg = dict(
                type='MMDistributedDataParallel',
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters', False),
                **(model_wrapper_cfg or {}),
            )
            model_wrapper_cfg['device_ids'] = None
        return super().wrap_model(model_wrapper_cfg, model)

    def register_hook(self, hook, priority=None):
        if isinstance(hook, dict) and hook.get('type') in ('CheckpointHook', CheckpointHook):
            hook = dict(hook, type=DptCheckpointHook)
        super().register_hook(hook, priority)

    def build_train_loop(self, loop):
        if isinstance(loop, dict) and (
            loop.get('type') in ('EpochBasedTrainLoop', EpochBasedTrainLoop)
            or loop.get('by_epoch')
            and 'type' not in loop
        ):
            loop = {k: v for k, v in loop.items() if k != 'by_epoch'}
            loop['type'] = ResumableEpochBasedTrainLoop
        return super().build_train_loop(loop)

    def load_checkpoint(
        self, filename, map_location='cpu', strict=False, revise_keys=[(r'^module\.', '')]
    ):
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model

        # the tensors, wherever the checkpoint keeps them ('state_dict', 'model' or bare)
        state = checkpoint_state(checkpoint, revise_keys=revise_keys)
        state, converted = adapt_norm_layers(state, model)
        planned = compare_state_dicts(state, model.state_dict())
        check_fits(
            planned,
            str(filename),
            type(model).__name__,
            float(self.cfg.get('load_from_min_fit', 0.5)),
        )
        # load them ourselves and report what the model holds afterwards; the rest of the
        # checkpoint (meta, optimizer, ...) goes back to mmengine as it is
        report = load_state_dict_checked(model, state, strict)
        report.converted = converted
        self.logger.info(f'Checkpoint {filename} -> {type(model).__name__}: {report.summary()}')
        self._plan_bn_reestimation(model, [n for n, how in converted if how == GN_TO_BN])
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _plan_bn_reestimation(self, model, gn_to_bn):
        """BN layers loaded from GN have no statistics; where training keeps them frozen,
        :class:`ReestimateBNStatsHook` estimates them before the first iteration."""
        frozen = set(frozen_norm_layers(model))
        layers = [name for name in gn_to_bn if name in frozen]
        hook = next((h for h in self.hooks if isinstance(h, ReestimateBNStatsHook)), None)
        if hook is None and layers:
            hook = ReestimateBNStatsHook()
            self.register_hook(hook)
        if hook is not None:
            hook.layers = layers
        if layers:
            self.logger.info(
                f'{len(layers)} of the BN layers loaded from GN are frozen in training '
                f'(e.g. {layers[0]}): their running statistics are re-estimated over '
                f'{hook.num_batches} training batches before training (ReestimateBNStatsHook)'
            )
