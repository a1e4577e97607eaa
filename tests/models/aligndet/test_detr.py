"""AlignDet's DETR: one pre-training step of the tiny config on clustered demo proposals,
the matched queries' instance ids, and the hand-over to DETR fine-tuning."""

import math
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from _model_steps import build_model, state_tensors, train_batch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
EMBEDDING = 'bbox_head.fc_embed'


@pytest.fixture(scope='module')
def clustered_file(proposal_file, demo_data_root, tmp_path_factory):
    """The demo proposals in the tiny config's 8 clusters (random tiny backbone)."""
    from dpt.clustering import ClusterSettings, cluster_proposals

    out = tmp_path_factory.mktemp('clusters') / 'train_cluster-id-as-class.json'
    settings = ClusterSettings(
        num_clusters=8, pca_dims=16, depth=18, base_channels=16, short_side=160
    )
    cluster_proposals(proposal_file, osp.join(demo_data_root, 'train'), out, settings, 'cpu')
    return str(out)


@pytest.fixture
def detr_config(tiny_config, clustered_file):
    """The tiny DETR pre-train config on the clustered proposals (labels = cluster ids)."""
    cfg = tiny_config('detr')
    cfg.train_dataloader.dataset.ann_file = clustered_file
    assert cfg.model.class_agnostic is False
    return cfg


def test_pretrain_step(detr_config):
    from mmengine.optim import build_optim_wrapper

    from dpt.models.aligndet import BoxDomainDETR, TargetMomentumHook

    cfg = detr_config
    model = build_model(cfg)
    assert isinstance(model.online, BoxDomainDETR)
    model.train()
    # AlignDet runs the target in train mode: dropout on in its transformer too
    assert model.target.training and not model.target.backbone.training
    assert any(
        isinstance(m, torch.nn.Dropout) and m.training and m.p > 0 for m in model.target.modules()
    )
    assert not model.online.backbone.training
    online0, target0 = state_tensors(model.online), state_tensors(model.target)

    batch = train_batch(cfg)
    labels = [s.gt_instances.labels.clone() for s in batch['data_samples']['online']]
    assert torch.cat(labels).max() > 0  # cluster ids, not one class-agnostic label
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    log_vars = model.train_step(batch, optim_wrapper)

    # DETR's losses on both decoder layers, and the contrastive loss
    assert {
        'loss',
        'loss_contrast',
        'loss_cls',
        'loss_bbox',
        'loss_iou',
        'd0.loss_cls',
        'd0.loss_bbox',
        'd0.loss_iou',
    } <= set(log_vars), log_vars
    for key, value in log_vars.items():
        assert math.isfinite(float(value)), f'{key} = {value}'
    assert log_vars['loss_contrast'] > 0
    # the pre-trainer left the clusters as the classes
    for sample, label in zip(batch['data_samples']['online'], labels):
        assert torch.equal(sample.gt_instances.labels, label)

    online1, target1 = state_tensors(model.online), state_tensors(model.target)
    changed = {k for k in online1 if not torch.equal(online0[k], online1[k])}
    assert not {k for k in changed if k.startswith('backbone.')}, 'backbone changed'
    for part in (
        'neck.',
        'encoder.',
        'decoder.',
        'query_embedding.',
        'bbox_head.fc_cls.',
        'bbox_head.reg_ffn.',
        'bbox_head.fc_reg.',
        EMBEDDING + '.',
    ):
        assert any(k.startswith(part) for k in changed), f'{part} not trained'
    assert all(torch.equal(target0[k], target1[k]) for k in target0), 'target trained'

    TargetMomentumHook().after_train_iter(SimpleNamespace(model=model, iter=0, max_iters=48), 0)
    trained = {n for n, p in model.online.named_parameters() if p.requires_grad}
    assert trained and not any(n.startswith('backbone.') for n in trained)
    for key, value in state_tensors(model.target).items():
        expected = 0.996 * target0[key] + 0.004 * online1[key] if key in trained else target0[key]
        if key.startswith('query_embedding.'):  # copied, as AlignDet's momentum_update
            expected = online1[key]
        torch.testing.assert_close(value, expected, msg=key)

    # target_train_mode=False: the target runs in eval mode (no dropout)
    cfg.model.target_train_mode = False
    model = build_model(cfg)
    model.train()
    assert not model.target.training and model.online.training


