"""tools/train.py killed (SIGKILL) at the worst moments keeps a checkpoint, and --resume
continues exactly where it stopped.

The kills come from a probe module the test config imports: it SIGKILLs the training
process at a chosen point (just before a checkpoint is renamed into place, just after
``last_checkpoint`` is, after a given iteration) and records the image ids of every batch.
"""

import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from _cli import ROOT, data_options, env, free_port

PROBE = '''
import json, os, signal
from mmengine.hooks import Hook
from mmdet.registry import HOOKS

KILL = os.environ.get('PROBE_KILL', '')


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


if KILL.startswith(('before-replace:', 'after-replace:')):
    # "before-replace:epoch_2.pth:1": die just before the 1st rename onto a name ending so
    WHEN, TARGET, NTH = KILL.split(':')
    _seen, _replace = [0], os.replace

    def replace(src, dst, *args, **kwargs):
        hit = str(dst).endswith(TARGET)
        if hit:
            _seen[0] += 1
        if hit and WHEN == 'before-replace' and _seen[0] == int(NTH):
            _die()
        _replace(src, dst, *args, **kwargs)
        if hit and WHEN == 'after-replace' and _seen[0] == int(NTH):
            _die()
    os.replace = replace


@HOOKS.register_module()
class RecordBatches(Hook):
    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, out):
        self.out = out

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        ids = [s.img_id for s in data_batch['data_samples']]
        with open(self.out, 'a') as f:
            f.write(json.dumps(dict(iter=runner.iter + 1, epoch=runner.epoch + 1,
                                    batch=batch_idx, ids=ids)) + '\\n')
        if KILL == f'iter:{runner.iter + 1}':
            _die()

    def before_val_iter(self, runner, batch_idx, data_batch=None):
        if KILL == f'val:{runner.epoch}':  # validating after epoch runner.epoch
            _die()
'''


def _setup(tmp_path):
    (tmp_path / 'probe.py').write_text(PROBE)
    config = tmp_path / 'probed.py'
    config.write_text(
        f"_base_ = '{ROOT}/configs/baselines/faster-rcnn_tiny_demo.py'\n"
        "custom_imports = dict(imports=['dpt', 'probe'], allow_failed_imports=False)\n"
        f"custom_hooks = [dict(type='RecordBatches', out='{tmp_path}/batches.jsonl')]\n"
    )
    return str(config)


