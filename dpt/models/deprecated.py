"""Registry names that dpt renamed, kept working for configs written before the rename.

A user's own config (a fine-tuning recipe, a config dumped into a work_dir) may still name a
model by its old registry name; :func:`register_deprecated_alias` registers that name as a
subclass of the renamed class, which builds exactly as before and logs once that the name is
deprecated.
"""

import logging

from mmdet.registry import MODELS
from mmengine.logging import print_log

_warned = set()


def register_deprecated_alias(cls, old_name, **defaults):
    """Register ``old_name`` in mmdet's ``MODELS`` as a subclass of ``cls``.

    Args:
        cls: the class under its new name.
        old_name: the registry name it had.
        **defaults: keyword defaults the old class had where the new one's differ.
    """

    def __init__(self, *args, **kwargs):
        if old_name not in _warned:
            _warned.add(old_name)
            print_log(
                f"model type '{old_name}' is deprecated and will be removed: use '{cls.__name__}'",
                logger='current',
                level=logging.WARNING,
            )
        cls.__init__(self, *args, **{**defaults, **kwargs})

    alias = type(
        old_name,
        (cls,),
        dict(
            __init__=__init__,
            __module__=cls.__module__,
            __doc__=f'Deprecated registry name of :class:`{cls.__name__}`.',
        ),
    )
    MODELS.register_module(name=old_name, module=alias)
    return alias
