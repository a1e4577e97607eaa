"""slurm_train.sh (with a fake srun), two-node training through dist_train.sh's NNODES /
NODE_RANK / MASTER_ADDR (two node ranks on this machine, one CPU process each), and gradient
accumulation (optim_wrapper.accumulative_counts)."""

import os
import subprocess

import pytest
import torch
from _cli import CONFIG, ROOT, data_options, env, free_port

FAKE_SRUN = """#!/usr/bin/env bash
# records how it was called, one argument a line
printf '%s\\n' "$@" > "$SRUN_LOG"
"""


def slurm(tmp_path, *args, **extra):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'srun').chmod(0o755)
    log = tmp_path / 'srun.log'
    e = {k: v for k, v in env().items() if not k.startswith('SLURM_')}
    e.update(PATH=f'{bin_dir}:{os.environ["PATH"]}', SRUN_LOG=str(log), **extra)
    proc = subprocess.run(
        ['bash', 'tools/slurm_train.sh', *args],
        cwd=ROOT,
        env=e,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return log.read_text().splitlines()


def test_slurm_train_calls_srun_as_mmdet(tmp_path):
    argv = slurm(
        tmp_path,
        'gpu',
        'aligndet',
        CONFIG,
        'work_dirs/x',
        '--amp',
        GPUS='16',
        GPUS_PER_NODE='8',
        CPUS_PER_TASK='4',
        SRUN_ARGS='--quotatype=auto --time=10',
    )
    assert argv[:2] == ['-p', 'gpu']
    for arg in (
        '--job-name=aligndet',
        '--gres=gpu:8',
        '--ntasks=16',
        '--ntasks-per-node=8',
        '--cpus-per-task=4',
        '--kill-on-bad-exit=1',
        '--quotatype=auto',
        '--time=10',
    ):
        assert arg in argv, argv
    i = next(i for i, a in enumerate(argv) if a.endswith('tools/train.py'))
    assert argv[i + 1 :] == [CONFIG, '--work-dir=work_dirs/x', '--launcher=slurm', '--amp']
    assert '--resume' not in argv


def test_slurm_train_resumes_when_requeued(tmp_path):
    argv = slurm(tmp_path, 'gpu', 'j', CONFIG, 'w', SLURM_RESTART_COUNT='1')
    assert argv[-1] == '--resume'
    argv = slurm(
        tmp_path, 'gpu', 'j', CONFIG, 'w', '--resume', 'w/epoch_2.pth', SLURM_RESTART_COUNT='2'
    )
    assert argv.count('--resume') == 1 and argv[-1] == 'w/epoch_2.pth'


def test_two_nodes_one_process_each(tmp_path, demo_data_root):
    if torch.cuda.is_available():
        pytest.skip('this test checks the CPU (gloo) path')
    work = tmp_path / 'two_nodes'
    port = free_port()
    procs = []
    for rank in (0, 1):
        e = dict(env(), NNODES='2', NODE_RANK=str(rank), MASTER_ADDR='127.0.0.1', PORT=port)
        procs.append(
            subprocess.Popen(
                [
                    'bash',
                    'tools/dist_train.sh',
                    CONFIG,
                    '1',
                    '--work-dir',
                    str(work),
                    *data_options(demo_data_root),
                ],
                cwd=ROOT,
                env=e,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    logs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], logs[0][-3000:] + logs[1][-3000:]
    assert 'Distributed training: True' in logs[0]
    assert 'GPU number: 2' in logs[0], logs[0][-3000:]  # mmengine's name for the world size
    assert (work / 'epoch_1.pth').is_file()
    # the 16 images in batches of 4 over 2 processes: 2 iterations
    assert 'Epoch(train) [1][2/2]' in logs[0], logs[0][-3000:]


def _adam_steps(demo_data_root, tmp_path, counts):
    import argparse

    from mmengine.config import DictAction

    from dpt.apis import build_runner, load_config, prepare_train_config

    ns = argparse.Namespace()
    options = data_options(demo_data_root)[1:] + [
        'optim_wrapper.optimizer.type=AdamW',
        'optim_wrapper.optimizer.lr=0.0001',
        'default_hooks.checkpoint.interval=100',
        'train_cfg.val_interval=100',
        f'optim_wrapper.accumulative_counts={counts}',
    ]
    DictAction(option_strings=[], dest='o')(None, ns, options)
    cfg = load_config(os.path.join(ROOT, CONFIG), ns.o)
    cfg.optim_wrapper.optimizer.pop('momentum', None)
    prepare_train_config(cfg, CONFIG, str(tmp_path / f'acc{counts}'))
    runner = build_runner(cfg)
    runner.train()
    states = runner.optim_wrapper.optimizer.state.values()
    return {int(s['step']) for s in states}, runner.iter


def test_gradient_accumulation_steps_once_per_n_iterations(tmp_path, demo_data_root):
    steps, iters = _adam_steps(demo_data_root, tmp_path, 2)
    assert iters == 4 and steps == {2}  # 4 iterations, one optimizer step per 2
