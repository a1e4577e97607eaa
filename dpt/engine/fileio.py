"""Atomic writes for mmengine's local file backend.

mmengine writes checkpoints and result files with ``open(path, 'wb')``: a job killed while
writing leaves a truncated file under the final name (and ``--resume`` may then pick it).
dpt re-registers the ``local`` backend so that every ``put`` goes to a temporary file in the
same folder and is renamed into place when complete.
"""
import os
import os.path as osp
import tempfile


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

from mmengine.fileio.backends import LocalBackend, register_backend


def atomic_write_bytes(data: bytes, filepath) -> None:
    """Write ``data`` to ``filepath`` so readers see either the old or the whole new file."""
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=folder)
    try:
        # mkstemp makes the file owner-only (0600); give it what open() would have given
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


class AtomicLocalBackend(LocalBackend):
    """mmengine's LocalBackend whose writes are atomic."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


def install():
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
