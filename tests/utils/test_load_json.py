"""dpt.utils.errors.load_json: missing and broken JSON files are one-line DataErrors."""

import pytest

from dpt.utils.errors import DataError, load_json


def test_reads_json(tmp_path):
    (tmp_path / 'a.json').write_text('{"images": []}')
    assert load_json(str(tmp_path / 'a.json')) == {'images': []}


def test_missing_file_names_the_kind(tmp_path):
    with pytest.raises(DataError, match=r'nope\.json: proposal file not found$'):
        load_json(str(tmp_path / 'nope.json'), 'proposal file')


def test_broken_file(tmp_path):
    (tmp_path / 'broken.json').write_text('{"images": [')
    with pytest.raises(DataError, match=r'broken\.json: not valid JSON'):
        load_json(str(tmp_path / 'broken.json'))
