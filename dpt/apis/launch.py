"""What tools/train.py and tools/test.py do, as library functions a test can call."""

import io
import os
import os.path as osp
import sys
from contextlib import contextmanager

from mmengine.config import Config, DictAction  # noqa: F401  (DictAction re-exported)
from mmengine.runner import Runner, find_latest_checkpoint

from ..utils.errors import (
    STORAGE_ERRNOS,
    ConfigError,
    DptError,
    one_line,
    storage_reason,
    with_flags,
)

COCO_METRICS = ('bbox', 'segm', 'proposal', 'proposal_fast')


def load_config(path, cfg_options=None):
    """Read a config file; a missing file or a syntax error is a :class:`ConfigError`."""
    if not osp.isfile(path):
        raise ConfigError(f'{path}: config file not found')
    try:
        cfg = Config.fromfile(path)
    except (SyntaxError, KeyError, ImportError, FileNotFoundError) as e:
        raise ConfigError(f'{path}: cannot read config ({type(e).__name__}: {e})') from None
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def add_launcher_args(parser):
    """mmdet's ``--launcher`` and ``--local_rank`` (also ``--local-rank``, as
    ``torch.distributed.launch`` passes it) on the argparse ``parser``; returns it."""
    parser.add_argument('--launcher', choices=list(LAUNCHERS), default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def parse_launcher_args(parser, argv=None):
    """``parser`` with :func:`add_launcher_args` parses ``argv``; ``LOCAL_RANK`` is set from
    ``--local_rank`` unless the launcher (torchrun) has set it already."""
    args = add_launcher_args(parser).parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def default_work_dir(config_path):
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def prepare_train_config(
    cfg, config_path, work_dir=None, amp=False, auto_scale_lr=False, resume=None, launcher='none'
):
    """Apply the command-line choices of tools/train.py to ``cfg`` (mmdet's conventions).

    ``resume='auto'`` continues from the newest checkpoint in the work dir if there is one
    (and starts afresh otherwise); a path resumes from that checkpoint.
    """
    cfg.launcher = launcher
    cfg.work_dir = work_dir or cfg.get('work_dir') or default_work_dir(config_path)
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ConfigError(
                f'{config_path}: --auto-scale-lr needs '
                f'auto_scale_lr = dict(base_batch_size=...) in the config'
            )
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        # Continue from the newest checkpoint of this work dir; with none there, start as
        # configured (a fine-tune config still loads its `load_from`).
        latest = find_latest_checkpoint(cfg.work_dir) if osp.isdir(cfg.work_dir) else None
        if latest:
            cfg.resume = True
            cfg.load_from = latest
    elif resume:
        if not osp.isfile(resume):
            raise ConfigError(f'--resume {resume}: checkpoint file not found')
        cfg.resume = True
        cfg.load_from = resume
    load_from = cfg.get('load_from')
    if not cfg.get('resume') and load_from and '://' not in load_from and not osp.isfile(load_from):
        raise ConfigError(f"{config_path}: load_from '{load_from}' not found")
    return cfg


def set_eval_metrics(cfg, metrics):
    """``--eval bbox segm``: which COCO metrics the test evaluator computes."""
    bad = [m for m in metrics if m not in COCO_METRICS]
    if bad:
        raise ConfigError(
            f'--eval {" ".join(bad)}: unknown metric; choose from {", ".join(COCO_METRICS)}'
        )
    evaluators = (
        cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
    )
    coco = [e for e in evaluators if e.get('type') == 'CocoMetric']
    if not coco:
        raise ConfigError('--eval: the config has no CocoMetric test evaluator')
    for e in coco:
        e.metric = list(metrics)
    return cfg


def prepare_test_config(
    cfg,
    config_path,
    checkpoint,
    work_dir=None,
    eval_metrics=None,
    out=None,
    show_dir=None,
    launcher='none',
):
    """Apply the command-line choices of tools/test.py to ``cfg``."""
    if not osp.isfile(checkpoint):
        raise ConfigError(f'{checkpoint}: checkpoint file not found')
    cfg.launcher = launcher
    cfg.work_dir = work_dir or cfg.get('work_dir') or default_work_dir(config_path)
    cfg.load_from = checkpoint
    cfg.resume = False
    if eval_metrics:
        set_eval_metrics(cfg, eval_metrics)
    if show_dir:
        vis = cfg.default_hooks.setdefault('visualization', dict(type='DetVisualizationHook'))
        vis.update(draw=True, test_out_dir=show_dir)
    if out:
        if not out.endswith(('.pkl', '.pickle')):
            raise ConfigError(f'--out {out}: the results file must end in .pkl')
        cfg.test_evaluator = (
            list(cfg.test_evaluator)
            if isinstance(cfg.test_evaluator, list)
            else [cfg.test_evaluator]
        )
        cfg.test_evaluator.append(dict(type='DumpDetResults', out_file_path=out))
    return cfg


def build_runner(cfg):
    """Build the runner a config asks for (``runner_type``), as mmdet's tools do, with dpt's
    safe checkpoint loading and atomic writes installed into mmengine (for a plain Runner
    too; :func:`dpt.engine.install_mmengine_changes`)."""
    from ..engine import install_mmengine_changes

    install_mmengine_changes()
    if 'runner_type' in cfg:
        from mmdet.registry import RUNNERS
        from mmengine.registry import init_default_scope

        # looked up in the config's scope, not in whichever scope an earlier runner in this
        # process left current (a plain mmengine Runner leaves 'mmengine', where dpt's
        # runners are not registered)
        init_default_scope(cfg.get('default_scope', 'mmdet'))
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def format_metrics(metrics: dict) -> str:
    """The AP numbers of a test run, one per line, in percent; 'n/a' where COCO reports
    -1 (no object of that size in the ground truth)."""
    lines = []
    for key, value in metrics.items():
        if isinstance(value, float) and ('mAP' in key or 'AR' in key):
            shown = f'{100 * value:6.2f}' if value >= 0 else f'{"n/a":>6}'
            lines.append(f'{key:<28} {shown}')
    return '\n'.join(lines)


def _file_being_written(tb):
    """The name of a file open for writing in the innermost frames of ``tb``, or None: a
    failed ``f.write`` raises an OSError without the file's name."""
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            if (
                isinstance(value, io.IOBase)
                and not isinstance(value, io.BytesIO)
                and any(m in getattr(value, 'mode', '') for m in 'wax+')
                and isinstance(getattr(value, 'name', None), str)
            ):
                return value.name
    return None


@contextmanager
def cli_errors(tool, flags=None):
    """Print a user mistake as one line (``tool: error: ...``) and exit 2; so too a write
    that fails for want of room (a full disk), naming the file. ``flags``: the parameters
    the tool exposes as flags, named as flags in the message (:func:`with_flags`)."""
    try:
        yield
    except DptError as e:
        print(f'{tool}: error: {with_flags(one_line(e), flags or {})}', file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        if e.errno not in STORAGE_ERRNOS:
            raise
        path = e.filename or _file_being_written(e.__traceback__) or 'a file'
        print(
            f'{tool}: error: {path}: cannot write ({storage_reason(e)}); the files '
            f'written before are kept',
            file=sys.stderr,
        )
        sys.exit(2)
    except KeyboardInterrupt:
        print(f'{tool}: interrupted; rerun with --resume auto to continue', file=sys.stderr)
        sys.exit(130)
