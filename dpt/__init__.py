"""dpt: pre-training object detectors and fine-tuning them, on MMDetection 3.

Importing dpt registers its modules into mmdet's registries (configs load it with
``custom_imports = dict(imports=['dpt'])``) and changes nothing else in mmengine: the safe
checkpoint unpickler and the atomic file writes are installed by what runs dpt's jobs (its
runner, ``dpt.apis.build_runner``, the inferencer; see
:func:`dpt.engine.install_mmengine_changes`).
"""

from . import datasets, engine, evaluation, models, ops  # noqa: F401  # noqa: F401
from .version import __version__  # noqa: F401
