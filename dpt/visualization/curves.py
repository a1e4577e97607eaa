"""Training curves from mmengine's ``vis_data/scalars.json`` (one JSON record a line: the
training records carry ``iter`` / ``step`` = iteration, the validation records the metrics
with ``step`` = epoch in epoch-based training), as mmdet's
``tools/analysis_tools/analyze_logs.py plot_curve`` draws its json logs: a metric
(``coco/bbox_mAP``) against the epoch, anything else (``loss``) against the iteration.
"""

import glob
import json
import os.path as osp

from ..utils.errors import ConfigError, DataError

SCALARS = 'scalars.json'


def scalar_files(run):
    """The scalars.json files of a run: ``run`` itself if it is a file, else those of its
    ``<timestamp>/vis_data/`` folders (one per start of a resumed run), oldest first."""
    if osp.isfile(run):
        return [run]
    if not osp.isdir(run):
        raise DataError(f'{run}: neither a run folder nor a scalars.json file')
    files = sorted(
        glob.glob(osp.join(run, '*', 'vis_data', SCALARS))
        + glob.glob(osp.join(run, 'vis_data', SCALARS))
    )
    if not files:
        raise DataError(
            f'{run}: no */vis_data/{SCALARS} in this folder (is it a work dir of tools/train.py?)'
        )
    return files


def read_scalars(run):
    """[(record dict)] of a run, in order; a line that is not JSON is a DataError."""
    records = []
    for path in scalar_files(run):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise DataError(f'{path}: line {n} is not JSON ({e})') from None
    return records


def is_metric(key):
    return '/' in key or 'mAP' in key or key.startswith('AR')


def series(records, key):
    """(xs, ys, x name) of ``key``: metrics by epoch (the validation records' ``step``),
    training values by iteration. When a resumed run repeats steps, the last value wins."""
    points = {}
    metric = is_metric(key)
    for r in records:
        if key not in r:
            continue
        x = r.get('step') if metric else r.get('iter', r.get('step'))
        if x is not None:
            points[x] = r[key]
    xs = sorted(points)
    return xs, [points[x] for x in xs], ('epoch' if metric else 'iter')


def plot_curves(runs, keys, out, legend=None, title=None):
    """One subplot per key, one line per run; saved to ``out`` (PNG, Agg backend).
    ``legend``: one name per run (or, as mmdet's, one per run and key); default the run
    paths. Returns {(run, key): (xs, ys)}."""
    import matplotlib

    matplotlib.use('Agg')
    from matplotlib import pyplot as plt

    if legend and len(legend) not in (len(runs), len(runs) * len(keys)):
        raise ConfigError(
            f'legend=: {len(legend)} names for {len(runs)} run(s) and '
            f'{len(keys)} key(s); give one per run (or one per run and key)'
        )
    fig, axes = plt.subplots(len(keys), 1, figsize=(6, 2.6 * len(keys)), squeeze=False, dpi=80)
    drawn = {}
    for i, run in enumerate(runs):
        records = read_scalars(run)
        for j, key in enumerate(keys):
            xs, ys, xname = series(records, key)
            if not xs:
                known = sorted({k for r in records for k in r} - {'step', 'iter', 'epoch'})
                raise DataError(f'{run}: no {key!r} in its scalars (it has: {", ".join(known)})')
            if legend and len(legend) == len(runs) * len(keys):
                name = legend[i * len(keys) + j]
            else:
                name = legend[i] if legend else run
            ax = axes[j][0]
            ax.plot(
                xs,
                ys,
                label=name,
                marker='o' if xname == 'epoch' else None,
                linewidth=1 if xname == 'iter' else 1.5,
            )
            ax.set_xlabel(xname)
            ax.set_ylabel(key)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
            drawn[(run, key)] = (xs, ys)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return drawn
