"""``tools/train.py --tensorboard``: mmengine's TensorboardVisBackend next to the config's
backends, so losses, learning rates and metrics go to TensorBoard event files as well
(``WORK_DIR/<timestamp>/vis_data/events.out.tfevents.*``; ``tensorboard --logdir WORK_DIR``)."""

from ..utils.errors import ConfigError

BACKEND = 'TensorboardVisBackend'


def enable_tensorboard(cfg):
    """Add the TensorBoard backend to ``cfg.visualizer`` (once); ConfigError when the
    tensorboard package, which torch.utils.tensorboard writes with, is missing."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise ConfigError(
            '--tensorboard: the tensorboard package is not installed (pip install tensorboard)'
        ) from None
    vis = cfg.get('visualizer')
    if vis is None:
        cfg.visualizer = vis = dict(type='DetLocalVisualizer', name='visualizer')
    backends = list(vis.get('vis_backends') or [dict(type='LocalVisBackend')])
    if not any(str(b.get('type', '')).split('.')[-1] == BACKEND for b in backends):
        backends.append(dict(type=BACKEND))
    vis['vis_backends'] = backends
    return cfg
