"""Exceptions for user mistakes. Each names the file and the item at fault.

Command-line tools print a :class:`DptError` as one line and exit with status 2.
"""
import json
import os.path as osp


class DptError(Exception):
    """Base class of errors caused by user input (data, checkpoints, configs)."""


class DataError(DptError):
    """A dataset file or item is missing, unreadable or inconsistent."""


class CheckpointError(DptError):
    """A checkpoint cannot be loaded safely, or does not fit the model."""


class ConfigError(DptError):
    """A config asks for something that cannot be done."""


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` as one line.

    Errors raised inside data-loader workers come back wrapped in the worker's traceback;
    the last line of that text is the original message.
    """
    text = str(exc).strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return type(exc).__name__
    if 'Original Traceback' in text:
        last = lines[-1]
        # "dpt.utils.errors.DataError: <message>" -> "<message>"
        return last.split(': ', 1)[1] if ': ' in last else last
    return ' '.join(ln.strip() for ln in lines)


def load_json(path, what='annotation file'):
    """The JSON content of ``path``; a missing or unreadable file is a one-line DataError
    naming it (``what`` says which kind of file the user gave)."""
    if not osp.isfile(path):
        raise DataError(f'{path}: {what} not found')
    try:
        with open(path, 'rb') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f'{path}: not valid JSON ({e})') from None
