"""The resumable-job mechanism (dpt.engine.resumable): headers checked field by field, a line
torn by a kill dropped, records replayed, outputs written before the partial work goes."""

import json
import os

import pytest
import torch

from dpt.engine.resumable import PartialFile, PartsFolder, check_header, header_differences
from dpt.utils.errors import ConfigError

HEADER = dict(partial_of='out.json', settings=dict(scales=(48, 64), flip=True), model='a')


def test_header_differences_name_each_setting():
    old = json.loads(json.dumps(HEADER))
    new = dict(
        HEADER,
        partial_of='renamed.json',
        model='b',
        settings=dict(scales=[48, 96], flip=True, extra=1),
    )
    assert header_differences(old, json.loads(json.dumps(new))) == [
        'model "a" there, "b" now',
        'settings.extra null there, 1 now',
        'settings.scales [48, 64] there, [48, 96] now',
    ]  # partial_of is not compared
    assert header_differences(old, old) == []
    with pytest.raises(
        ConfigError,
        match=r'^p: left by a run with other settings \(model "a" '
        r'there, "b" now\); rerun with those, or delete it to start afresh$',
    ):
        check_header('p', old, dict(old, model='b'))
    with pytest.raises(ConfigError, match='^p: no settings header'):
        check_header('p', None, old)


def test_partial_file_starts_appends_and_replays(tmp_path):
    path = tmp_path / 'out.json.partial.jsonl'
    partial = PartialFile(path, HEADER)
    assert partial.load() == {}
    assert path.read_text() == json.dumps(json.loads(json.dumps(HEADER))) + '\n'
    with partial.appending() as append:
        append(dict(file_name='a', boxes=[1]))
        append(dict(file_name='b', boxes=[2]), dict(file_name='a', boxes=[3]))
        # flushed per call: a reader (or a kill) sees every appended line
        assert len(path.read_text().splitlines()) == 4
    again = PartialFile(path, dict(HEADER, settings=dict(scales=[48, 64], flip=True)))
    before = path.read_text()
    assert again.load() == {
        'a': dict(file_name='a', boxes=[3]),
        'b': dict(file_name='b', boxes=[2]),
    }  # the later line wins
    assert path.read_text() == before  # a clean file is not rewritten


def test_partial_file_drops_a_torn_last_line_and_rewrites(tmp_path):
    path = tmp_path / 'p.partial.jsonl'
    partial = PartialFile(path, HEADER, is_record=lambda r: 'boxes' in r)
    partial.load()
    with partial.appending() as append:
        append(*(dict(file_name=n, boxes=[i]) for i, n in enumerate('abc')))
    lines = path.read_text().splitlines()
    path.write_text('\n'.join(lines[:-1]) + '\n' + lines[-1][:12])  # killed mid-line
    done = PartialFile(path, HEADER, is_record=lambda r: 'boxes' in r).load()
    assert sorted(done) == ['a', 'b']
    assert path.read_text().splitlines() == lines[:-1]  # the torn line is gone
    with PartialFile(path, HEADER).appending() as append:
        append(dict(file_name='c', boxes=[9]))
    assert sorted(PartialFile(path, HEADER).load()) == ['a', 'b', 'c']
    # lines that are not records (is_record) are dropped too
    with PartialFile(path, HEADER).appending() as append:
        append(dict(file_name='d', error='corrupt image'))
    assert 'd' not in PartialFile(path, HEADER, is_record=lambda r: 'boxes' in r).load()
    assert 'corrupt image' not in path.read_text()


@pytest.mark.parametrize(
    'first_line', ['{"file_name": "a", "boxes": []}', '{"settings": {', '[1, 2]']
)
def test_partial_file_without_header_refused(tmp_path, first_line):
    path = tmp_path / 'p.partial.jsonl'
    path.write_text(first_line + '\n')
    with pytest.raises(ConfigError, match='p.partial.jsonl: no settings header'):
        PartialFile(path, HEADER).load()
    assert path.read_text() == first_line + '\n'  # left as it was


def test_partial_file_of_other_settings_refused_untouched(tmp_path):
    path = tmp_path / 'p.partial.jsonl'
    partial = PartialFile(path, HEADER)
    partial.load()
    with partial.appending() as append:
        append(dict(file_name='a'))
    before = path.read_text() + '{"file_na'  # torn too: still not rewritten when refused
    path.write_text(before)
    other = dict(HEADER, settings=dict(scales=[48, 96], flip=True))
    with pytest.raises(ConfigError, match=r'settings\.scales \[48, 64\] there, \[48, 96\] now'):
        PartialFile(path, other).load()
    assert path.read_text() == before


def test_partial_file_finish_writes_outputs_then_removes_only_when_complete(tmp_path):
    path = tmp_path / 'p.partial.jsonl'
    partial = PartialFile(path, HEADER)
    partial.load()
    partial.finish({str(tmp_path / 'a.json'): dict(n=1)}, complete=False)
    assert json.loads((tmp_path / 'a.json').read_text()) == dict(n=1) and path.is_file()

    def outputs():  # a generator: written one by one
        yield str(tmp_path / 'a.json'), dict(n=2)
        yield str(tmp_path / 'b.json'), dict(n=3)

    partial.finish(outputs(), complete=True)
    assert json.loads((tmp_path / 'a.json').read_text()) == dict(n=2)
    assert json.loads((tmp_path / 'b.json').read_text()) == dict(n=3)
    assert not path.exists()
    assert sorted(os.listdir(tmp_path)) == ['a.json', 'b.json']  # no temporary file left


def test_partial_file_keeps_work_when_an_output_cannot_be_written(tmp_path):
    path = tmp_path / 'p.partial.jsonl'
    partial = PartialFile(path, HEADER)
    partial.load()
    (tmp_path / 'taken').mkdir()  # an output path that is a folder: the write fails
    with pytest.raises(OSError):
        partial.finish({str(tmp_path / 'taken'): dict(n=1)}, complete=True)
    assert path.is_file()


def test_partial_file_header_needs_partial_of(tmp_path):
    with pytest.raises(ValueError, match='partial_of'):
        PartialFile(tmp_path / 'p', dict(settings={}))


def test_parts_folder_saves_checks_and_finishes(tmp_path):
    folder = tmp_path / 'out.json.parts'
    header = dict(proposal_file='/data/p.json', depth=18, backbone=None)
    parts = PartsFolder(folder, header)
    assert json.loads((folder / 'settings.json').read_text()) == header
    assert not parts.has('pca.pt') and parts.load('pca.pt') is None
    parts.save('pca.pt', dict(mean=torch.arange(3.0), explained=0.5))
    assert sorted(os.listdir(folder)) == ['pca.pt', 'settings.json']  # no temporary file left
    again = PartsFolder(folder, dict(header))
    assert again.has('pca.pt') and torch.equal(again.load('pca.pt')['mean'], torch.arange(3.0))
    with pytest.raises(
        ConfigError,
        match=r'out\.json\.parts: left by a run with other settings '
        r'\(depth 18 there, 50 now\)',
    ):
        PartsFolder(folder, dict(header, depth=50))
    (folder / 'settings.json').write_text('{"depth": ')  # not a header this job wrote
    with pytest.raises(ConfigError, match=r'out\.json\.parts: no settings header'):
        PartsFolder(folder, header)
    (folder / 'settings.json').write_text(json.dumps(header))
    again.finish({str(tmp_path / 'out.json'): dict(done=True)})
    assert json.loads((tmp_path / 'out.json').read_text()) == dict(done=True)
    assert not folder.exists()
