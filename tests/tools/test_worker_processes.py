"""Worker processes end when the process that started them is killed (dpt.utils.workers)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from _cli import ROOT, env


def _children(pid):
    """pids of the live processes whose parent is ``pid``."""
    kids = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != 'Z':
            kids.append(int(name))
    return kids


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def _wait_for(cond, timeout, what):
    deadline = time.time() + timeout
    while not cond():
        assert time.time() < deadline, what
        time.sleep(0.05)


def _kill_and_check(proc, workers, sig, n):
    _wait_for(
        lambda: len(workers()) >= n or proc.poll() is not None, 120, 'the workers did not start'
    )
    assert proc.poll() is None, proc.communicate()[1][-3000:]
    pids = workers()
    os.kill(proc.pid, sig)
    proc.wait()
    try:
        _wait_for(
            lambda: not any(_alive(p) for p in pids),
            5,
            f'workers {[p for p in pids if _alive(p)]} outlived their parent',
        )
    finally:
        for p in pids:  # tidy up after a failure
            if _alive(p):
                os.kill(p, signal.SIGKILL)


POOL_PARENT = textwrap.dedent('''
    import multiprocessing as mp, sys, time
    from concurrent.futures import ProcessPoolExecutor
    from dpt.utils.workers import pool_initializer

    if __name__ == '__main__':
        kind, marker = sys.argv[1:]
        if kind == 'executor':
            pool = ProcessPoolExecutor(2, mp.get_context('fork'), *pool_initializer())
            run = lambda fn, *args: pool.submit(fn, *args)
        else:
            pool = mp.get_context('spawn').Pool(2, *pool_initializer())
            run = lambda fn, *args: pool.apply_async(fn, args)
        jobs = [run(open, marker, 'w'), run(time.sleep, 600), run(time.sleep, 600)]
        time.sleep(600)
''')


@pytest.mark.parametrize('kind', ['executor', 'spawn-pool'])
def test_pool_workers_end_with_a_killed_parent(tmp_path, kind):
    script, marker = tmp_path / 'parent.py', tmp_path / 'working'
    script.write_text(POOL_PARENT)
    proc = subprocess.Popen(
        [sys.executable, str(script), kind, str(marker)],
        cwd=ROOT,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def workers():  # the spawn pool also starts multiprocessing's resource tracker
        pids = [p for p in _children(proc.pid) if 'resource_tracker' not in _cmdline(p)]
        return pids if marker.exists() else []

    _kill_and_check(proc, workers, signal.SIGKILL, 2)


def _proposal_tool(demo_data_root, out):
    return subprocess.Popen(
        [
            sys.executable,
            'tools/misc/make_proposals.py',
            '--img-dir',
            f'{demo_data_root}train',
            '--ann-file',
            f'{demo_data_root}annotations/instances_train.json',
            '--out',
            str(out),
            '--workers',
            '2',
        ],
        cwd=ROOT,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize('sig', [signal.SIGKILL, signal.SIGTERM])
def test_proposal_workers_end_with_the_tool(tmp_path, demo_data_root, sig):
    out = tmp_path / 'proposals.json'
    proc = _proposal_tool(demo_data_root, out)
    _kill_and_check(proc, lambda: _children(proc.pid), sig, 2)
    assert not out.exists()
    # what the workers finished is kept: a rerun continues from the partial file
    lines = (tmp_path / 'proposals.json.partial.jsonl').read_text().splitlines()
    assert json.loads(lines[0])['partial_of'] == 'proposals.json'


@pytest.fixture
def cam_job(tmp_path):
    """make_cam_boxes.py on 2 workers over 240 small images of 2 classes (a tiny classifier)."""
    import numpy as np
    import timm
    import torch
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls in ('a', 'b'):
        (tmp_path / 'imgs' / cls).mkdir(parents=True)
        for i in range(120):
            Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
                tmp_path / 'imgs' / cls / f'{i}.jpg'
            )
    kw = dict(channels=(4, 8, 8, 8), stem_width=4)
    torch.save(
        {'state_dict': timm.create_model('resnet18', num_classes=2, **kw).state_dict()},
        tmp_path / 'c.pth',
    )
    cmd = [
        sys.executable,
        'tools/misc/make_cam_boxes.py',
        str(tmp_path / 'imgs'),
        '--classifier',
        'timm:resnet18',
        '--checkpoint',
        str(tmp_path / 'c.pth'),
        '--model-kwargs',
        json.dumps(kw),
        '--out',
        str(tmp_path / 'out' / 'cam'),
        '--workers',
        '2',
        '--batch-size',
        '2',
        '--device',
        'cpu',
    ]
    partial = tmp_path / 'out' / 'cam.partial.jsonl'

    def start():
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

        def working():  # both workers up, and the first results written
            pids = [p for p in _children(proc.pid) if 'resource_tracker' not in _cmdline(p)]
            lines = partial.read_text().count('\n') if partial.exists() else 0
            return pids if len(pids) == 2 and lines >= 3 else []

        return proc, working

    return start, partial


def _cmdline(pid):
    try:
        with open(f'/proc/{pid}/cmdline') as f:
            return f.read()
    except OSError:
        return ''


def test_cam_workers_end_with_the_tool(cam_job):
    start, partial = cam_job
    proc, working = start()
    _kill_and_check(proc, working, signal.SIGKILL, 2)
    assert partial.read_text().count('\n') >= 3  # kept for the rerun


def test_a_dead_cam_worker_is_one_line(cam_job):
    start, partial = cam_job
    proc, working = start()
    _wait_for(lambda: working() or proc.poll() is not None, 120, 'the workers did not start')
    assert proc.poll() is None, proc.communicate()[1][-3000:]
    os.kill(working()[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err[-3000:]
    line = err.strip().splitlines()[-1]
    assert line.startswith('make_cam_boxes: error: ') and 'a worker process died' in line, err
    assert f'kept in {partial}, rerun to continue' in line and 'Traceback' not in err
