from . import fileio
from .bn_statistics import ReestimateBNStatsHook
from .checkpoint_hook import DptCheckpointHook
from .loops import ResumableEpochBasedTrainLoop
from .runner import DptRunner

fileio.install()

__all__ = ['DptRunner', 'DptCheckpointHook', 'ResumableEpochBasedTrainLoop',
           'ReestimateBNStatsHook']
