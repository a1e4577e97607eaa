"""ResumableEpochBasedTrainLoop: the rest of an epoch, found again without loading the rest."""

import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.dataset import DefaultSampler
from mmengine.logging import MessageHub
from torch.utils.data import BatchSampler, DataLoader, RandomSampler

from dpt.engine.loops import ResumableEpochBasedTrainLoop
from dpt.utils.errors import ConfigError


class Indices(torch.utils.data.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return i


def _loader(sampler, workers=0):
    return DataLoader(
        Indices(),
        batch_sampler=BatchSampler(sampler, 3, False),
        num_workers=workers,
        persistent_workers=workers > 0,
        collate_fn=lambda batch: batch,
    )


def _loop(loader, name):
    runner = SimpleNamespace(
        visualizer=SimpleNamespace(),
        logger=logging.getLogger(name),
        message_hub=MessageHub.get_instance(name),
    )
    return ResumableEpochBasedTrainLoop(runner, loader, max_epochs=3)


@pytest.mark.parametrize('workers', [0, 1])
def test_skipped_pass_is_the_tail_of_the_same_epoch(workers):
    sampler = DefaultSampler(Indices(), shuffle=True, seed=7)
    loader = _loader(sampler, workers)
    loop = _loop(loader, f'skip{workers}')
    sampler.set_epoch(1)
    whole = list(loader)
    assert len(whole) == len(loader) == 4
    loop._skipper.skip = 2
    loader.batch_sampler.sampler.set_epoch(1)  # as DistSamplerSeedHook reaches it
    assert list(loader) == whole[2:]
    assert list(loader) == whole  # only the first pass after a resume is shortened
    assert loader.batch_sampler.batch_size == 3  # the wrapper forwards


def test_mid_epoch_position(tmp_path):
    loader = _loader(DefaultSampler(Indices(), shuffle=True, seed=7))
    loop = _loop(loader, 'position')
    loop._epoch, loop._iter = 1, 6  # 2 of the 4 batches of epoch 2 done
    assert loop._batches_done_in_epoch() == 2
    loop._iter = 4  # an epoch boundary
    assert loop._batches_done_in_epoch() == 0
    loop._iter = 8  # after the last batch, before the epoch ended
    assert loop._batches_done_in_epoch() == 4


def test_mid_epoch_resume_refused_where_it_cannot_be_exact():
    loop = _loop(_loader(RandomSampler(Indices())), 'random')
    loop.runner.message_hub.update_info('last_ckpt', 'work/iter_6.pth')
    loop._epoch, loop._iter = 1, 6
    with pytest.raises(
        ConfigError,
        match=r"work/iter_6.pth: written in the middle of epoch 2 "
        r"\(after batch 2 of 4\), and the train sampler "
        r"RandomSampler does not repeat",
    ):
        loop._batches_done_in_epoch()

    loop = _loop(_loader(DefaultSampler(Indices(), seed=7)), 'changed')
    hub = loop.runner.message_hub
    hub.update_info('last_ckpt', 'work/iter_7.pth')
    hub.update_info('train_epoch_iters', 5)  # the killed run had 5 batches an epoch
    loop._epoch, loop._iter = 1, 7
    with pytest.raises(
        ConfigError,
        match=r'iter_7.pth: written after batch 2 of 5 of epoch 2, '
        r'but an epoch has 4 batches',
    ):
        loop._batches_done_in_epoch()
    loop._iter = 5  # an epoch boundary of the old length is fine
    assert loop._batches_done_in_epoch() == 0
