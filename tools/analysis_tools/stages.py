"""Multi-stage jobs (pre-train -> fine-tune -> test) run as tool subprocesses.

Each stage runs ``tools/train.py`` / ``tools/test.py`` of this checkout in a child process
(the same interpreter, so the dpt it has installed), so its progress log shows as it goes,
and marks its work dir done when it finishes: re-running a job skips finished stages and
resumes an interrupted one from its last checkpoint.

A tool module, not part of the dpt package: the scripts next to it import it as ``from
stages import ...`` (Python puts a script's directory on ``sys.path``), tools/demo.py as
``from analysis_tools.stages import ...``.
"""

import json
import os.path as osp
import signal
import subprocess
import sys
import threading
import time

from dpt.engine.fileio import atomic_write_bytes

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))  # the checkout
DONE = 'stage_done.json'


class StageFailed(RuntimeError):
    pass


def run_tool(title, cmd):
    """Run a command from the checkout's root; return its wall-clock seconds.

    A SIGTERM or SIGHUP to this process (``kill``, a closed terminal, a batch system's
    time limit) stops the child too, as Ctrl-C does, instead of leaving it training on
    unowned: StageFailed, and the same command later resumes the stage."""

    def stop(signum, frame):  # raised inside subprocess.call, which then kills the child
        raise StageFailed(
            f'stage "{title}" stopped by signal {signum}; run the same command again to continue'
        )

    print(f'\n==== {title}\n$ {" ".join(cmd)}', flush=True)
    handled = (signal.SIGTERM, signal.SIGHUP)
    main = threading.current_thread() is threading.main_thread()  # signals: main thread only
    old = {s: signal.signal(s, stop) for s in handled} if main else {}
    t0 = time.time()
    try:
        rc = subprocess.call(cmd, cwd=ROOT)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    if rc != 0:
        raise StageFailed(f'stage "{title}" failed; run the same command again to continue')
    return time.time() - t0


def stage_record(work_dir):
    """What a finished stage recorded (checkpoint, seconds), or None."""
    path = osp.join(work_dir, DONE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        record = json.load(f)
    return record if osp.isfile(record['checkpoint']) else None


def train_stage(title, config, work_dir, cfg_options=()):
    """Train ``config`` into ``work_dir`` unless done already; return the stage record."""
    record = stage_record(work_dir)
    if record:
        print(f'\n==== {title}: done already ({record["checkpoint"]})', flush=True)
        return record
    options = ['--cfg-options', *cfg_options] if cfg_options else []
    seconds = run_tool(
        title,
        [sys.executable, 'tools/train.py', config, '--work-dir', work_dir, '--resume', *options],
    )
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    record = dict(config=config, checkpoint=checkpoint, seconds=round(seconds, 1))
    atomic_write_bytes(json.dumps(record, indent=1).encode(), osp.join(work_dir, DONE))
    return record


def test_stage(title, config, checkpoint, work_dir, metrics=('bbox', 'segm'), cfg_options=()):
    """Evaluate ``checkpoint``; return the metrics dict that tools/test.py wrote."""
    options = ['--cfg-options', *cfg_options] if cfg_options else []
    run_tool(
        title,
        [
            sys.executable,
            'tools/test.py',
            config,
            checkpoint,
            '--eval',
            *metrics,
            '--work-dir',
            work_dir,
            *options,
        ],
    )
    with open(osp.join(work_dir, 'metrics.json')) as f:
        return json.load(f)


def data_root_options(data_root):
    """--cfg-options that point a demo config's loaders and evaluators at ``data_root``."""
    root = data_root.rstrip('/') + '/'
    ann = f'{root}annotations/instances_val.json'
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={ann}',
        f'test_evaluator.ann_file={ann}',
    ]
