from .bn_statistics import ReestimateBNStatsHook
from .checkpoint_hook import DptCheckpointHook
from .loops import ResumableEpochBasedTrainLoop
from .runner import DptRunner, install_mmengine_changes

__all__ = [
    'DptRunner',
    'DptCheckpointHook',
    'ResumableEpochBasedTrainLoop',
    'ReestimateBNStatsHook',
    'install_mmengine_changes',
]
