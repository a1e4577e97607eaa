from . import fileio
from .bn_statistics import ReestimateBNStatsHook
from .runner import DptRunner

fileio.install()

__all__ = ['DptRunner', 'ReestimateBNStatsHook']
