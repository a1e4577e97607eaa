"""dpt's AlignDet functions against the outputs of liming-ai/AlignDet's own code (d29f70b):
tests/data/parity/aligndet/ (inputs, outputs and how they were made: PROVENANCE.md there)."""

import json
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
FIXTURES = osp.join(ROOT, 'tests', 'data', 'parity', 'aligndet')
# float32 losses: the original's per-pair cross-entropy vs dpt's batched log-sum-exp
LOSS_RTOL = 1e-5


@pytest.fixture(scope='module')
def outputs():
    with open(osp.join(FIXTURES, 'aligndet_outputs.json')) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def arrays():
    return dict(np.load(osp.join(FIXTURES, 'contrastive_loss.npz')))


def _t(a):
    return torch.from_numpy(np.asarray(a))


@pytest.mark.parametrize('case', range(4))
def test_contrastive_loss(arrays, case):
    """AlignDet's ContrastiveLoss(query, key, negatives): one instance (id 0) whose keys are
    `key`; each negative is an entry of another instance."""
    from dpt.models.aligndet import InfoNCELoss

    c = f'c{case}_'
    query, key, neg = (_t(arrays[c + n]) for n in ('query', 'key', 'neg'))
    loss = InfoNCELoss(temperature=float(arrays[c + 'temperature']))(
        query,
        torch.zeros(len(query), dtype=torch.long),
        torch.cat([key, neg]),
        torch.cat([torch.zeros(len(key), dtype=torch.long), torch.arange(1, len(neg) + 1)]),
    )
    assert loss.item() == pytest.approx(float(arrays[c + 'loss']), rel=LOSS_RTOL)


@pytest.mark.parametrize('case', ('keys', 'missing_key', 'extra_key'))
def test_per_instance_loop(arrays, case):
    """AlignDet's loop over the instances of a batch (SelfSupRetinaHead.loss_single_cls, as
    in the R-CNN and DETR heads): label `num_classes` is background (dpt: -1), weight 0 is
    an unsampled position (dpt never gathers it)."""
    from dpt.models.aligndet import InfoNCELoss

    bg = int(arrays['num_classes'])

    def view(name):
        emb, labels = _t(arrays[f'{case}_{name}']), _t(arrays[f'{case}_{name}_labels'])
        keep = _t(arrays[f'{case}_{name}_weights']) > 0
        return emb[keep], torch.where(labels == bg, -1, labels)[keep]

    loss = InfoNCELoss(temperature=0.5)(*view('query'), *view('key'))
    assert loss.item() == pytest.approx(float(arrays[f'{case}_loss']), rel=LOSS_RTOL)
    if case == 'missing_key':  # leaving the key-less instance out is another loss
        skipped = InfoNCELoss(temperature=0.5, missing_keys='skip')(*view('query'), *view('key'))
        assert skipped.item() != pytest.approx(float(arrays[f'{case}_loss']), rel=1e-3)


