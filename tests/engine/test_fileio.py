import os

import pytest
from mmengine.fileio import get_file_backend, put

import dpt  # noqa: F401  (installs the atomic backend)
from dpt.engine.fileio import AtomicLocalBackend, atomic_write_bytes


def test_local_backend_is_atomic(tmp_path):
    assert isinstance(get_file_backend(str(tmp_path / 'x')), AtomicLocalBackend)
    put(b'abc', str(tmp_path / 'sub' / 'x.bin'))
    assert (tmp_path / 'sub' / 'x.bin').read_bytes() == b'abc'


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / 'epoch_1.pth'
    atomic_write_bytes(b'old', target)

    def broken_replace(src, dst):
        raise OSError('disk full')
    monkeypatch.setattr(os, 'replace', broken_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(b'new', target)
    assert target.read_bytes() == b'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth']


def test_atomic_write_keeps_the_usual_permissions(tmp_path):
    import os
    from dpt.engine.fileio import atomic_write_bytes
    old = os.umask(0o022)
    try:
        atomic_write_bytes(b'x', tmp_path / 'shared.json')
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / 'shared.json').st_mode & 0o777) == 0o644
