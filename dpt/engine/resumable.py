"""Resumable offline jobs: the work a killed run leaves behind, and how the next run continues.

dpt's offline data jobs (the proposals, :mod:`dpt.proposals.generate`; the CAM pseudo boxes,
:mod:`dpt.pseudo_boxes.generate`; the proposal clustering, :mod:`dpt.clustering.generate`)
keep their finished work beside their output, under a header that records what the work was
made with, in one of two forms:

* :class:`PartialFile`, ``<out>.partial.jsonl``: a header line, then one JSON line per
  finished item, appended and flushed as each finishes (items of a few kB: the boxes of one
  image);
* :class:`PartsFolder`, ``<out>.parts/``: ``settings.json`` and one file per finished chunk,
  each written atomically (chunks of tensors: the features of 500 images).

Both behave alike when a run starts again:

* the header is compared with this run's, and any difference is refused with one line that
  names the file and each setting that differs (``settings.scales [48, 64] there, [48, 96]
  now``), so that the work of two settings is never mixed; a file without a header is refused
  too;
* the finished work is replayed; a line cut short by a kill is dropped, and the file is then
  rewritten (atomically) so that the next line appended starts on a line of its own;
* :meth:`finish` writes the outputs atomically (:func:`~dpt.engine.fileio.atomic_write_bytes`)
  and only then, and only when the output holds every item, removes the partial work.

It sits beside :mod:`.fileio` (the atomic writes it builds on) and :mod:`.loops` (training's
resume): the three are what lets a killed dpt job continue.
"""

import io
import json
import os
import os.path as osp
import shutil
from contextlib import contextmanager

from ..utils.errors import ConfigError
from .fileio import atomic_write_bytes

PARTIAL_SUFFIX = '.partial.jsonl'
PARTS_SUFFIX = '.parts'
HEADER_NAME = 'settings.json'  # a parts folder's header
# the key of a partial file's header line naming the output (a file renamed with its output
# may be continued, so it is not compared)
PARTIAL_OF = 'partial_of'


def _as_read_back(obj):
    """``obj`` as JSON reads it back (tuples become lists), so that headers compare equal."""
    return json.loads(json.dumps(obj))


def header_differences(old: dict, new: dict, where: str = ''):
    """``['key old there, new now', ...]`` for every setting in which the headers differ
    (nested dicts key by key, ``settings.scales``); ``partial_of`` is not compared."""
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if k == PARTIAL_OF or a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out += header_differences(a, b, f'{where}{k}.')
        else:
            out.append(f'{where}{k} {json.dumps(a)} there, {json.dumps(b)} now')
    return out


def check_header(path, old, new) -> None:
    """Refuse (:class:`ConfigError` naming ``path``) to continue work made under ``old``
    (the header read back, None if unreadable) with the settings ``new``."""
    if not isinstance(old, dict):
        raise ConfigError(
            f'{path}: no settings header (left by an older version, or not '
            'this job\'s); delete it to start afresh'
        )
    differ = header_differences(old, new)
    if differ:
        raise ConfigError(
            f'{path}: left by a run with other settings ({"; ".join(differ)}); '
            'rerun with those, or delete it to start afresh'
        )


def _pairs(outputs):
    return outputs.items() if isinstance(outputs, dict) else outputs


def write_json(path, data) -> None:
    """Write ``data`` to ``path`` as JSON, atomically."""
    atomic_write_bytes(json.dumps(data).encode(), path)


class PartialFile:
    """``path``: a header line (a dict with ``partial_of``), then one JSON record per line.

    ``load()`` returns the finished records by ``key`` (a later line replaces an earlier one
    of the same item) and starts the file if there is none; ``appending()`` gives a function
    that appends records and flushes them. ``is_record(rec)`` says which lines to keep.
    """

    def __init__(self, path, header: dict, is_record=lambda rec: True, key='file_name'):
        self.path, self.key, self.is_record = str(path), key, is_record
        self.header = _as_read_back(dict(header))
        if PARTIAL_OF not in self.header:
            raise ValueError(f'a partial file header needs {PARTIAL_OF!r}: {self.header}')

    def _header_text(self, records=()):
        return ''.join(json.dumps(r) + '\n' for r in [self.header, *records])

    def load(self) -> dict:
        if not osp.isfile(self.path):
            atomic_write_bytes(self._header_text().encode(), self.path)
            return {}
        with open(self.path, encoding='utf-8', errors='replace') as f:
            lines = f.read().split('\n')
        try:
            old = json.loads(lines[0])
        except json.JSONDecodeError:
            old = None
        check_header(
            self.path, old if isinstance(old, dict) and PARTIAL_OF in old else None, self.header
        )
        done, clean = {}, True
        for line in lines[1:]:
            try:
                rec = json.loads(line) if line else None
            except json.JSONDecodeError:
                rec = None  # the last line of a killed run may be cut short
            if isinstance(rec, dict) and self.key in rec and self.is_record(rec):
                done[rec[self.key]] = rec
            elif line:
                clean = False
        if not clean or lines[-1] != '':  # so that new lines start on a clean line
            atomic_write_bytes(self._header_text(done.values()).encode(), self.path)
        return done

    @contextmanager
    def appending(self):
        """``with partial.appending() as append: append(*records)`` (flushed per call)."""
        with open(self.path, 'a', encoding='utf-8') as f:

            def append(*records):
                for rec in records:
                    f.write(json.dumps(rec) + '\n')
                f.flush()

            yield append

    def finish(self, outputs, complete: bool) -> None:
        """Write ``outputs`` atomically: a dict {path: JSON-able data}, or (path, data)
        pairs (from a generator, one output in memory at a time). Then, if the job is
        ``complete``, remove the partial file (else a rerun continues from it)."""
        for path, data in _pairs(outputs):
            write_json(path, data)
        if complete and osp.isfile(self.path):
            os.remove(self.path)


class PartsFolder:
    """``path/``: ``settings.json`` (the header) and the files of finished chunks (torch
    objects, each written atomically). Opening it checks the header, or starts the folder."""

    def __init__(self, path, header: dict):
        self.path, self.header = str(path), _as_read_back(dict(header))
        file = osp.join(self.path, HEADER_NAME)
        if osp.isfile(file):
            try:
                with open(file, encoding='utf-8') as f:
                    old = json.load(f)
            except (OSError, ValueError):
                old = None
            check_header(self.path, old, self.header)
        else:
            os.makedirs(self.path, exist_ok=True)
            write_json(file, self.header)

    def has(self, name) -> bool:
        return osp.isfile(osp.join(self.path, name))

    def save(self, name, obj) -> None:
        import torch

        buf = io.BytesIO()
        torch.save(obj, buf)
        atomic_write_bytes(buf.getvalue(), osp.join(self.path, name))

    def load(self, name):
        """The object saved as ``name`` (on the CPU), or None if there is none yet."""
        import torch

        path = osp.join(self.path, name)
        return torch.load(path, map_location='cpu') if osp.isfile(path) else None

    def finish(self, outputs, complete: bool = True) -> None:
        """Write ``outputs`` atomically (as :meth:`PartialFile.finish`); then, if
        ``complete``, remove the folder."""
        for path, data in _pairs(outputs):
            write_json(path, data)
        if complete:
            shutil.rmtree(self.path, ignore_errors=True)
