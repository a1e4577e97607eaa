"""The proposal clustering job for AlignDet's DETR on the demo data (output file, resuming,
settings check) and the tool's errors."""

import importlib.util
import json
import os
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = dict(depth=18, base_channels=16, short_side=160, pca_dims=16, num_clusters=4)


def _tool():
    spec = importlib.util.spec_from_file_location(
        'cluster_proposals', osp.join(ROOT, 'tools', 'misc', 'cluster_proposals.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _job(proposal_file, demo_data_root, out, **kwargs):
    from dpt.clustering import ClusterJob, ClusterSettings

    settings = ClusterSettings(**dict(TINY, **kwargs))
    return ClusterJob(
        proposal_file, osp.join(demo_data_root, 'train'), str(out), settings, device='cpu'
    )


def test_tool_on_demo_data(proposal_file, demo_data_root, tmp_path, capsys):
    cluster_tool = _tool()
    out = tmp_path / 'clustered.json'
    cluster_tool.main(
        [
            proposal_file,
            osp.join(demo_data_root, 'train'),
            '--out',
            str(out),
            '--random-init',
            '--depth',
            '18',
            '--base-channels',
            '16',
            '--clusters',
            '4',
            '--pca-dims',
            '16',
            '--short-side',
            '160',
            '--device',
            'cpu',
        ]
    )
    printed = capsys.readouterr().out
    assert f'wrote {out}' in printed and 'in 4 clusters' in printed

    with open(proposal_file) as f:
        src = json.load(f)
    with open(out) as f:
        data = json.load(f)
    assert data['categories'] == [
        dict(id=i, name=f'cluster_{i}', supercategory='cluster') for i in range(1, 5)
    ]
    assert data['images'] == src['images']
    # the same proposals in the same order; only their category changes
    drop = ('category_id',)
    assert [{k: v for k, v in a.items() if k not in drop} for a in data['annotations']] == [
        {k: v for k, v in a.items() if k not in drop} for a in src['annotations']
    ]
    assert {a['category_id'] for a in data['annotations']} == {1, 2, 3, 4}
    assert data['info']['clustering']['num_clusters'] == 4
    assert not osp.exists(str(out) + '.parts')  # the work folder goes once the file is out

    # mmdet reads it with the cluster classes
    from mmdet.datasets import CocoDataset

    ds = CocoDataset(
        ann_file=str(out),
        data_root=demo_data_root,
        data_prefix=dict(img='train/'),
        metainfo=dict(classes=[f'cluster_{i}' for i in range(1, 5)]),
        pipeline=[],
        filter_cfg=dict(filter_empty_gt=False),
    )
    labels = {inst['bbox_label'] for i in range(len(ds)) for inst in ds[i]['instances']}
    assert labels == {0, 1, 2, 3}


def test_job_resumes_and_checks_its_settings(proposal_file, demo_data_root, tmp_path):
    from dpt.utils.errors import ConfigError

    whole = _job(proposal_file, demo_data_root, tmp_path / 'whole.json', chunk_images=4)
    for _ in whole.fit_pca():
        pass
    for _ in whole.extract():
        pass
    expected = whole.finish()

    out = tmp_path / 'resumed.json'
    job = _job(proposal_file, demo_data_root, out, chunk_images=4)
    for _ in job.fit_pca():
        pass
    steps = job.extract()
    for _ in range(6):  # killed in the second chunk: the first is kept
        next(steps)
    steps.close()
    assert sorted(os.listdir(str(out) + '.parts')) == [
        'features_00000.pt',
        'pca.pt',
        'settings.json',
    ]
    with pytest.raises(ConfigError, match='left by a run with other settings'):
        _job(proposal_file, demo_data_root, out, chunk_images=4, roi_size=5)
    job = _job(proposal_file, demo_data_root, out, chunk_images=4)
    assert job.has_pca and job.done_images() == 4
    assert len(list(job.fit_pca())) == 0 and len(list(job.extract())) == 12
    summary = job.finish()
    assert summary['proposals'] == expected['proposals']
    with open(out) as f, open(tmp_path / 'whole.json') as g:
        assert [a['category_id'] for a in json.load(f)['annotations']] == [
            a['category_id'] for a in json.load(g)['annotations']
        ]


def test_tool_errors_are_one_line(proposal_file, demo_data_root, tmp_path, capsys):
    cluster_tool = _tool()
    bad = tmp_path / 'bad.json'
    bad.write_text(
        json.dumps(
            dict(
                images=[dict(id=1, file_name='a.png')],
                annotations=[dict(id=7, image_id=2, bbox=[0, 0, 9, 9])],
            )
        )
    )
    with pytest.raises(SystemExit) as exit_info:
        cluster_tool.main([str(bad), demo_data_root, '--random-init'])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"cluster_proposals: error: {bad}: annotation 7 names image id 2, which is not in 'images'"
    )
