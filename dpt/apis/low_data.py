"""The low-data protocol: one fine-tune config over several labelled folds (and seeds), each
run trained and tested as a :mod:`dpt.apis.stages` stage, and the mean and standard
deviation of their metrics. AlignDet's COCO 1 / 5 / 10 % numbers are means over 5 folds
(AlignDet GitHub issue 21); the folds are those of ``tools/misc/make_semi_splits.py``
(``instances_train2017.{fold}@{percent}.json``).

Runs live in ``WORK_DIR/fold{f}[_seed{s}]/``; one with a ``metrics.json`` is done and is
skipped when the job runs again, an interrupted one resumes from its last checkpoint.
"""
import json
import math
import os.path as osp
import re

from ..datasets.splits import percent_name
from ..engine.fileio import atomic_write_bytes
from ..utils.errors import ConfigError
from .stages import test_stage, train_stage

SPLIT_RE = re.compile(r'\.\d+@[\d.]+\.json$')
METRICS = 'metrics.json'


def split_template(ann_file):
    """'semi_anns/instances_train2017.1@10.json' -> 'semi_anns/instances_train2017.{fold}@
    {percent}.json'; None when the name is not a make_semi_splits.py split."""
    if not SPLIT_RE.search(ann_file or ''):
        return None
    return SPLIT_RE.sub('.{fold}@{percent}.json', ann_file)


def run_name(fold, seed=None):
    return f'fold{fold}' + ('' if seed is None else f'_seed{seed}')


def aggregate(results):
    """{metric: dict(mean, std, n)} over the runs' metric dicts: AP-like floats only; a
    value of -1 (COCO: no object of that size) is left out; ``std`` is the sample standard
    deviation (n - 1), 0 for one run."""
    keys = [k for k, v in results[0].items() if isinstance(v, (int, float))
            and ('mAP' in k or '/AR' in k)]
    out = {}
    for k in keys:
        values = [r[k] for r in results if isinstance(r.get(k), (int, float)) and r[k] >= 0]
        if not values:
            out[k] = dict(mean=None, std=None, n=0)
            continue
        mean = sum(values) / len(values)
        var = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)
               if len(values) > 1 else 0.0)
        out[k] = dict(mean=mean, std=math.sqrt(var), n=len(values))
    return out


def format_summary(summary, runs):
    """Markdown table: metric | mean ± std (AP in %) | runs."""
    lines = [f'{len(runs)} runs: {", ".join(runs)}', '',
             '| metric | mean ± std | runs |', '| --- | ---: | ---: |']
    for k, s in summary.items():
        value = 'n/a' if s['mean'] is None else \
            f"{100 * s['mean']:.2f} ± {100 * s['std']:.2f}"
        lines.append(f'| {k} | {value} | {s["n"]} |')
    return '\n'.join(lines)


def low_data_protocol(config, work_dir, folds=(1, 2, 3, 4, 5), percent=10, seeds=(None, ),
                      ann_template=None, cfg_options=(), metrics=('bbox', )):
    """Fine-tune and test ``config`` on every fold x seed; write WORK_DIR/summary.json and
    summary.md; return (summary, {run name: metrics})."""
    from .launch import load_config
    cfg = load_config(config)
    options = list(cfg_options)
    for opt in options:  # the template may come from an overridden ann_file
        if opt.startswith('train_dataloader.dataset.ann_file='):
            raise ConfigError('--cfg-options train_dataloader.dataset.ann_file: the folds '
                              'choose it; give --ann-file-template instead')
    template = ann_template or split_template(cfg.train_dataloader.dataset.get('ann_file'))
    if not template or '{fold}' not in template:
        ann_file = cfg.train_dataloader.dataset.get('ann_file')
        raise ConfigError(f'{config}: train ann_file {ann_file!r} '
                          'is not a fold split (NAME.{fold}@{percent}.json); give '
                          '--ann-file-template with {fold} and {percent}')
    config = osp.abspath(config)
    results = {}
    for seed in seeds:
        for fold in folds:
            name = run_name(fold, seed)
            run_dir = osp.join(work_dir, name)
            done = osp.join(run_dir, METRICS)
            if osp.isfile(done):
                print(f'\n==== {name}: done already ({done})', flush=True)
                with open(done) as f:
                    results[name] = json.load(f)
                continue
            ann = template.format(fold=fold, percent=percent_name(percent))
            run_options = [*options, f'train_dataloader.dataset.ann_file={ann}']
            if seed is not None:
                run_options.append(f'randomness.seed={seed}')
            record = train_stage(f'{name}: fine-tune on {ann}', config, run_dir, run_options)
            results[name] = test_stage(f'{name}: test', config, record['checkpoint'], run_dir,
                                       metrics, options)
    summary = aggregate(list(results.values()))
    text = format_summary(summary, list(results))
    atomic_write_bytes(json.dumps(dict(config=config, percent=percent, runs=results,
                                       summary=summary), indent=1).encode(),
                       osp.join(work_dir, 'summary.json'))
    atomic_write_bytes((text + '\n').encode(), osp.join(work_dir, 'summary.md'))
    return summary, results
