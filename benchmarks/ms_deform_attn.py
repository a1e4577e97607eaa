#!/usr/bin/env python
"""Time multi-scale deformable attention: dpt's op against mmcv's, at Deformable DETR's shapes.

Batch 2, the 4 levels of an 800x1333 image (strides 8-64: 100x167, 50x84, 25x42, 13x21), 8 heads
of 32 channels, 4 points per level; 300 queries (the decoder) and one query per position, 22,223
(the encoder). Per implementation: the training forward (inputs require grad) and forward +
backward, median of ``--repeats`` after one warm-up; then, in one more pass, the memory the
forward keeps for the backward pass (its output included) and the peak of forward + backward,
both above the inputs.

    python benchmarks/ms_deform_attn.py                       # CPU, and CUDA if present
    python benchmarks/ms_deform_attn.py --device cpu --repeats 5 --markdown --out r.json

CPU: dpt's PyTorch path vs mmcv's ``multi_scale_deformable_attn_pytorch``. CUDA: dpt's kernel vs
mmcv's CUDA kernel and mmcv's PyTorch path. Each (implementation, queries, device) runs in its
own subprocess, so its memory is its own: on CPU the resident set, with every buffer over 1 MB
mapped on its own for the memory pass (``_cpu_memory_tracking``), on CUDA
``memory_allocated`` / ``max_memory_allocated``. CPU times are also given as process CPU time,
which other processes on the machine disturb less than wall time (one thread per process: the
numbers compare implementations, not machines).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEVELS = ((100, 167), (50, 84), (25, 42), (13, 21))  # 800x1333 at strides 8, 16, 32, 64
BATCH, HEADS, CHANNELS, POINTS = 2, 8, 32, 4
IMPLS = {'cpu': ('dpt', 'mmcv-pytorch'), 'cuda': ('dpt', 'mmcv-cuda', 'mmcv-pytorch')}
RESULT_TAG = 'MSDA_RESULT '


def make_inputs(queries, device, levels=LEVELS, seed=0):
    """value, spatial_shapes, level_start_index, sampling_locations, attention_weights.

    Locations as a trained model spreads them: a reference point per query (uniform over the
    image), offsets of a few pixels (normal, sigma 2 px of each level), some of them outside.
    """
    import torch

    g = torch.Generator().manual_seed(seed)
    shapes = torch.tensor(levels, dtype=torch.int64)
    sizes = shapes[:, 0] * shapes[:, 1]
    starts = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    S, L = int(sizes.sum()), len(levels)
    queries = S if queries == 'all' else int(queries)
    value = torch.randn(BATCH, S, HEADS, CHANNELS, generator=g)
    reference = torch.rand(BATCH, queries, 1, 1, 1, 2, generator=g)
    offsets = torch.randn(BATCH, queries, HEADS, L, POINTS, 2, generator=g) * 2
    locations = reference + offsets / shapes.flip(-1).view(1, 1, 1, L, 1, 2)
    weights = torch.randn(BATCH, queries, HEADS, L * POINTS, generator=g).softmax(-1)
    weights = weights.view(BATCH, queries, HEADS, L, POINTS)
    return [t.to(device) for t in (value, shapes, starts, locations, weights)]


def implementation(name):
    """fn(value, shapes, starts, locations, weights) -> (N, Lq, M * D)."""
    if name == 'dpt':
        from dpt.ops import ms_deform_attn

        return ms_deform_attn
    if name == 'mmcv-pytorch':
        from mmcv.ops.multi_scale_deform_attn import multi_scale_deformable_attn_pytorch

        return lambda v, s, i, loc, w: multi_scale_deformable_attn_pytorch(v, s, loc, w)
    if name == 'mmcv-cuda':
        from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction

        return lambda v, s, i, loc, w: MultiScaleDeformableAttnFunction.apply(v, s, i, loc, w, 64)
    raise ValueError(f'unknown implementation {name!r}')


def _rss_mb(field='VmRSS'):
    """Resident (VmRSS) or peak resident (VmHWM) memory of this process, MB."""
    with open('/proc/self/status') as f:
        line = next(ln for ln in f if ln.startswith(field + ':'))
    return int(line.split()[1]) / 1024


# For the memory pass on CPU: every buffer over 1 MB mapped and unmapped on its own, from the
# start of the process. By default glibc keeps freed buffers under 32 MB in its heap (its mmap
# threshold adapts), and the resident set would count memory that PyTorch has freed.
CPU_MEMORY_ENV = dict(MALLOC_MMAP_THRESHOLD_=str(1 << 20))


def measure(impl, queries, device, repeats=3, levels=LEVELS, what=('time', 'memory')):
    """One row: median wall (and CPU) seconds of forward and forward + backward; the memory
    kept from the forward to the backward pass (output included) and the peak, in MB."""
    import torch

    fn = implementation(impl)
    inputs = make_inputs(queries, device, levels)
    value, _, _, locations, weights = inputs
    for t in (value, locations, weights):
        t.requires_grad_(True)
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    row = dict(
        impl=impl,
        device=device,
        queries=int(locations.shape[1]),
        levels=[list(lv) for lv in levels],
        repeats=repeats,
    )

    def step(backward):
        out = fn(*inputs)
        if backward:
            out.backward(torch.ones_like(out))
        sync()
        for t in (value, locations, weights):
            t.grad = None

    for name, backward in (('fwd', False), ('fwd_bwd', True)):
        if 'time' not in what:
            break
        walls, cpus = [], []
        for i in range(repeats + 1):  # the first is a warm-up
            sync()
            w0, c0 = time.perf_counter(), time.process_time()
            step(backward)
            if i:
                walls.append(time.perf_counter() - w0)
                cpus.append(time.process_time() - c0)
        row[f'{name}_s'] = statistics.median(walls)
        row[f'{name}_cpu_s'] = statistics.median(cpus)
    if 'memory' not in what:
        return row

    if 'time' not in what:
        step(True)  # warm-up: lazily allocated workspaces are not the op's memory
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        used = lambda: (torch.cuda.memory_allocated() - base) / 2**20  # noqa: E731
        peak = lambda: (torch.cuda.max_memory_allocated() - base) / 2**20  # noqa: E731
    else:
        with open('/proc/self/clear_refs', 'w') as f:  # restarts VmHWM (Linux >= 4.0)
            f.write('5')
        base = _rss_mb()
        used = lambda: _rss_mb() - base  # noqa: E731
        peak = lambda: _rss_mb('VmHWM') - base  # noqa: E731
    out = fn(*inputs)
    sync()
    row['kept_mb'] = used()  # what the autograd graph holds for the backward pass
    out.backward(torch.ones_like(out))
    sync()
    row['peak_mb'] = peak()
    return row


def _child(impl, queries, device, repeats, levels, what, env, timeout):
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        '--one',
        impl,
        str(queries),
        device,
        '--repeats',
        str(repeats),
        '--levels',
        ','.join(f'{h}x{w}' for h, w in levels),
        '--what',
        *what,
    ]
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ, **env),
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return dict(error=f'timeout {timeout} s')
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    err = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
    return dict(error=err[-1] if err else f'exit status {proc.returncode}')


def run_one(impl, queries, device, repeats, levels=LEVELS, timeout=1800):
    """``measure`` in fresh subprocesses (on CPU one for the times, with the allocator as the
    caller set it, and one for the memory, with ``CPU_MEMORY_ENV``); a failure becomes a row."""
    threads = dict(OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
    if device == 'cuda':
        parts = [
            _child(impl, queries, device, repeats, levels, ('time', 'memory'), threads, timeout)
        ]
    else:
        parts = [
            _child(impl, queries, device, repeats, levels, ('time',), threads, timeout),
            _child(
                impl,
                queries,
                device,
                repeats,
                levels,
                ('memory',),
                dict(threads, **CPU_MEMORY_ENV),
                timeout,
            ),
        ]
    row = dict(impl=impl, device=device, queries=queries)
    for part in parts:
        row.update(part)
    return row


def format_table(rows, markdown=False):
    """One line per (device, queries, pass): each implementation's time and memory, and the
    others' as multiples of dpt's (on CPU the ratio of CPU times, which other processes
    disturb less than wall times). Memory: on the forward line what the forward keeps for the
    backward pass (its output included), on the forward + backward line the peak."""
    groups = {}
    for r in rows:
        groups.setdefault((r['device'], r['queries']), {})[r['impl']] = r
    impls = [i for i in ('dpt', 'mmcv-cuda', 'mmcv-pytorch') if any(r['impl'] == i for r in rows)]
    head = ['device', 'queries', 'pass']
    for i in impls:
        head += [f'{i} ms', f'{i} MB']
    head += [f'{i} / dpt: time, MB' for i in impls if i != 'dpt']
    lines = [head]
    for (device, queries), by_impl in groups.items():
        for name, mem in (('fwd', 'kept_mb'), ('fwd_bwd', 'peak_mb')):
            line = [device, str(queries), 'fwd (kept)' if name == 'fwd' else 'fwd+bwd (peak)']
            for i in impls:
                r = by_impl.get(i)
                if r is None or 'error' in r:
                    line += ['FAILED' if r else '-', r['error'][:40] if r else '-']
                    continue
                ms = f"{1000 * r[f'{name}_s']:.0f}"
                if device == 'cpu':
                    ms += f" (cpu {1000 * r[f'{name}_cpu_s']:.0f})"
                line += [ms, f'{r[mem]:.0f}']
            dpt = by_impl.get('dpt')
            for i in impls[1:] if impls and impls[0] == 'dpt' else []:
                r = by_impl.get(i)
                if not dpt or not r or 'error' in dpt or 'error' in r:
                    line.append('-')
                    continue
                key = f'{name}_cpu_s' if device == 'cpu' else f'{name}_s'  # see the docstring
                t = r[key] / dpt[key]
                m = r[mem] / max(dpt[mem], 1.0)
                line.append(f'{t:.1f}x, {m:.1f}x')
            lines.append(line)
    if markdown:
        out = ['| ' + ' | '.join(lines[0]) + ' |', '|' + '---|' * len(lines[0])]
        return '\n'.join(out + ['| ' + ' | '.join(ln) + ' |' for ln in lines[1:]])
    widths = [max(len(ln[i]) for ln in lines) for i in range(len(lines[0]))]
    return '\n'.join('  '.join(c.ljust(w) for c, w in zip(ln, widths)) for ln in lines)


def machine():
    import torch

    cpu = next(
        (
            ln.split(':', 1)[1].strip()
            for ln in open('/proc/cpuinfo')
            if ln.startswith('model name')
        ),
        platform.processor(),
    )
    info = dict(
        date=time.strftime('%Y-%m-%d'),
        cpu=cpu,
        cores=os.cpu_count(),
        omp_threads=os.environ.get('OMP_NUM_THREADS', '1'),
        torch=torch.__version__,
        load_avg=os.getloadavg(),
    )
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name()
    return info


def parse_levels(text):
    return tuple(tuple(int(v) for v in lv.split('x')) for lv in text.split(','))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--device', choices=['cpu', 'cuda', 'all'], default='all')
    p.add_argument(
        '--queries',
        nargs='+',
        default=['300', 'all'],
        help="query counts; 'all' = one per position (the encoder)",
    )
    p.add_argument('--impls', nargs='+', help='only these implementations')
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument(
        '--levels',
        default=','.join(f'{h}x{w}' for h, w in LEVELS),
        help='HxW of each level (default: an 800x1333 image)',
    )
    p.add_argument('--markdown', action='store_true')
    p.add_argument('--out', help='write machine info and rows as JSON (atomically)')
    p.add_argument('--one', nargs=3, metavar=('IMPL', 'QUERIES', 'DEVICE'), help=argparse.SUPPRESS)
    p.add_argument('--what', nargs='+', default=['time', 'memory'], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    levels = parse_levels(args.levels)
    if args.one:
        impl, queries, device = args.one
        row = measure(impl, queries, device, args.repeats, levels, tuple(args.what))
        print(RESULT_TAG + json.dumps(row))
        return 0

    import torch

    devices = ['cpu', 'cuda'] if args.device == 'all' else [args.device]
    if 'cuda' in devices and not torch.cuda.is_available():
        print('no CUDA device: CUDA rows skipped')
        devices.remove('cuda')
    info = machine()
    print(json.dumps(info))
    rows = []
    for device in devices:
        for queries in args.queries:
            for impl in IMPLS[device]:
                if args.impls and impl not in args.impls:
                    continue
                row = run_one(impl, queries, device, args.repeats, levels)
                rows.append(row)
                print(json.dumps(row), flush=True)
                if args.out:
                    sys.path.insert(0, ROOT)
                    from dpt.engine.fileio import atomic_write_bytes

                    atomic_write_bytes(
                        json.dumps(dict(machine=info, rows=rows), indent=1).encode(), args.out
                    )
    print(format_table(rows, markdown=args.markdown))
    return 1 if any('error' in r for r in rows) else 0


if __name__ == '__main__':
    sys.exit(main())
