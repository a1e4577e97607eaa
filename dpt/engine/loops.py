"""mmengine's epoch-based training loop, resuming where an iteration checkpoint stopped.

mmengine 0.10.7's ``EpochBasedTrainLoop`` resumed from a checkpoint written in the middle of
an epoch (``CheckpointHook(by_epoch=False)`` in an epoch-based schedule) runs that epoch
again from its first batch: the iterations done before the kill are trained twice, the
loop runs past ``max_iters`` and the logged ETA goes negative ("-1 day"). This loop starts
such an epoch at the next batch instead:

* the batches already trained are left out of the epoch's first pass at the batch-sampler
  level (indices only: no image of them is loaded), with the same sampler order, because
  mmengine's ``DefaultSampler`` orders an epoch by ``seed + epoch`` and mmdet's batch
  samplers group a given order deterministically; the sampler's seed is kept in the
  checkpoint (message hub info ``train_sampler_seed``) and restored, since mmengine draws a
  new one for a config without a fixed ``randomness.seed``;
* the batch index the hooks see counts on from there, so logs, intervals and the ETA are
  those of the uninterrupted run.

A sampler whose order does not follow the epoch (anything but mmengine's ``DefaultSampler``
and torch's ``SequentialSampler``) cannot be resumed exactly mid-epoch: that is refused with
one line, as is a mid-epoch checkpoint of a run whose epochs had another length.
:class:`dpt.engine.DptRunner` builds this loop wherever a config asks for
``EpochBasedTrainLoop``.
"""

import itertools

from mmdet.registry import LOOPS
from mmengine.dataset import DefaultSampler
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import SequentialSampler

from ..utils.errors import ConfigError

SEED_KEY = 'train_sampler_seed'
EPOCH_LEN_KEY = 'train_epoch_iters'


class _SkipFirstBatches:
    """A batch sampler whose next pass leaves out its first ``skip`` batches.

    The skip is read when the pass draws its first batch, not when ``iter()`` is called:
    torch's multi-process loader calls ``iter()`` on its batch sampler twice for its first
    epoch and uses the second.
    """

    def __init__(self, batch_sampler):
        self.batch_sampler = batch_sampler
        self.skip = 0

    def __iter__(self):
        return self._batches()

    def _batches(self):
        skip, self.skip = self.skip, 0
        yield from itertools.islice(iter(self.batch_sampler), skip, None)

    def __len__(self):
        return len(self.batch_sampler)

    def __getattr__(self, name):  # .sampler, .batch_size, ... of the wrapped one
        if name == 'batch_sampler':
            raise AttributeError(name)
        return getattr(self.batch_sampler, name)


def _exact_order(sampler):
    """Whether ``sampler`` yields the same order for the same epoch in every run."""
    if type(sampler).__iter__ is DefaultSampler.__iter__:
        return True
    return isinstance(sampler, SequentialSampler)


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` (same arguments) that resumes in the middle of an epoch."""

    def __init__(self, runner, dataloader, *args, **kwargs):
        super().__init__(runner, dataloader, *args, **kwargs)
        loader = self.dataloader
        self._skipper = None
        if getattr(loader, 'batch_sampler', None) is not None:
            self._skipper = _SkipFirstBatches(loader.batch_sampler)
            # DataLoader refuses to have its batch sampler replaced once built; the wrapper
            # forwards everything and changes only the first pass after a resume
            object.__setattr__(loader, 'batch_sampler', self._skipper)

    @property
    def _sampler(self):
        loader = self.dataloader
        batch_sampler = getattr(loader, 'batch_sampler', None)
        return getattr(batch_sampler, 'sampler', None) or getattr(loader, 'sampler', None)

    def run(self):
        hub = self.runner.message_hub
        sampler = self._sampler
        seed = hub.get_info(SEED_KEY)
        if seed is not None and isinstance(sampler, DefaultSampler):
            sampler.seed = seed  # the order of the interrupted run
        elif isinstance(sampler, DefaultSampler):
            hub.update_info(SEED_KEY, sampler.seed)
        self._resume_skip = self._batches_done_in_epoch()
        hub.update_info(EPOCH_LEN_KEY, len(self.dataloader))
        return super().run()

    def _batches_done_in_epoch(self):
        """Batches of the current epoch trained before the checkpoint this run resumed."""
        done = self._iter - self._epoch * len(self.dataloader)
        if done == 0 or self._epoch >= self._max_epochs:
            return 0
        ckpt = self.runner.message_hub.get_info('last_ckpt') or 'the checkpoint'
        before = self.runner.message_hub.get_info(EPOCH_LEN_KEY)
        if before is not None and before != len(self.dataloader):
            if self._iter == self._epoch * before:
                return 0  # an epoch boundary of the old schedule: start the epoch afresh
            raise ConfigError(
                f'{ckpt}: written after batch {self._iter - self._epoch * before} of '
                f'{before} of epoch {self._epoch + 1}, but an epoch has {len(self.dataloader)} '
                f'batches with this config (other data or batch size); resume with the same '
                f'data and batch size, or from an epoch checkpoint'
            )
        if not 0 < done <= len(self.dataloader):
            # a checkpoint that does not record its epoch length (not written by dpt), of a
            # run whose epochs had another length: start the epoch afresh, as mmengine does
            self.runner.logger.warning(
                f'{ckpt}: iteration {self._iter} does not fall in epoch {self._epoch + 1} of '
                f'{len(self.dataloader)} batches (other data or batch size?); training that '
                f'epoch from its first batch'
            )
            return 0
        if self._skipper is None or not _exact_order(self._sampler):
            raise ConfigError(
                f'{ckpt}: written in the middle of epoch {self._epoch + 1} (after batch '
                f'{done} of {len(self.dataloader)}), and the train sampler '
                f'{type(self._sampler).__name__} does not repeat an epoch\'s order, so the '
                f'rest of that epoch cannot be found again; resume from an epoch checkpoint '
                f'(CheckpointHook by_epoch=True) or use DefaultSampler'
            )
        return done

    def run_epoch(self) -> None:
        skip, self._resume_skip = getattr(self, '_resume_skip', 0), 0
        if skip:
            self.runner.logger.info(
                f'Resuming epoch {self._epoch + 1} after batch {skip} of '
                f'{len(self.dataloader)}: skipping the batches trained already'
            )
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        if skip:
            self._skipper.skip = skip
        for idx, data_batch in enumerate(self.dataloader, start=skip):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
