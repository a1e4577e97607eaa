from . import fileio
from .runner import DptRunner

fileio.install()

__all__ = ['DptRunner']
