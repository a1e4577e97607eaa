"""Exceptions for user mistakes. Each names the file and the item at fault.

Command-line tools print a :class:`DptError` as one line and exit with status 2. Library
messages name a function's parameters as ``name=value`` (``name=`` for the parameter
itself); a tool that exposes them as flags names the flags instead (:func:`with_flags`).
"""

import errno
import json
import os.path as osp
import re

# errnos of a write that failed for want of room
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class DptError(Exception):
    """Base class of errors caused by user input (data, checkpoints, configs)."""


class DataError(DptError):
    """A dataset file or item is missing, unreadable or inconsistent."""


class CheckpointError(DptError):
    """A checkpoint cannot be loaded safely, or does not fit the model."""


class ConfigError(DptError):
    """A config asks for something that cannot be done."""


class StorageError(DptError, OSError):
    """An output file cannot be written (disk full, file too large, no permission); the
    message names the file. An ``OSError`` too, with the errno of the failed write."""


def storage_reason(exc: OSError) -> str:
    """Why a write failed, in words (for :class:`StorageError` messages)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return 'no space left on the device'
    if exc.errno == errno.EFBIG:
        return 'file too large for this file system or the file size limit (ulimit -f)'
    return exc.strerror or str(exc)


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` as one line.

    Errors raised inside data-loader workers come back wrapped in the worker's traceback
    (torch re-raises the same type with that text); the original message is what follows
    the last ``<module>.<type>: `` line, and may itself span lines.
    """
    text = str(exc).strip()
    if 'Original Traceback' in text:
        cls = type(exc)
        heads = (f'{cls.__module__}.{cls.__qualname__}: ', f'{cls.__qualname__}: ')
        lines = text.splitlines()
        for i in range(len(lines) - 1, -1, -1):
            head = next((h for h in heads if lines[i].startswith(h)), None)
            if head:
                text = '\n'.join([lines[i][len(head) :], *lines[i + 1 :]])
                break
        else:
            text = lines[-1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return ' '.join(lines) if lines else type(exc).__name__


def with_flags(message: str, flags: dict) -> str:
    """``message`` with the parameters of ``flags`` named as the command line names them.

    ``flags`` maps a parameter to its flag (``{'fmt': '--format'}``): ``fmt=xyz`` becomes
    ``--format xyz``, a bare ``fmt=`` becomes ``--format``. A key with a value maps that
    text whole (``{'overwrite=True': '--overwrite'}`` for a switch).
    """
    for param, flag in flags.items():
        if '=' in param:
            message = re.sub(rf'(?<![\w.-]){re.escape(param)}(?![\w.-])', flag, message)
        else:
            message = re.sub(rf'(?<![\w.-]){re.escape(param)}=(?=[^\s,;:)])', f'{flag} ', message)
            message = re.sub(rf'(?<![\w.-]){re.escape(param)}=', flag, message)
    return message


def load_json(path, what='annotation file'):
    """The JSON content of ``path``; a missing or unreadable file is a one-line DataError
    naming it (``what`` says which kind of file the user gave)."""
    if not osp.isfile(path):
        raise DataError(f'{path}: {what} not found')
    try:
        with open(path, 'rb') as f:
            return json.load(f)
    except UnicodeDecodeError as e:
        raise DataError(
            f'{path}: not UTF-8 text (byte {e.start}: {e.reason}); JSON files must be UTF-8'
        ) from None
    except json.JSONDecodeError as e:
        raise DataError(f'{path}: not valid JSON ({e})') from None
