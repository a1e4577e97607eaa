import os

import pytest
from mmengine.fileio import get_file_backend, put

from dpt.engine import install_mmengine_changes
from dpt.engine.fileio import AtomicLocalBackend, atomic_write_bytes

install_mmengine_changes()  # what dpt's runner does when it is built


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


def test_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    import errno

    from dpt.utils.errors import DptError, StorageError

    target = tmp_path / 'epoch_2.pth'
    atomic_write_bytes(b'old', target)

    def full(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', full)
    with pytest.raises(StorageError) as e:
        atomic_write_bytes(b'new' * 1000, target)
    assert isinstance(e.value, DptError) and isinstance(e.value, OSError)
    assert e.value.errno == errno.ENOSPC
    assert str(e.value) == (
        f'{target}: cannot write (no space left on the device); the file '
        'there before, if any, is kept'
    )
    assert target.read_bytes() == b'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_2.pth']


def test_stale_temp_files_of_killed_writes_are_found_by_target(tmp_path):
    from dpt.engine.fileio import remove_stale_temp_files, stale_temp_files

    names = [
        '.epoch_3.pth.k2j_9xq1.tmp',
        '.last_checkpoint.abcdefgh.tmp',
        '.metrics.json.abcdefgh.tmp',
        'notes.tmp',
        '.epoch_3.pth.short.tmp',
        'epoch_2.pth',
    ]
    for n in names:
        (tmp_path / n).write_bytes(b'x')
    found = stale_temp_files(tmp_path)
    assert sorted(os.path.basename(p) for p in found) == sorted(names[:3])
    removed = remove_stale_temp_files(
        tmp_path, lambda target: target.endswith('.pth') or target == 'last_checkpoint'
    )
    assert sorted(os.path.basename(p) for p in removed) == sorted(names[:2])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[2:])
