"""Classification sets: class folders and list files, with one-line errors."""

import pytest

from dpt.datasets.classification import read_folder, read_list
from dpt.utils.errors import DataError


def test_folder(tmp_path):
    for name in ('b/x/2.png', 'b/1.jpg', 'a/0.JPEG', 'a/notes.txt'):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b'')
    items, classes = read_folder(str(tmp_path))
    assert classes == ['a', 'b'] and items == [('a/0.JPEG', 0), ('b/1.jpg', 1), ('b/x/2.png', 1)]
    with pytest.raises(DataError, match='no class sub-folders'):
        read_folder(str(tmp_path / 'a'))


def test_list_file(tmp_path):
    f = tmp_path / 'list.txt'
    f.write_text('# images\nimgs/0.jpg dog\nimgs/with space.jpg cat\n')
    assert read_list(str(f)) == ([('imgs/0.jpg', 1), ('imgs/with space.jpg', 0)], ['cat', 'dog'])
    f.write_text('0.jpg 2\n1.jpg 0\n')
    assert read_list(str(f))[1] == ['0', '1', '2']
    f.write_text('0.jpg 0\nbroken\n')
    with pytest.raises(DataError, match='list.txt: line 2: expected'):
        read_list(str(f))
    f.write_text('0.jpg bird\n')
    with pytest.raises(DataError, match="line 1: label 'bird' is not one of the 2 classes"):
        read_list(str(f), ['cat', 'dog'])