def test_queries_tagged_with_matched_proposals(detr_config):
    """Every decoder layer matches each proposal to exactly one query (50 queries, fewer
    proposals); that query carries the proposal's instance id, the others -1."""
    from dpt.utils.errors import ConfigError

    model = build_model(detr_config)
    model.eval()  # no dropout: the same matching twice
    data = model.data_preprocessor(train_batch(detr_config), True)
    inputs, samples = data['inputs']['online'], data['data_samples']['online']
    offset = 0
    for sample in samples:
        n = len(sample.gt_instances)
        sample.gt_instances.instance_ids = torch.arange(offset, offset + n)
        offset += n
    losses, embedded = model.online.loss_and_embed(inputs, samples)
    layers, queries = 2, 50
    assert embedded.embeddings.shape == (layers * len(samples) * queries, 64)
    ids = embedded.instance_ids.view(layers, len(samples), queries)
    for layer in range(layers):
        for i, sample in enumerate(samples):
            matched = ids[layer, i][ids[layer, i] >= 0]
            assert sorted(matched.tolist()) == sample.gt_instances.instance_ids.tolist()
    assert set(losses) >= {'loss_cls', 'loss_bbox', 'loss_iou'}
    with torch.no_grad():
        no_losses, again = model.online.loss_and_embed(inputs, samples, with_loss=False)
    assert no_losses == {} and torch.equal(again.instance_ids, embedded.instance_ids)

    # proposals of more clusters than the head classifies: a config mistake, named
    samples[0].gt_instances.labels[0] = 8
    with pytest.raises(ConfigError, match='cluster 9 but bbox_head.num_classes is 8'):
        model.online.loss_and_embed(inputs, samples)


def test_obj_assigner_tags(detr_config):
    """AlignDet's second matching (obj_assigner, instance ids as labels): each proposal still
    tags exactly one query per layer and image; the assigner sees the instance ids."""
    from dpt.models.aligndet.detr import ALIGNDET_OBJ_ASSIGNER
    from dpt.utils.errors import ConfigError

    detr_config.model.detector.bbox_head.obj_assigner = ALIGNDET_OBJ_ASSIGNER
    data = build_model(detr_config).data_preprocessor(train_batch(detr_config), True)
    inputs, samples = data['inputs']['online'], data['data_samples']['online']
    offset = 0
    for sample in samples:
        n = len(sample.gt_instances)
        sample.gt_instances.instance_ids = torch.arange(offset, offset + n)
        offset += n
    # the ids index the classifier's columns: more proposals than 8 clusters + no-object
    with pytest.raises(ConfigError, match='classifier columns for their ids'):
        build_model(detr_config).online.loss_and_embed(inputs, samples)
    detr_config.model.detector.bbox_head.num_classes = 32
    model = build_model(detr_config)
    model.eval()
    head, seen = model.online.bbox_head, []
    assign = head.obj_assigner.assign
    head.obj_assigner.assign = lambda pred, gt, **kw: (
        seen.append(gt.labels) or assign(pred, gt, **kw)
    )
    _, embedded = model.online.loss_and_embed(inputs, samples)
    assert len(seen) == 2 * len(samples)
    assert torch.equal(seen[1], samples[1].gt_instances.instance_ids)
    ids = embedded.instance_ids.view(2, len(samples), 50)
    for layer in range(2):
        for i, sample in enumerate(samples):
            matched = ids[layer, i][ids[layer, i] >= 0]
            assert sorted(matched.tolist()) == sample.gt_instances.instance_ids.tolist()


