"""Multi-stage jobs (pre-train -> fine-tune -> test) run as tool subprocesses.

Each stage runs ``tools/train.py`` / ``tools/test.py`` of this checkout in a child process
(the same interpreter, so the dpt it has installed), so its progress log shows as it goes,
and marks its work dir done when it finishes: re-running a job skips finished stages and
resumes an interrupted one from its last checkpoint.

A tool module, not part of the dpt package: the scripts next to it import it as ``from
stages import ...`` (Python puts a script's directory on ``sys.path``), tools/demo.py as
``from analysis_tools.stages import ...``.
"""

import contextlib
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import threading
import time

from dpt.engine.fileio import atomic_write_bytes

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))  # the checkout
DONE = 'stage_done.json'
ATTEMPTS = 'stage_attempts.json'  # every run of a stage, finished or not: its seconds


class StageFailed(RuntimeError):
    pass


def run_tool(title, cmd):
    """Run a command from the checkout's root (its time: :class:`AttemptClock`).

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
    try:
        rc = subprocess.call(cmd, cwd=ROOT)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    if rc != 0:
        raise StageFailed(f'stage "{title}" failed; run the same command again to continue')


def stage_record(work_dir):
    """What a finished stage recorded (checkpoint, seconds), or None."""
    path = osp.join(work_dir, DONE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        record = json.load(f)
    return record if osp.isfile(record['checkpoint']) else None


def _newest_mtime(work_dir, skip):
    """The latest modification time of a file under ``work_dir`` (``skip`` aside), or 0."""
    newest = 0.0
    for root, _, files in os.walk(work_dir):
        for name in files:
            if name != skip:
                with contextlib.suppress(OSError):
                    newest = max(newest, os.path.getmtime(osp.join(root, name)))
    return newest


class AttemptClock:
    """Wall-clock seconds of a stage over all its attempts, kept in ``work_dir/ATTEMPTS``.

    A stage that is stopped (a signal, Ctrl-C, a failure) and resumed later costs the time of
    every attempt, not only the last one's. Each attempt is written down when it starts and
    its seconds when it ends, however it ends; one that was killed outright (SIGKILL, a lost
    machine) never wrote its seconds, so the next attempt estimates them from the newest file
    that the killed one left in ``work_dir`` (its logs and checkpoints) and marks them
    ``estimated``: a lower bound."""

    def __init__(self, work_dir):
        self.work_dir = work_dir
        self.path = osp.join(work_dir, ATTEMPTS)
        self.attempts = []
        if osp.isfile(self.path):
            with open(self.path) as f:
                self.attempts = json.load(f)

    def _save(self):
        os.makedirs(self.work_dir, exist_ok=True)
        data = json.dumps(self.attempts, indent=1).encode()
        atomic_write_bytes(data, self.path)

    @contextlib.contextmanager
    def attempt(self):
        killed = [a for a in self.attempts if a.get('seconds') is None]
        if killed:  # killed outright: measure them by what they left behind
            newest = _newest_mtime(self.work_dir, skip=ATTEMPTS)
            for a in killed:
                a['seconds'] = round(max(newest - a['started'], 0.0), 1)
                a['estimated'] = True
        t0 = time.time()
        self.attempts.append(dict(started=t0, seconds=None))
        self._save()
        try:
            yield
        finally:
            self.attempts[-1]['seconds'] = round(time.time() - t0, 1)
            self._save()

    def summary(self):
        """{seconds, attempts[, estimated_attempts]} over every attempt so far."""
        out = dict(
            seconds=round(sum(a['seconds'] or 0.0 for a in self.attempts), 1),
            attempts=len(self.attempts),
        )
        estimated = sum(1 for a in self.attempts if a.get('estimated'))
        if estimated:
            out['estimated_attempts'] = estimated
        return out


def train_stage(title, config, work_dir, cfg_options=()):
    """Train ``config`` into ``work_dir`` unless done already; return the stage record, its
    ``seconds`` those of all its attempts (``AttemptClock``)."""
    record = stage_record(work_dir)
    if record:
        print(f'\n==== {title}: done already ({record["checkpoint"]})', flush=True)
        return record
    options = ['--cfg-options', *cfg_options] if cfg_options else []
    clock = AttemptClock(work_dir)
    with clock.attempt():
        run_tool(
            title,
            [
                sys.executable,
                'tools/train.py',
                config,
                '--work-dir',
                work_dir,
                '--resume',
                *options,
            ],
        )
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    record = dict(config=config, checkpoint=checkpoint, **clock.summary())
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