def _train(tmp_path, demo_data_root, *extra, kill=None, epochs=3):
    e = env()
    e['PYTHONPATH'] = f'{tmp_path}{os.pathsep}{e["PYTHONPATH"]}'
    if kill:
        e['PROBE_KILL'] = kill
    opts = data_options(demo_data_root, epochs=epochs)
    return subprocess.run(
        [
            sys.executable,
            'tools/train.py',
            _setup(tmp_path),
            '--work-dir',
            str(tmp_path / 'work'),
            *opts,
            *extra,
        ],
        cwd=ROOT,
        env=e,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _batches(tmp_path):
    path = tmp_path / 'batches.jsonl'
    return [json.loads(ln) for ln in path.read_text().splitlines()] if path.exists() else []


def _files(work):
    return sorted(n for n in os.listdir(work) if n.endswith('.pth') or n.endswith('.tmp'))


def _pointer(work):
    return osp.basename((work / 'last_checkpoint').read_text().strip())


def test_kill_while_writing_a_checkpoint_keeps_the_previous_one(tmp_path, demo_data_root):
    work = tmp_path / 'work'
    keep_one = 'default_hooks.checkpoint.max_keep_ckpts=1'
    proc = _train(tmp_path, demo_data_root, keep_one, kill='before-replace:epoch_2.pth:1')
    assert proc.returncode == -9, proc.stderr[-3000:]
    # the new checkpoint was complete in its temporary file, the old one is still there
    files = _files(work)
    assert 'epoch_1.pth' in files and 'epoch_2.pth' not in files, files
    assert any(re.fullmatch(r'\.epoch_2\.pth\.\w{8}\.tmp', n) for n in files), files
    assert _pointer(work) == 'epoch_1.pth'

    proc = _train(tmp_path, demo_data_root, keep_one, '--resume')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'resumed epoch: 1' in log
    assert 'left by a checkpoint write that was cut short' in log
    assert _files(work) == ['epoch_3.pth'] and _pointer(work) == 'epoch_3.pth'
    assert sorted({b['epoch'] for b in _batches(tmp_path)}) == [1, 2, 3]


def test_kill_before_removing_the_old_checkpoint(tmp_path, demo_data_root):
    work = tmp_path / 'work'
    keep_one = 'default_hooks.checkpoint.max_keep_ckpts=1'
    # the 2nd update of last_checkpoint (epoch 2) is done; epoch_1.pth is not removed yet
    proc = _train(tmp_path, demo_data_root, keep_one, kill='after-replace:last_checkpoint:2')
    assert proc.returncode == -9, proc.stderr[-3000:]
    assert _files(work) == ['epoch_1.pth', 'epoch_2.pth'] and _pointer(work) == 'epoch_2.pth'
    ckpt = torch.load(work / 'epoch_2.pth', map_location='cpu', weights_only=False)
    assert ckpt['message_hub']['runtime_info']['ckpts_to_remove'] == [str(work / 'epoch_1.pth')]

    proc = _train(tmp_path, demo_data_root, keep_one, '--resume')
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert _files(work) == ['epoch_3.pth'] and _pointer(work) == 'epoch_3.pth'


def test_resume_in_the_middle_of_an_epoch_trains_only_the_rest(tmp_path, demo_data_root):
    # iteration checkpoints in an epoch-based loop; 16 images, 4 per batch: 4 batches an
    # epoch. No fixed seed: the sampler's seed must come back from the checkpoint.
    per_iter = [
        'default_hooks.checkpoint.by_epoch=False',
        'default_hooks.checkpoint.interval=1',
        'randomness.seed=None',
    ]
    proc = _train(tmp_path, demo_data_root, *per_iter, kill='iter:6', epochs=2)
    assert proc.returncode == -9, proc.stderr[-3000:]
    before = _batches(tmp_path)
    assert [b['iter'] for b in before] == [1, 2, 3, 4, 5, 6]
    assert _pointer(tmp_path / 'work') == 'iter_6.pth'

    proc = _train(tmp_path, demo_data_root, *per_iter, '--resume', epochs=2)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    after = _batches(tmp_path)[len(before) :]
    assert [(b['iter'], b['epoch'], b['batch']) for b in after] == [(7, 2, 2), (8, 2, 3)]
    assert 'Resuming epoch 2 after batch 2 of 4' in log
    assert '-1 day' not in log and 'Epoch(train) [2][4/4]' in log
    # epoch 2 saw every image once: the resumed run took the batches the killed one had not
    second = [i for b in before + after if b['epoch'] == 2 for i in b['ids']]
    first = [i for b in before if b['epoch'] == 1 for i in b['ids']]
    assert sorted(second) == sorted(first) and len(set(second)) == 16
    ckpt = torch.load(tmp_path / 'work' / 'iter_8.pth', map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 8 and ckpt['meta']['epoch'] == 1  # 0-based, in epoch 2


def test_kill_during_validation_keeps_that_epochs_checkpoint(tmp_path, demo_data_root):
    work = tmp_path / 'work'
    proc = _train(tmp_path, demo_data_root, 'train_cfg.val_interval=1', kill='val:1', epochs=2)
    assert proc.returncode == -9, proc.stderr[-3000:]
    assert _files(work) == ['epoch_1.pth'] and _pointer(work) == 'epoch_1.pth'

    proc = _train(tmp_path, demo_data_root, 'train_cfg.val_interval=1', '--resume', epochs=2)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'resumed epoch: 1' in log
    # the next epoch is trained and validated; the interrupted validation is not repeated
    assert re.findall(r'Epoch\(train\)\s*\[(\d+)\]', log) and set(
        re.findall(r'Epoch\(train\)\s*\[(\d+)\]', log)
    ) == {'2'}
    assert set(re.findall(r'Epoch\(val\)\s*\[(\d+)\]', log)) == {'2'}


def _ranks(port):
    """{rank: pid} of the training processes of the torchrun job on ``port``."""
    ranks = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/environ', 'rb') as f:
                environ = dict(kv.split(b'=', 1) for kv in f.read().split(b'\0') if b'=' in kv)
            with open(f'/proc/{name}/cmdline', 'rb') as f:
                cmdline = f.read()
        except OSError:
            continue
        if (
            b'tools/train.py' in cmdline
            and b'LOCAL_RANK' in environ
            and environ.get(b'MASTER_PORT') == port.encode()
        ):
            ranks[int(environ[b'RANK'])] = int(name)
    return ranks


def test_a_dead_rank_stops_the_run_and_keeps_the_checkpoints(tmp_path, demo_data_root):
    if torch.cuda.is_available():
        pytest.skip('this test checks the CPU (gloo) path')
    work = tmp_path / 'work'
    e = env()
    e['PORT'] = port = free_port()
    proc = subprocess.Popen(
        [
            'bash',
            'tools/dist_train.sh',
            _setup(tmp_path),
            '2',
            '--work-dir',
            str(work),
            *data_options(demo_data_root, epochs=4),
        ],
        cwd=ROOT,
        env=dict(e, PYTHONPATH=f'{tmp_path}:{e["PYTHONPATH"]}'),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 400
        while not (work / 'epoch_1.pth').exists() or not (work / 'last_checkpoint').exists():
            assert proc.poll() is None and time.time() < deadline, proc.stderr.read()[-3000:]
            time.sleep(0.1)
        ranks = _ranks(port)
        assert sorted(ranks) == [0, 1], ranks
        os.kill(ranks[1], signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    time.sleep(1)
    assert not _ranks(port)  # no rank outlives the run
    assert not (work / 'epoch_4.pth').exists()
    kept = work / _pointer(work)
    assert kept.is_file() and not [n for n in _files(work) if n.endswith('.tmp')]
    torch.load(kept, map_location='cpu', weights_only=False)
