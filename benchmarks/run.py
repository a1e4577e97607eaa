#!/usr/bin/env python
"""Time one training step of each baseline detector in configs/baselines/.

For every pair (tiny config ``*tiny_demo.py``, full COCO config its ``_base_`` names) it
measures forward + backward + optimizer step on a synthetic batch of 2 images:
160x160 with the tiny config, 800x1333 with the full one; on CPU, and on CUDA if present.
Each (model, size, device) runs in a fresh subprocess (``--one``), so its peak memory is
its own; a failure or timeout becomes a row with the error instead of stopping the run.

    python benchmarks/run.py                          # everything, CPU (+ CUDA if available)
    python benchmarks/run.py --models faster-rcnn detr --sizes tiny --markdown --out r.json
"""

import argparse
import ast
import contextlib
import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINES = os.path.join(ROOT, 'configs', 'baselines')
SIZES = {
    'tiny': (160, 160),
    'full': (800, 1333),  # (height, width)
    'low': (448, 448),
}  # direct pre-training's crops (benchmarks/direct_pretraining.py)
BASELINE_SIZES = ['tiny', 'full']
BATCH = 2
DEFAULT_STEPS = {'tiny': 3, 'full': 1, 'low': 2}
MALLOC_ENV = {'MALLOC_MMAP_THRESHOLD_': '17179869184', 'MALLOC_TRIM_THRESHOLD_': '17179869184'}
RESULT_TAG = 'BENCH_RESULT '
BUSY_LIMIT = 0.15  # cores used by other processes during a CPU row that make it invalid


# ----------------------------------------------------------------------------- configs
def config_bases(path):
    """The ``_base_`` entries of a config file, read without executing it."""
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, 'id', None) == '_base_' for t in node.targets
        ):
            bases = ast.literal_eval(node.value)
            return [bases] if isinstance(bases, str) else list(bases)
    return []


def find_pairs(config_dir=BASELINES):
    """[(name, tiny_config, full_config)]: each tiny config and the full config it inherits."""
    pairs = []
    for tiny in sorted(glob.glob(os.path.join(config_dir, '*tiny_demo.py'))):
        fulls = [
            f
            for f in (
                os.path.normpath(os.path.join(config_dir, b))
                for b in config_bases(tiny)
                if not b.startswith('mmdet::')
            )
            if os.path.dirname(f) == os.path.normpath(config_dir)
        ]
        name = os.path.basename(tiny)[: -len('tiny_demo.py')].rstrip('_-')  # mask-rcnn_swin
        pairs.append((name, tiny, fulls[0] if fulls else None))
    return pairs


def _walk(obj):
    """Every dict inside a nested config (dicts and lists)."""
    if isinstance(obj, dict):
        yield obj
        obj = list(obj.values())
    if isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _walk(item)


def find_key(cfg, key):
    """The first value of ``key`` anywhere in a nested config, or None."""
    return next((d[key] for d in _walk(cfg) if key in d), None)


