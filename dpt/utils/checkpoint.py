"""Safe checkpoint loading under torch >= 2.6 (``weights_only=True`` by default).

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; under torch >= 2.6 that is the
safe unpickler, which refuses the non-tensor objects mmengine itself writes into checkpoints
(the message hub's ``HistoryBuffer``, numpy scalars and arrays in ``meta``), so ``load_from`` and
``--resume`` fail. Rather than switching safe loading off, dpt keeps it on and allow-lists
exactly those harmless types; anything else a pickle asks for (``os.system``, arbitrary
``__reduce__`` callables) is refused with a :class:`CheckpointError` naming the file and the
object. :func:`install` registers the loader as mmengine's loader for local paths, so every
mmengine / mmdet code path (``load_from``, ``resume``, ``load_checkpoint``) goes through it.
``import dpt`` does not call it: dpt's runner does when it is built, and so do
``dpt.apis.build_runner`` and the inferencer (:func:`dpt.engine.install_mmengine_changes`).
"""

import os.path as osp
import pickle
import re

import numpy as np
import torch

from .errors import CheckpointError


def _numpy_globals():
    """numpy's pickle helpers and dtypes, which rebuild arrays and scalars and run no code."""
    from numpy.core import multiarray  # noqa: F401  (numpy 2 keeps this alias)

    names = [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
    # numpy >= 1.25 pickles dtypes as instances of per-type classes (Float64DType ...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        names += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    # numpy 2 pickles through numpy._core.multiarray; allow both spellings
    try:
        from numpy._core import multiarray as core_multiarray

        names += [core_multiarray._reconstruct, core_multiarray.scalar]
    except ImportError:  # numpy < 2
        pass
    return names


def _mmengine_globals():
    from mmengine.logging import HistoryBuffer

    return [HistoryBuffer]


SAFE_GLOBALS = None


def safe_globals():
    """Types allowed in checkpoints besides torch's own defaults."""
    global SAFE_GLOBALS
    if SAFE_GLOBALS is None:
        SAFE_GLOBALS = _numpy_globals() + _mmengine_globals()
    return SAFE_GLOBALS


_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+)')


def load_checkpoint_file(filename, map_location=None):
    """``torch.load`` a local checkpoint with the safe unpickler, or raise CheckpointError."""
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise CheckpointError(f'{filename}: checkpoint file not found')
    try:
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        found = _GLOBAL_RE.search(str(e))
        what = f"'{found.group(1)}'" if found else 'an object torch does not allow'
        raise CheckpointError(
            f'{filename}: refused to load: the pickle asks for {what}, which could run code '
            f'while loading; only tensors, numbers, strings and mmengine/numpy records are '
            f'accepted'
        ) from None
    except (RuntimeError, EOFError, OSError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f'{filename}: not a readable checkpoint ({msg})') from None


def _mmengine_local_loader(filename, map_location):
    return load_checkpoint_file(filename, map_location)


def _history_buffer_reduce(self):
    return (type(self), (self._log_history, self._count_history, self.max_length))


def install():
    """Make mmengine load local checkpoints through :func:`load_checkpoint_file`, and make
    the message hub's ``HistoryBuffer`` pickle as plain data.

    mmengine pickles a HistoryBuffer with its statistics *methods*
    (``getattr(HistoryBuffer, 'mean')``); ``getattr`` cannot be allowed in a safe unpickler
    (it reaches any attribute of any allowed object). Pickled as its constructor and arrays,
    it loads safely. Checkpoints written by plain mmengine with a message hub are refused
    (for ``load_from``, keep only their ``state_dict``).
    """
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import CheckpointLoader

    HistoryBuffer.__reduce__ = _history_buffer_reduce
    CheckpointLoader.register_scheme(prefixes='', loader=_mmengine_local_loader, force=True)
