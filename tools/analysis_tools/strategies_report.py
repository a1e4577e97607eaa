"""Statistics, tables, plot and page of tools/analysis_tools/compare_strategies.py.

Each result is one arm of one strategy at one seed, a dict::

    dict(strategy='AlignDet', arm='ImageNet -> fine-tune', seed=0,
         metrics={'coco/bbox_mAP': 0.12, ...}, curve=[[epoch, bbox_mAP], ...],
         images=12345, seconds=456.7)

``images`` are the training images the arm's stages went through (epochs x images of every
stage: pre-training and fine-tuning), ``seconds`` their wall-clock. Arms are compared per
strategy, seed by seed (the paired difference: the same seed gives both arms the same
fine-tune data order and head init).

A tool module, not part of the dpt package: compare_strategies.py imports it as ``from
strategies_report import ...``.
"""

import math
import os.path as osp
import statistics
from collections import OrderedDict

AP = 'coco/bbox_mAP'
AP50 = 'coco/bbox_mAP_50'


def mean_std(values):
    """(mean, sample standard deviation; nan for fewer than 2 values)."""
    values = list(values)
    if not values:
        return float('nan'), float('nan')
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else float('nan'))


def t_interval(values, level=0.95):
    """Half-width of the Student-t confidence interval of the mean (nan below 2 values)."""
    values = list(values)
    if len(values) < 2:
        return float('nan')
    from scipy.stats import t

    return (
        t.ppf(0.5 + level / 2, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    )


def arm_stats(results):
    """{(strategy, arm): dict(n, seeds, ap, ap_std, ap50, ap50_std, images, seconds)} in
    the order the results come."""
    groups = OrderedDict()
    for r in results:
        groups.setdefault((r['strategy'], r['arm']), []).append(r)
    out = OrderedDict()
    for key, rows in groups.items():
        ap, ap_std = mean_std(r['metrics'][AP] for r in rows)
        ap50, ap50_std = mean_std(r['metrics'].get(AP50, float('nan')) for r in rows)
        out[key] = dict(
            n=len(rows),
            seeds=sorted(r['seed'] for r in rows),
            ap=ap,
            ap_std=ap_std,
            ap50=ap50,
            ap50_std=ap50_std,
            images=statistics.fmean(r['images'] for r in rows),
            seconds=statistics.fmean(r['seconds'] for r in rows),
        )
    return out


def paired_differences(results, comparisons):
    """For each ``(strategy, arm, baseline arm)`` of ``comparisons``: the per-seed AP
    differences arm - baseline over the seeds both have, with mean, std, the 95 % t interval
    and min / max. Comparisons with no common seed are left out."""
    by = {(r['strategy'], r['arm'], r['seed']): r['metrics'][AP] for r in results}
    out = []
    for strategy, arm, base in comparisons:
        seeds = sorted(
            s for (st, a, s) in by if st == strategy and a == arm and (strategy, base, s) in by
        )
        if not seeds:
            continue
        diffs = [by[strategy, arm, s] - by[strategy, base, s] for s in seeds]
        mean, std = mean_std(diffs)
        out.append(
            dict(
                strategy=strategy,
                arm=arm,
                baseline=base,
                seeds=seeds,
                diffs=diffs,
                mean=mean,
                std=std,
                ci95=t_interval(diffs),
                min=min(diffs),
                max=max(diffs),
            )
        )
    return out


def _pct(value, std=None):
    if value != value:  # nan
        return '-'
    text = f'{100 * value:.1f}'
    return text if std is None else (f'{text} ± {100 * std:.1f}' if std == std else text)


def _duration(seconds):
    return f'{seconds / 60:.1f} min'


def arms_table(stats):
    lines = [
        '| strategy | arm | seeds | box AP | box AP50 | images seen | wall time |',
        '| --- | --- | --- | ---: | ---: | ---: | ---: |',
    ]
    for (strategy, arm), s in stats.items():
        lines.append(
            f"| {strategy} | {arm} | {' '.join(map(str, s['seeds']))} | "
            f"{_pct(s['ap'], s['ap_std'])} | {_pct(s['ap50'], s['ap50_std'])} | "
            f"{s['images']:,.0f} | {_duration(s['seconds'])} |"
        )
    return '\n'.join(lines)


def differences_table(diffs):
    lines = [
        '| strategy | arm - baseline | seeds | per seed | mean ± std | 95 % interval | min / max |',
        '| --- | --- | --- | --- | ---: | ---: | ---: |',
    ]
    for d in diffs:
        ci = (
            '-'
            if d['ci95'] != d['ci95']
            else f"[{100 * (d['mean'] - d['ci95']):+.1f}, {100 * (d['mean'] + d['ci95']):+.1f}]"
        )
        per_seed = ', '.join(f'{100 * v:+.1f}' for v in d['diffs'])
        std = f" ± {100 * d['std']:.1f}" if d['std'] == d['std'] else ''
        lines.append(
            f"| {d['strategy']} | {d['arm']} - {d['baseline']} | "
            f"{' '.join(map(str, d['seeds']))} | {per_seed} | "
            f"{100 * d['mean']:+.1f}{std} | {ci} | "
            f"{100 * d['min']:+.1f} / {100 * d['max']:+.1f} |"
        )
    return '\n'.join(lines)


def mean_curve(rows):
    """(epochs, mean AP, std AP) over the seeds' fine-tune curves, at the epochs all have."""
    common = None
    for r in rows:
        epochs = {int(e) for e, _ in r['curve']}
        common = epochs if common is None else common & epochs
    epochs = sorted(common or ())
    values = [[dict((int(e), v) for e, v in r['curve'])[e] for r in rows] for e in epochs]
    stats = [mean_std(v) for v in values]
    return epochs, [m for m, _ in stats], [s if s == s else 0.0 for _, s in stats]


def plot(results, out):
    """AP per arm (mean, error bars: std over seeds, dots: each seed) and the mean
    fine-tune AP curves, one column per strategy; written to ``out`` (PNG)."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    stats = arm_stats(results)
    strategies = list(dict.fromkeys(s for s, _ in stats))
    fig, axes = plt.subplots(2, len(strategies), figsize=(4.2 * len(strategies), 7), squeeze=False)
    for col, strategy in enumerate(strategies):
        arms = [a for s, a in stats if s == strategy]
        top, bottom = axes[0][col], axes[1][col]
        for i, arm in enumerate(arms):
            s = stats[strategy, arm]
            top.bar(
                i,
                100 * s['ap'],
                yerr=100 * (s['ap_std'] if s['ap_std'] == s['ap_std'] else 0),
                capsize=5,
                color=f'C{i}',
                alpha=0.6,
            )
            seeds = [
                100 * r['metrics'][AP]
                for r in results
                if r['strategy'] == strategy and r['arm'] == arm
            ]
            top.plot([i] * len(seeds), seeds, 'k.', ms=6)
            epochs, mean, std = mean_curve(
                [
                    r
                    for r in results
                    if r['strategy'] == strategy and r['arm'] == arm and r.get('curve')
                ]
            )
            if epochs:
                m = [100 * v for v in mean]
                bottom.plot(epochs, m, '-o', color=f'C{i}', label=arm, ms=3)
                bottom.fill_between(
                    epochs,
                    [a - 100 * b for a, b in zip(m, std)],
                    [a + 100 * b for a, b in zip(m, std)],
                    color=f'C{i}',
                    alpha=0.2,
                )
        top.set_xticks(range(len(arms)))
        top.set_xticklabels([a.replace(' -> ', ' ->\n') for a in arms], fontsize=7)
        top.set_title(strategy)
        top.set_ylabel('box AP (%)')
        bottom.set_xlabel('fine-tune epoch')
        bottom.set_ylabel('val box AP (%)')
        bottom.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def page(results, comparisons, notes, picture):
    """The markdown page: what ran (``notes``: command, machine, date, budgets, lines), the
    table per arm, the paired differences and the picture."""
    stats = arm_stats(results)
    diffs = paired_differences(results, comparisons)
    return (
        '\n\n'.join(
            [
                '# Pre-training strategies against their baselines on the demo data',
                notes,
                '## Box AP per arm (mean ± sample std over the seeds)',
                arms_table(stats),
                '## Paired differences (the same seed in both arms; box AP points)',
                differences_table(diffs),
                f'![AP per arm and fine-tune curves]({osp.basename(picture)})',
            ]
        )
        + '\n'
    )