# ----------------------------------------------------------------------------- measuring
def build(config, device):
    """(model, optim_wrapper, cfg) from a config, with no pretrained-weight downloads."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    register_all_modules()
    import dpt  # noqa: F401  (registers dpt's modules)

    cfg = Config.fromfile(config)
    for d in _walk(cfg.model):
        if 'init_cfg' in d:  # never load a checkpoint; init_weights is not called either
            d['init_cfg'] = None
    model = MODELS.build(cfg.model).to(device).train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper), cfg


def make_batch(cfg, size, device, batch=BATCH):
    """A synthetic batch of ``batch`` images of ``size``, masks included for mask models."""
    from mmdet.testing import demo_mm_inputs

    h, w = SIZES[size]
    return demo_mm_inputs(
        batch_size=batch,
        image_shapes=(3, h, w),
        num_classes=find_key(cfg.model, 'num_classes') or 80,
        with_mask=find_key(cfg.model, 'mask_head') is not None,
        device=device,
    )


def rss_bytes(field='VmRSS'):
    """Resident memory of this process now (VmRSS) or at its peak (VmHWM). The peak is
    getrusage's ru_maxrss, except that ru_maxrss also counts the parent's peak at spawn."""
    line = next(ln for ln in open('/proc/self/status') if ln.startswith(field + ':'))
    return int(line.split()[1]) * 1024


def reset_peak_rss():
    """Restart this process's peak (VmHWM) from now; if the kernel can't, it covers the build."""
    with contextlib.suppress(OSError), open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def time_steps(model, optim_wrapper, data, steps, device):
    """Seconds of each of 1 warm-up + ``steps`` training steps."""
    import copy

    import torch

    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    times = []
    for _ in range(steps + 1):
        batch = copy.deepcopy(data)  # the data preprocessor annotates the samples
        sync()
        start = time.perf_counter()
        model.train_step(batch, optim_wrapper)
        sync()
        times.append(time.perf_counter() - start)
    return times


def measure(config, size, device, steps, batch=BATCH):
    """One row: images/s (median step) and peak memory of ``steps`` steps after a warm-up."""
    import torch

    model, optim_wrapper, cfg = build(config, device)
    data = make_batch(cfg, size, device, batch)
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    reset_peak_rss()
    before = rss_bytes()
    times = time_steps(model, optim_wrapper, data, steps, device)
    if device == 'cuda':
        peak = torch.cuda.max_memory_allocated()
    else:  # what the steps added to this process's resident memory, at their peak
        peak = rss_bytes('VmHWM') - before
    step = statistics.median(times[1:])
    return dict(
        images_per_s=batch / step,
        step_s=step,
        warmup_s=times[0],
        steps=steps,
        peak_mb=peak / 2**20,
        batch=batch,
        image_hw=list(SIZES[size]),
    )


def run_one(name, config, size, device, steps, timeout=900, malloc_tuning=True, batch=BATCH):
    """``measure`` in a fresh subprocess; a failure becomes a row with ``error``."""
    row = dict(model=name, size=size, device=device, config=os.path.relpath(config, ROOT))
    env = child_env(malloc_tuning)
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        '--one',
        config,
        '--sizes',
        size,
        '--device',
        device,
        '--steps',
        str(steps),
        '--batch',
        str(batch),
    ]
    start, (busy, ours) = time.time(), cpu_seconds()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_TAG)]
        if proc.returncode == 0 and lines:
            row.update(json.loads(lines[-1][len(RESULT_TAG) :]))
        else:
            err = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()] or ['no output']
            row['error'] = f'exit {proc.returncode}: {err[-1].strip()[:120]}'
    except subprocess.TimeoutExpired:
        row['error'] = f'timeout after {timeout} s'
    wall, (busy_end, ours_end) = time.time() - start, cpu_seconds()
    others = (busy_end - busy) - (ours_end - ours)  # CPU time of processes not ours
    row.update(wall_s=round(wall, 1), others_cores=round(max(0.0, others) / wall, 2))
    return row


def cpu_seconds():
    """(CPU seconds the machine has been busy since boot, those of our ended children)."""
    ticks = [int(x) for x in open('/proc/stat').readline().split()[1:9]]  # user .. steal
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf('SC_CLK_TCK'),  # less idle, iowait
        usage.ru_utime + usage.ru_stime,
    )


def child_env(malloc_tuning=True):
    """The environment of a child: dpt importable, glibc keeping its big buffers."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get('PYTHONPATH')) if p)
    )
    return dict(env, **MALLOC_ENV) if malloc_tuning else env


# ----------------------------------------------------------------------------- reporting
def machine_info():
    """CPU, cores, torch threads, GPU and library versions (run in a subprocess by main)."""
    import mmcv
    import mmdet
    import torch

    cpu = next(
        (
            ln.split(':', 1)[1].strip()
            for ln in open('/proc/cpuinfo')
            if ln.startswith('model name')
        ),
        'unknown',
    )
    cuda = torch.cuda.is_available()
    return dict(
        cpu=cpu,
        cores=os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        gpu=torch.cuda.get_device_name(0) if cuda else None,
        cuda=cuda,
        torch=torch.__version__,
        mmcv=mmcv.__version__,
        mmdet=mmdet.__version__,
    )


def format_row(r):
    if 'error' in r:
        return [r['model'], r['size'], r['device'], 'FAILED', '-', '-', r['error']]
    # Other processes on the CPU stall torch's threads at every op: such a row is not valid.
    note = (
        f"other processes used {r['others_cores']:.1f} cores: timing not valid"
        if r['device'] == 'cpu' and r.get('others_cores', 0) > BUSY_LIMIT
        else ''
    )
    return [
        r['model'],
        r['size'],
        r['device'],
        f"{r['images_per_s']:.3g}",
        f"{r['step_s']:.3f}",
        f"{r['peak_mb']:.0f}",
        note,
    ]


