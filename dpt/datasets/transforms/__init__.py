"""Data transforms of dpt's pre-training strategies, registered into mmdet's TRANSFORMS."""
from .proposals import KeepFirstProposals
from . import region_priors  # noqa: F401  (registers RegionPriors, PackRegionPriors)

__all__ = ['KeepFirstProposals']