def test_head_class_weights():
    """AlignDet's classification loss by default: no class weights (no-object weight 1) and
    bg_cls_weight 0, so the loss is divided by the matched queries; DETR's weighting when
    asked for, the same as mmdet's DETRHead."""
    from mmdet.models.dense_heads import DETRHead

    from dpt.models.aligndet import BoxDomainDETRHead

    head = BoxDomainDETRHead(num_classes=5, embed_dims=32)
    assert head.bg_cls_weight == 0 and head.loss_cls.class_weight is None
    detr_loss = dict(
        type='CrossEntropyLoss',
        bg_cls_weight=0.1,
        use_sigmoid=False,
        loss_weight=1.0,
        class_weight=1.0,
    )
    head = BoxDomainDETRHead(num_classes=5, embed_dims=32, loss_cls=detr_loss)
    plain = DETRHead(num_classes=5, embed_dims=32)
    assert head.bg_cls_weight == plain.bg_cls_weight == 0.1
    assert torch.equal(
        torch.tensor(head.loss_cls.class_weight), torch.as_tensor(plain.loss_cls.class_weight)
    )
    assert [n for n, _ in head.named_children() if n not in dict(plain.named_children())] == [
        'fc_embed'
    ]


def test_coco_recipe():
    """The full DETR pre-train config: AlignDet's effective lr (2e-4 x 16 / 64), its
    unweighted classification loss, and a target in train mode."""
    from mmengine.config import Config

    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'aligndet', 'detr_r50_aligndet-pretrain_50e_coco.py')
    )
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=5e-5, weight_decay=1e-4)
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=0.1, norm_type=2)
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=16)
    assert cfg.train_dataloader.batch_size == 2 and cfg.train_cfg.max_epochs == 50
    assert cfg.model.detector.bbox_head.loss_cls == dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0
    )
    assert cfg.model.get('target_train_mode', True)


def test_extracted_weights_load_into_detr(detr_config, tmp_path):
    """Pre-training checkpoint -> dpt.weights.extract_detector_weights -> the tiny DETR
    baseline: every backbone, neck, transformer and box-branch tensor loads; only the
    cluster classifier and box output layers start afresh."""
    from mmdet.registry import MODELS
    from mmengine.config import Config

    from dpt.utils.state_dict import compare_state_dicts
    from dpt.weights import extract_detector_weights

    model = build_model(detr_config)
    keys = set(model.state_dict())
    online = {k[len('online.') :] for k in keys if k.startswith('online.')}
    assert online == {k[len('target.') :] for k in keys if k.startswith('target.')}
    assert {k for k in online if k.startswith(EMBEDDING + '.')} == {
        f'{EMBEDDING}.{i}.{p}' for i in (0, 2) for p in ('weight', 'bias')
    }
    src = tmp_path / 'epoch_50.pth'
    torch.save({'state_dict': model.state_dict()}, str(src))

    detr = MODELS.build(
        Config.fromfile(osp.join(ROOT, 'configs', 'baselines', 'detr_tiny_demo.py')).model
    )
    assert online - set(detr.state_dict()) == {
        f'{EMBEDDING}.{i}.{p}' for i in (0, 2) for p in ('weight', 'bias')
    }
    result, out = extract_detector_weights(str(src), str(tmp_path / 'init.pth'))
    report = compare_state_dicts(result.state, detr.state_dict())
    assert not report.shape_mismatch
    assert {k.rsplit('.', 1)[0] for k in report.missing} == {'bbox_head.fc_cls', 'bbox_head.fc_reg'}
    assert all(k.startswith(EMBEDDING + '.') for k in report.unexpected)

    result, _ = extract_detector_weights(
        str(src), str(tmp_path / 'init.pth'), drop=[r'bbox_head\.fc_embed']
    )
    report = compare_state_dicts(result.state, detr.state_dict())
    assert not report.unexpected and not report.shape_mismatch
    assert len(report.loaded) == len(detr.state_dict()) - 4