def format_table(rows, markdown=False):
    head = ['model', 'size', 'device', 'images/s', 'step s', 'peak MB', 'note']
    body = [format_row(r) for r in rows]
    if not any(b[-1] for b in body):
        head, body = head[:-1], [b[:-1] for b in body]
    if markdown:
        lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
        return '\n'.join(lines + ['| ' + ' | '.join(b) + ' |' for b in body])
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    fmt = lambda cells: '  '.join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa
    return '\n'.join([fmt(head), fmt(['-' * w for w in widths])] + [fmt(b) for b in body])


def write_json(path, obj):
    """Write ``obj`` to ``path`` atomically (temp file in the same folder, then rename)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.bench-', suffix='.json')
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(obj, f, indent=2)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--models', nargs='+', help='keep models whose name contains one of these')
    p.add_argument('--sizes', nargs='+', choices=list(SIZES), default=BASELINE_SIZES)
    p.add_argument(
        '--device',
        choices=['cpu', 'cuda', 'all'],
        default='all',
        help='all = cpu, and cuda when available',
    )
    p.add_argument(
        '--steps', type=int, help='timed steps after the warm-up (default: 3 tiny, 1 full)'
    )
    p.add_argument('--timeout', type=int, default=900, help='seconds per measurement')
    p.add_argument('--out', help='write the rows and machine info to this JSON file')
    p.add_argument('--markdown', action='store_true', help='print a markdown table')
    p.add_argument(
        '--no-malloc-tuning',
        action='store_true',
        help="don't set MALLOC_MMAP/TRIM_THRESHOLD_ in the children",
    )
    p.add_argument('--one', metavar='CONFIG', help=argparse.SUPPRESS)
    p.add_argument('--batch', type=int, default=BATCH, help=argparse.SUPPRESS)
    p.add_argument('--info', action='store_true', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.steps is not None and args.steps < 1:
        p.error('--steps must be at least 1')

    if args.info or args.one:  # child processes: print one JSON line
        out = (
            machine_info()
            if args.info
            else measure(
                args.one,
                args.sizes[0],
                args.device,
                args.steps or DEFAULT_STEPS[args.sizes[0]],
                args.batch,
            )
        )
        print(RESULT_TAG + json.dumps(out), flush=True)
        return 0

    # The parent stays free of torch: asking a child keeps every child's memory its own.
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), '--info'],
        capture_output=True,
        text=True,
        env=child_env(),
    )
    if RESULT_TAG not in proc.stdout:
        sys.exit(f'cannot import torch/mmcv/mmdet:\n{proc.stderr}')
    info = json.loads(proc.stdout.split(RESULT_TAG)[-1])
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, torch threads "
        f"{info['torch_threads']}, GPU: {info['gpu'] or 'none'}"
    )
    print(
        f"torch {info['torch']}, mmcv {info['mmcv']}, mmdet {info['mmdet']}; "
        f"malloc tuning {'off' if args.no_malloc_tuning else 'on'}",
        flush=True,
    )
    devices = {
        'cpu': ['cpu'],
        'cuda': ['cuda'],
        'all': ['cpu'] + (['cuda'] if info['cuda'] else []),
    }[args.device]
    pairs = [pr for pr in find_pairs() if not args.models or any(m in pr[0] for m in args.models)]
    jobs = [
        (name, tiny if size == 'tiny' else full, size, device)
        for name, tiny, full in pairs
        for size in args.sizes
        for device in devices
    ]
    rows = []
    for i, (name, config, size, device) in enumerate(jobs, 1):
        if config is None:
            row = dict(model=name, size=size, device=device, error='no full config', wall_s=0)
        else:
            row = run_one(
                name,
                config,
                size,
                device,
                args.steps or DEFAULT_STEPS[size],
                args.timeout,
                not args.no_malloc_tuning,
            )
        rows.append(row)
        result = row.get('error') or (
            f"{row['images_per_s']:.3g} img/s, {row['step_s']:.3f} s/step, {row['peak_mb']:.0f} MB"
        )
        print(
            f"[{i}/{len(jobs)}] {name} {size} {device}: {result} ({row['wall_s']} s) "
            f'{format_row(row)[-1] if "error" not in row else ""}'.rstrip(),
            flush=True,
        )
        if args.out:  # rewritten after every row, so a long run leaves partial results
            write_json(
                args.out,
                dict(
                    machine=info,
                    date=time.strftime('%Y-%m-%d %H:%M'),
                    malloc_tuning=not args.no_malloc_tuning,
                    rows=rows,
                ),
            )
    print()
    print(format_table(rows, args.markdown))
    return 1 if any('error' in r for r in rows) else 0


if __name__ == '__main__':
    sys.exit(main())
