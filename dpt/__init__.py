"""dpt: pre-training object detectors and fine-tuning them, on MMDetection 3.

Importing dpt registers its modules into mmdet's registries (configs load it with
``custom_imports = dict(imports=['dpt'])``), makes mmengine load checkpoints with the safe
unpickler and write files atomically.
"""
from .version import __version__  # noqa: F401
from .utils import checkpoint as _checkpoint

_checkpoint.install()

from . import datasets, engine  # noqa: E402,F401
from . import models, ops  # noqa: E402,F401
