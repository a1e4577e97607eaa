"""Atomic writes for mmengine's local file backend.

mmengine writes checkpoints and result files with ``open(path, 'wb')``: a job killed while
writing leaves a truncated file under the final name (and ``--resume`` may then pick it).
:func:`install` (called when dpt's runner is built, not by ``import dpt``:
:func:`dpt.engine.install_mmengine_changes`) re-registers the ``local`` backend so that every
``put`` goes to a temporary file in the same folder (``.<name>.<random>.tmp``) and is
renamed into place when complete. A write that fails (disk full, file too large, no
permission) removes its temporary file and raises a
:class:`~dpt.utils.errors.StorageError` naming the file; a temporary file left by a killed
job is removed by :func:`remove_stale_temp_files` when the job starts again.
"""

import os
import os.path as osp
import re
import tempfile

from mmengine.fileio.backends import LocalBackend, register_backend

from ..utils.errors import StorageError, storage_reason

TEMP_SUFFIX = '.tmp'
# mkstemp's names: prefix + 8 characters of [a-z0-9_] + suffix
_TEMP_NAME = re.compile(r'^\.(?P<target>.+)\.[a-z0-9_]{8}' + re.escape(TEMP_SUFFIX) + '$')


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(data: bytes, filepath) -> None:
    """Write ``data`` to ``filepath`` so readers see either the old or the whole new file."""
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    tmp = None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f'.{osp.basename(filepath)}.', suffix=TEMP_SUFFIX, dir=folder
        )
        # mkstemp makes the file owner-only (0600); give it what open() would have given
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException as e:
        if tmp and osp.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError) and not isinstance(e, StorageError):
            err = StorageError(
                f'{filepath}: cannot write ({storage_reason(e)}); the file there '
                f'before, if any, is kept'
            )
            err.errno = e.errno
            raise err from e
        raise


def stale_temp_files(folder, targets=None):
    """Temporary files of :func:`atomic_write_bytes` in ``folder`` (left by killed writes);
    ``targets(name)`` chooses by the name of the file each was to become."""
    if not osp.isdir(folder):
        return []
    found = []
    for name in sorted(os.listdir(folder)):
        m = _TEMP_NAME.match(name)
        if (
            m
            and (targets is None or targets(m.group('target')))
            and osp.isfile(osp.join(folder, name))
        ):
            found.append(osp.join(folder, name))
    return found


def remove_stale_temp_files(folder, targets=None):
    """Remove :func:`stale_temp_files`; returns the paths removed. Only for a folder no other
    running job writes the same files into."""
    removed = []
    for path in stale_temp_files(folder, targets):
        try:
            os.remove(path)
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed


class AtomicLocalBackend(LocalBackend):
    """mmengine's LocalBackend whose writes are atomic."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


def install():
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
