"""Models of dpt's pre-training strategies, registered into mmdet's registries."""
from . import aligndet  # noqa: F401
from . import detreg  # noqa: F401
