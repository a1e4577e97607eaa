import pytest

from dpt.datasets.list_file import read_list_lines
from dpt.utils.errors import DataError


def test_numbered_lines_without_blanks_and_comments(tmp_path):
    f = tmp_path / 'list.txt'
    f.write_text('# a comment\n  a/0.jpg 3 \n\n\t\nb/with space.jpg\n#x\nc.jpg')
    assert read_list_lines(str(f)) == [(2, 'a/0.jpg 3'), (5, 'b/with space.jpg'), (7, 'c.jpg')]
    f.write_text('# only a comment\n\n')
    assert read_list_lines(str(f)) == []
    with pytest.raises(DataError, match=r'gone\.txt: image list file not found$'):
        read_list_lines(str(tmp_path / 'gone.txt'))
