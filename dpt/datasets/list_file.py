"""The lines of a list file (an image per line, as ImageNet's and DAP's lists), read once for
every dataset that takes one: blank lines and lines starting with '#' skipped."""

import os.path as osp

from ..utils.errors import DataError


def read_list_lines(path):
    """[(line number, line)] of the non-blank lines of ``path`` that are not '#' comments,
    stripped of surrounding white space. A missing file is a :class:`DataError`."""
    if not osp.isfile(path):
        raise DataError(f'{path}: image list file not found')
    with open(path, encoding='utf-8') as f:
        lines = [(number, line.strip()) for number, line in enumerate(f, 1)]
    return [(number, line) for number, line in lines if line and not line.startswith('#')]
