"""Data transforms of dpt's pre-training strategies, registered into mmdet's TRANSFORMS."""
from .proposals import KeepFirstProposals

__all__ = ['KeepFirstProposals']
