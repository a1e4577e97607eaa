"""The low-data protocol's bookkeeping: the folds' annotation files, the runs' names and the
mean and standard deviation of their metrics. AlignDet's COCO 1 / 5 / 10 % numbers are means
over 5 folds (AlignDet GitHub issue 21); the folds are those of
``tools/misc/make_semi_splits.py`` (``instances_train2017.{fold}@{percent}.json``). The
protocol itself (training and testing every fold as a tool subprocess) is
``tools/analysis_tools/low_data_protocol.py``.
"""

import math
import re

SPLIT_RE = re.compile(r'\.\d+@[\d.]+\.json$')


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
    keys = [
        k
        for k, v in results[0].items()
        if isinstance(v, (int, float)) and ('mAP' in k or '/AR' in k)
    ]
    out = {}
    for k in keys:
        values = [r[k] for r in results if isinstance(r.get(k), (int, float)) and r[k] >= 0]
        if not values:
            out[k] = dict(mean=None, std=None, n=0)
            continue
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
        out[k] = dict(mean=mean, std=math.sqrt(var), n=len(values))
    return out


def format_summary(summary, runs):
    """Markdown table: metric | mean ± std (AP in %) | runs."""
    lines = [
        f'{len(runs)} runs: {", ".join(runs)}',
        '',
        '| metric | mean ± std | runs |',
        '| --- | ---: | ---: |',
    ]
    for k, s in summary.items():
        value = 'n/a' if s['mean'] is None else f"{100 * s['mean']:.2f} ± {100 * s['std']:.2f}"
        lines.append(f'| {k} | {value} | {s["n"]} |')
    return '\n'.join(lines)