def test_instance_ids(outputs):
    """Proposal counts of the images of a batch -> instance ids. AlignDet's lines fail when an
    image other than the last has no proposals (``.max()`` of no ids); dpt numbers the
    others as if that image were not there."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from dpt.models.aligndet import BoxDomainPretrainer

    fake = SimpleNamespace(views=('online', 'target'), class_agnostic=True)
    for case in outputs['instance_ids']:
        counts = case['counts']
        views = [
            [
                DetDataSample(
                    gt_instances=InstanceData(
                        bboxes=torch.zeros(c, 4), labels=torch.zeros(c, dtype=torch.long)
                    )
                )
                for c in counts
            ]
            for _ in range(2)
        ]
        BoxDomainPretrainer._assign_instance_ids(fake, *views)
        ids = [s.gt_instances.instance_ids.tolist() for s in views[0]]
        assert ids == [s.gt_instances.instance_ids.tolist() for s in views[1]]
        if 'ids' in case:
            assert ids == case['ids']
        else:
            assert 'max()' in case['error'] and 0 in counts[:-1]
            starts = np.cumsum([0] + counts[:-1])
            assert ids == [list(range(s, s + c)) for s, c in zip(starts, counts)]


def test_momentum_schedule(outputs):
    """MomentumUpdateHook: iteration k of K -> momentum (the same float formula: exact)."""
    from dpt.models.aligndet import TargetMomentumHook, cosine_momentum

    for case in outputs['momentum_schedule']:
        m = cosine_momentum(case['base'], case['iter'], case['max_iters'])
        assert m == case['momentum'], case
        seen = []
        model = SimpleNamespace(momentum=case['base'], update_target=seen.append)
        TargetMomentumHook().after_train_iter(
            SimpleNamespace(model=model, iter=case['iter'], max_iters=case['max_iters']), 0
        )
        assert seen == [case['momentum']]


def test_momentum_update(outputs):
    """SelfSupDetector.momentum_update: EMA of every parameter, DETR's query embedding
    copied. One float32 multiply-add each: within 1e-6."""
    from dpt.models.aligndet import BoxDomainPretrainer

    ema = outputs['momentum_update']

    class Net(nn.Module):
        def __init__(self, state):
            super().__init__()
            self.fc = nn.Linear(3, 2)
            self.query_embedding = nn.Embedding(4, 3)
            self.load_state_dict({k: torch.tensor(v) for k, v in state.items()})

    fake = SimpleNamespace(
        online=Net(ema['online']),
        target=Net(ema['target_before']),
        copied_params=('query_embedding',),
    )
    BoxDomainPretrainer.update_target(fake, ema['momentum'])
    for key, value in fake.target.state_dict().items():
        torch.testing.assert_close(
            value, torch.tensor(ema['target_after'][key]), rtol=0, atol=1e-6, msg=key
        )
    # without the copy the query embedding would be averaged: the test can tell
    fake = SimpleNamespace(
        online=Net(ema['online']), target=Net(ema['target_before']), copied_params=()
    )
    BoxDomainPretrainer.update_target(fake, ema['momentum'])
    assert not torch.allclose(
        fake.target.query_embedding.weight,
        torch.tensor(ema['target_after']['query_embedding.weight']),
    )


def test_weight_extraction(outputs):
    """tools/model_converters/extract_detector_weights.py on the state-dict keys of dpt's
    pre-trainers: dpt keeps exactly what AlignDet's tool keeps, under the same names, except
    DETR's ``fc_embed`` projection (AlignDet's ``projector``), which AlignDet writes and
    fine-tuning then ignores (no such module in DETR) and dpt leaves out."""
    from dpt.weights import extract_detector

    with open(osp.join(FIXTURES, 'extraction_input.json')) as f:
        inputs = json.load(f)
    assert set(inputs) == set(outputs['extraction'])
    for name, keys in inputs.items():
        state = {f'{branch}.{k}': torch.zeros(1) for branch in ('online', 'target') for k in keys}
        kept = list(extract_detector({'state_dict': state}, name).state)
        original = outputs['extraction'][name]
        projector = [k for k in original if k.startswith('bbox_head.fc_embed.')]
        assert bool(projector) == name.startswith('detr')
        assert kept == [k for k in original if k not in projector], name


def test_retinanet_pairing_of_the_original(outputs):
    """The evidence for the documented bug: with 2 images per GPU, AlignDet's RetinaNet pairs
    embeddings (flattened level-major: level 0 of every image, then level 1) with labels
    (flattened image-major), so some anchors are contrasted under another anchor's id."""
    pairs = outputs['retina_pairing']['pairs']
    wrong = [p for p in pairs if p['embedding_of'] != p['label_of']]
    assert len(pairs) == 6 and len(wrong) == 3
    assert wrong[0] == dict(
        embedding_of=dict(image=1, level=0, position=0), label_of=dict(image=0, level=1, position=0)
    )


