"""mmengine's CheckpointHook, reordered so that a kill never leaves a job without a checkpoint.

mmengine 0.10.7 (``CheckpointHook._save_checkpoint_with_step``) removes the oldest kept
checkpoint (``max_keep_ckpts``) *before* it writes the new one, and the previous best one
(``save_best``) before the new best; it writes ``last_checkpoint`` with a plain ``open``. A
job killed in between is left with no checkpoint (``--resume`` then fails with "checkpoint
file not found") or an empty pointer. :class:`DptCheckpointHook` writes the new checkpoint
(atomically, :mod:`dpt.engine.fileio`), then ``last_checkpoint`` (atomically), and only then
removes the files the new one retires. The checkpoint lists them (message hub info
``ckpts_to_remove``), so a job killed before removing them removes them when it resumes; at
the start it also removes the temporary files of checkpoint writes a kill cut short.

:class:`dpt.engine.DptRunner` uses this hook wherever a config asks for ``CheckpointHook``
(every mmdet config does, through ``default_hooks``).
"""

import os.path as osp

from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from .fileio import atomic_write_bytes, remove_stale_temp_files

PENDING = 'ckpts_to_remove'
POINTER = 'last_checkpoint'


def _checkpoint_target(name):
    return name == POINTER or name.endswith('.pth')


class _DeferredRemoval:
    """A file backend whose ``remove`` / ``rmtree`` only note the path (``defer(path)``)."""

    def __init__(self, backend, defer):
        self.backend, self._defer = backend, defer

    def remove(self, path):
        self._defer(path)

    rmtree = remove

    def __getattr__(self, name):
        return getattr(self.backend, name)


@HOOKS.register_module()
class DptCheckpointHook(CheckpointHook):
    """``CheckpointHook`` (same arguments) that removes old checkpoints only after the new
    one and ``last_checkpoint`` are complete."""

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if not is_main_process():
            return
        for folder in sorted({self.out_dir, runner.work_dir}):
            for path in remove_stale_temp_files(folder, _checkpoint_target):
                runner.logger.info(f'Removed {path}, left by a checkpoint write that was cut short')
        self._remove_retired(runner, keep={runner.message_hub.get_info('last_ckpt')})

    # ------------------------------------------------------------------------- retiring
    def _retire(self, runner, path):
        pending = list(runner.message_hub.get_info(PENDING) or [])
        if path not in pending:
            runner.message_hub.update_info(PENDING, pending + [path])

    def _remove_retired(self, runner, keep=()):
        """Remove the files retired so far (main process), unless still kept."""
        pending = list(runner.message_hub.get_info(PENDING) or [])
        if not pending:
            return
        keep = set(keep) | {self._path(step) for step in getattr(self, 'keep_ckpt_ids', ())}
        keep |= {
            runner.message_hub.get_info(k)
            for k in runner.message_hub.runtime_info
            if k.startswith('best_ckpt')
        }
        backend = getattr(self.file_backend, 'backend', self.file_backend)
        if is_main_process():
            for path in pending:
                if path in keep:
                    continue
                if backend.isfile(path):
                    backend.remove(path)
                elif backend.isdir(path):  # deepspeed checkpoints are folders
                    backend.rmtree(path)
        runner.message_hub.update_info(PENDING, [])

    def _path(self, step):
        return self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(step))

    # ------------------------------------------------------------------------- saving
    def _save_checkpoint_with_step(self, runner, step, meta):
        # mmengine's method, with the removal moved after the save (and last_checkpoint
        # written atomically)
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                self._retire(runner, self._path(self.keep_ckpt_ids.popleft()))
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args,
        )
        if is_main_process():
            atomic_write_bytes(str(self.last_ckpt).encode(), osp.join(runner.work_dir, POINTER))
        self._remove_retired(runner)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        # mmengine removes the previous best checkpoint before it writes the new one: note
        # the removal instead, and remove it once the new best (and the checkpoint that
        # records it) is written
        backend = self.file_backend
        self.file_backend = _DeferredRemoval(backend, lambda path: self._retire(runner, path))
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        self._remove_retired(runner)
