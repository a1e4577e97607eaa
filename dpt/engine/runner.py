"""dpt's Runner: mmengine's, plus CPU multi-process training and checked checkpoint loading."""
import re

import torch
import torch.distributed as torch_dist
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model

from mmdet.registry import RUNNERS

from ..utils.state_dict import (adapt_norm_layers, check_fits, compare_state_dicts,
                                state_dict_of)


@RUNNERS.register_module()
class DptRunner(Runner):
    """mmengine's Runner with three changes.

    * Without a GPU, a distributed launch (``torchrun``, ``--launcher pytorch``) runs on CPU
      processes over gloo, so ``dist_train.sh CONFIG N`` works, and is tested, everywhere.
    * ``load_from`` / ``--resume`` convert norm layers between BN and GN where checkpoint
      and model differ, and print one summary of what was loaded, converted or skipped, and refuse a checkpoint of another model (config key
      ``load_from_min_fit``, the share of the checkpoint's tensors that must fit; 0.5 by
      default) instead of silently training from random init.
    * Checkpoints are read with the safe unpickler (see :mod:`dpt.utils.checkpoint`).
    """

    def setup_env(self, env_cfg):
        if self.distributed and not torch.cuda.is_available() and not (
                torch_dist.is_available() and torch_dist.is_initialized()):
            # mmengine's init_dist calls torch.cuda.set_device, which fails without a GPU.
            torch_dist.init_process_group(backend='gloo')
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        if self.distributed and not torch.cuda.is_available() and not is_model_wrapper(model):
            # DDP takes device_ids only for GPU modules; on CPU they must be None.
            model_wrapper_cfg = dict(
                type='MMDistributedDataParallel', broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters', False),
                **(model_wrapper_cfg or {}))
            model_wrapper_cfg['device_ids'] = None
        return super().wrap_model(model_wrapper_cfg, model)

    def load_checkpoint(self, filename, map_location='cpu', strict=False,
                        revise_keys=[(r'^module.', '')]):
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model

        state = state_dict_of(checkpoint)
        for pattern, repl in revise_keys:
            state = {re.sub(pattern, repl, k): v for k, v in state.items()}
        state, converted = adapt_norm_layers(state, model)
        report = compare_state_dicts(state, model.state_dict())
        report.converted = converted
        check_fits(report, str(filename), type(model).__name__,
                   float(self.cfg.get('load_from_min_fit', 0.5)))
        self.logger.info(f'Checkpoint {filename} -> {type(model).__name__}: '
                         f'{report.summary()}')

        # load the adapted tensors; the rest of the checkpoint (meta, optimizer, ...) as is
        checkpoint = _load_checkpoint_to_model(
            model, dict(checkpoint, state_dict=state) if converted else checkpoint, strict,
            revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