def _fake_retina_head(maps, labels, embed, ratios, **kwargs):
    """A BoxDomainRetinaHead whose forward gives ``maps`` and whose targets are ``labels``
    (all sampled); run on len(maps[0]) images, returns its embedded InstanceData."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from dpt.models.aligndet import BoxDomainRetinaHead

    head = BoxDomainRetinaHead(
        num_classes=1,
        in_channels=4,
        feat_channels=4,
        stacked_convs=1,
        embed_dims=embed,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=1,
            ratios=ratios,
            strides=[8 * 2**i for i in range(len(maps))],
        ),
        **kwargs,
    )
    weights = [torch.ones_like(lab, dtype=torch.float32) for lab in labels]
    head.forward = lambda x: (maps, [None] * len(maps))
    head.get_anchors = lambda *a, **k: (None, None)
    head.get_targets = lambda *a, **k: (labels, weights, None, None, None)
    samples = [
        DetDataSample(
            gt_instances=InstanceData(
                bboxes=torch.zeros(1, 4),
                labels=torch.zeros(1, dtype=torch.long),
                instance_ids=torch.zeros(1, dtype=torch.long),
            )
        )
        for _ in range(len(maps[0]))
    ]
    return head.loss_and_embed(None, samples, with_loss=False)[1]


def test_retinanet_aligndet_pairing(outputs):
    """``aligndet_pairing=True`` pairs exactly as the original did, on the fixture's example."""
    fixture = outputs['retina_pairing']
    num_imgs, sizes = fixture['num_imgs'], fixture['level_sizes']
    maps, labels = [], []
    for lvl, (h, w) in enumerate(sizes):
        m = torch.zeros(num_imgs, 3, h, w)
        for i in range(num_imgs):
            for p in range(h * w):
                m[i, :, p // w, p % w] = torch.tensor([i, lvl, p], dtype=torch.float32)
        maps.append(m)
        labels.append(
            torch.tensor(
                [[-1 - (100 * i + 10 * lvl + p) for p in range(h * w)] for i in range(num_imgs)]
            )
        )
    embedded = _fake_retina_head(maps, labels, 3, [1.0], aligndet_pairing=True)
    pairs = [
        dict(
            embedding_of=dict(image=int(e[0]), level=int(e[1]), position=int(e[2])),
            label_of=dict(image=c // 100, level=c // 10 % 10, position=c % 10),
        )
        for e, c in zip(embedded.embeddings.tolist(), embedded.instance_ids.tolist())
    ]
    assert pairs == fixture['pairs']
    # dpt's default on the same example: every anchor with its own id
    embedded = _fake_retina_head(maps, labels, 3, [1.0])
    assert all(
        100 * int(e[0]) + 10 * int(e[1]) + int(e[2]) == c
        for e, c in zip(embedded.embeddings.tolist(), embedded.instance_ids.tolist())
    )


def test_retinanet_pairing_of_dpt():
    """dpt's BoxDomainRetinaHead gathers each sampled anchor's embedding with that anchor's
    own instance id, for several images, levels and anchors per position."""
    embed, sizes, num_imgs, anchors = 3, ((2, 3), (1, 2)), 2, 2

    def code(i, lvl, p):
        return 1000 * i + 100 * lvl + p

    maps, labels = [], []
    for lvl, (h, w) in enumerate(sizes):
        m = torch.zeros(num_imgs, anchors * embed, h, w)
        lab = torch.zeros(num_imgs, h * w * anchors, dtype=torch.long)
        for i in range(num_imgs):
            for cell in range(h * w):
                for a in range(anchors):
                    p = cell * anchors + a  # mmdet's prior order: (y, x, anchor)
                    m[i, a * embed : (a + 1) * embed, cell // w, cell % w] = torch.tensor(
                        [i, lvl, p], dtype=torch.float32
                    )
                    lab[i, p] = -1 - code(i, lvl, p)  # dpt's instance-id labels
        maps.append(m)
        labels.append(lab)
    embedded = _fake_retina_head(maps, labels, embed, [0.5, 1.0])
    got = [code(*e.long().tolist()) for e in embedded.embeddings]
    assert len(got) == num_imgs * anchors * sum(h * w for h, w in sizes)
    assert got == embedded.instance_ids.tolist()
