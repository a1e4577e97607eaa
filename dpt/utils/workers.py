"""Worker processes that end when the process that started them ends.

A pool's workers are processes of their own: when the parent is killed (SIGKILL, or SIGTERM
without a handler) nothing tells them, and ``ProcessPoolExecutor`` / ``multiprocessing.Pool``
workers keep computing, or wait for tasks, for good. Every dpt job that starts workers (the
proposal tool, :mod:`dpt.proposals.generate`; the CAM-box tool, :mod:`dpt.pseudo_boxes.generate`)
builds its pool with :func:`pool_initializer`:

    pool = ProcessPoolExecutor(n, ctx, *pool_initializer(_init_worker, settings))

On Linux each worker asks the kernel for SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread in the worker watches the parent's pid. A
worker that finds its parent gone already (killed while the worker was starting) exits at once.

The kernel sends the signal when the *thread* that started the worker ends, so a pool must be
started by a thread that lives as long as the pool (the main thread in dpt's tools).
"""

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _arm_parent_death_signal(sig=signal.SIGKILL) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent ends; False if unsupported."""
    if not sys.platform.startswith('linux'):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid, interval_s):
    # a parent that dies hands its children to init (or a subreaper): the ppid changes
    while os.getppid() == parent_pid:
        time.sleep(interval_s)
    os._exit(1)


def end_with_parent(parent_pid: int, interval_s: float = 0.5) -> None:
    """Make this worker process end when ``parent_pid`` (its parent) ends.

    ``parent_pid`` is ``os.getpid()`` of the process that starts the pool, taken there: the
    worker must be its direct child (the ``fork`` and ``spawn`` start methods).
    """
    if not _arm_parent_death_signal():
        threading.Thread(
            target=_watch_parent,
            args=(parent_pid, interval_s),
            daemon=True,
            name='dpt-parent-watch',
        ).start()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)


def init_worker(parent_pid, initializer=None, *initargs):
    """A pool initializer: :func:`end_with_parent`, then ``initializer(*initargs)``."""
    end_with_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def pool_initializer(initializer=None, *initargs):
    """``(initializer, initargs)`` for a process pool whose workers end with this process
    (call it in the process that starts the pool)."""
    return init_worker, (os.getpid(), initializer, *initargs)
