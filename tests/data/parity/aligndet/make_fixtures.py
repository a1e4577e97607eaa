"""Write the AlignDet parity fixtures by running liming-ai/AlignDet's own functions.

Runs OUTSIDE dpt, in a scratch environment with CPU torch and numpy only (see PROVENANCE.md):

    python make_fixtures.py --aligndet /tmp/ad --mmdet /tmp/mmdet225/x --out .

``--aligndet``: a work tree of liming-ai/AlignDet at d29f70b; ``--mmdet``: the unpacked
mmdet 2.25.0 wheel (its ``CrossEntropyLoss`` and ``images_to_levels`` are the ones AlignDet
calls). mmcv and the rest of mmdet are replaced by the small stubs below, which only satisfy
imports (registries, decorators, base classes); every number comes from the original code.
``extraction_input.json`` (state-dict key lists) must already be in ``--out``: it is made
in dpt's own environment with ``--key-lists``.
"""
import argparse
import importlib.util
import json
import math
import os.path as osp
import sys
import tempfile
import types
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn as nn


class _Registry:
    def register_module(self, name=None, force=False, module=None):
        if module is not None:
            return module
        return lambda cls: cls


def _identity_decorator(*args, **kwargs):
    return lambda fn: fn


def _module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__path__ = []  # a package, so that submodules can be registered under it
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


class _Hook:  # mmcv 1.x runner.Hook.every_n_iters
    def every_n_iters(self, runner, n):
        return (runner.iter + 1) % n == 0 if n > 0 else False


def install_stubs(mmdet_root):
    _module('mmcv', jit=_identity_decorator)
    _module('mmcv.runner', force_fp32=_identity_decorator, HOOKS=_Registry(), Hook=_Hook)
    _module('mmcv.parallel', is_module_wrapper=lambda m: False)
    _module('mmcv.cnn', ConvModule=nn.Module)
    _module('mmdet')
    models = _module('mmdet.models', LOSSES=_Registry(), HEADS=_Registry(),
                     DETECTORS=_Registry(), RetinaHead=nn.Module, BaseDetector=nn.Module,
                     build_detector=None)
    _module('mmdet.models.builder', LOSSES=models.LOSSES)
    _module('mmdet.models.losses')
    _load('mmdet.models.losses.utils', osp.join(mmdet_root, 'mmdet/models/losses/utils.py'))
    ce = _load('mmdet.models.losses.cross_entropy_loss',
               osp.join(mmdet_root, 'mmdet/models/losses/cross_entropy_loss.py'))
    models.CrossEntropyLoss = ce.CrossEntropyLoss
    anchor_utils = _load('mmdet_core_anchor_utils',
                         osp.join(mmdet_root, 'mmdet/core/anchor/utils.py'))
    _module('mmdet.core', images_to_levels=anchor_utils.images_to_levels,
            multi_apply=lambda f, *a, **k: tuple(map(list, zip(*map(
                lambda *x: f(*x, **k), *a)))))


def contrastive_cases(loss_mod, rng):
    """ContrastiveLoss(temperature).forward(query, key, negatives) -> loss."""
    out = {}
    for i, (m, n, k, d, t) in enumerate([(1, 1, 5, 8, 0.5), (3, 2, 7, 8, 0.5),
                                          (4, 4, 16, 16, 0.2), (2, 5, 1, 4, 0.5)]):
        q, key, neg = (rng.standard_normal((s, d)).astype(np.float32) for s in (m, n, k))
        loss = loss_mod.ContrastiveLoss(temperature=t, loss_weight=1.0)(
            torch.from_numpy(q), torch.from_numpy(key), torch.from_numpy(neg))
        out.update({f'c{i}_query': q, f'c{i}_key': key, f'c{i}_neg': neg,
                    f'c{i}_temperature': np.float32(t), f'c{i}_loss': np.float32(loss.item())})
    return out


def per_label_cases(loss_mod, retina_mod, rng):
    """SelfSupRetinaHead.loss_single_cls, the per-instance loop AlignDet's R-CNN, RetinaNet and
    DETR heads share: sampled embeddings of both views with their labels (instance ids;
    num_classes = background) and weights (0 = not sampled) -> loss."""
    num_classes, d = 16, 8  # background label; ids 0..15 are instances
    fake = SimpleNamespace(num_classes=num_classes,
                           loss_cls=loss_mod.ContrastiveLoss(temperature=0.5))
    cases = {
        # every instance has queries and keys, plus background and unsampled entries
        'keys': ([0, 0, 1, 2, 2, 2, 16, 16, 1], [0, 1, 1, 2, 16, 0, 2],
                 [1, 1, 1, 1, 1, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1, 0]),
        # instance 3 has queries but no key in the target view: AlignDet uses its queries
        'missing_key': ([0, 3, 3, 1, 16], [0, 1, 16, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1]),
        # the target has an instance the online view did not sample (only a negative)
        'extra_key': ([0, 1, 16], [0, 1, 5, 16], [1, 1, 1], [1, 1, 1, 1]),
    }
    out = {}
    for name, (ql, kl, qw, kw) in cases.items():
        q = rng.standard_normal((len(ql), d)).astype(np.float32)
        k = rng.standard_normal((len(kl), d)).astype(np.float32)
        loss = retina_mod.SelfSupRetinaHead.loss_single_cls(
            fake, torch.from_numpy(q), torch.from_numpy(k), torch.tensor(ql), torch.tensor(kl),
            torch.tensor(qw, dtype=torch.float32), torch.tensor(kw, dtype=torch.float32),
            None, 1)
        out.update({f'{name}_query': q, f'{name}_key': k,
                    f'{name}_query_labels': np.array(ql), f'{name}_key_labels': np.array(kl),
                    f'{name}_query_weights': np.array(qw, np.float32),
                    f'{name}_key_weights': np.array(kw, np.float32),
                    f'{name}_loss': np.float32(loss.item())})
    out['num_classes'] = np.int64(num_classes)
    return out


def instance_id_cases(retina_mod):
    """The instance ids AlignDet gives the proposals of a batch (one GPU), from the lines
    of SelfSupRetinaHead.get_cls_reg_targets (the same lines are in SelfSupMaskRCNN and
    SelfSupDETRHead): proposal counts per image -> ids per image."""
    seen = {}

    def get_targets(anchor_list, valid_flag_list, gt_bboxes, img_metas, **kwargs):
        seen['ids'] = [t.tolist() for t in kwargs['gt_labels_list']]
        return 'targets'

    out = []
    for counts in ([3], [3, 5], [2, 1, 4], [1, 1], [2, 0, 3], [0, 2]):
        fake = SimpleNamespace(
            prior_generator=SimpleNamespace(num_levels=1), cls_out_channels=1,
            use_sigmoid_cls=True, get_targets=get_targets,
            get_anchors=lambda sizes, metas, device: (
                [[torch.zeros(1, 4)] for _ in metas], [[torch.ones(1)] for _ in metas]))
        info = dict(gt_bboxes=[torch.zeros(c, 4) for c in counts],
                    gt_labels=[torch.zeros(c, dtype=torch.long) for c in counts],
                    img_metas=[{} for _ in counts])
        seen.clear()
        try:
            retina_mod.SelfSupRetinaHead.get_cls_reg_targets(fake, [torch.zeros(1, 1, 1, 1)],
                                                             info)
            out.append(dict(counts=counts, ids=seen['ids']))
        except RuntimeError as e:  # an empty image: .max() of no ids
            out.append(dict(counts=counts, error=str(e).splitlines()[0]))
    return out


def momentum_cases(hook_mod, detector_mod):
    """MomentumUpdateHook.before_train_iter (iteration k of K -> momentum) and one
    SelfSupDetector.momentum_update (the EMA of the online into the target parameters)."""
    hook = hook_mod.MomentumUpdateHook()
    schedule = []
    for max_iters, ks in ((1000, (0, 1, 2, 100, 250, 500, 750, 998, 999)), (7, range(7))):
        for k in ks:
            module = SimpleNamespace(base_momentum=0.996, momentum=0.996)
            hook.before_train_iter(SimpleNamespace(model=SimpleNamespace(module=module),
                                                   iter=k, max_iters=max_iters))
            schedule.append(dict(iter=k, max_iters=max_iters, base=0.996,
                                 momentum=module.momentum))

    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)
            self.query_embedding = nn.Embedding(4, 3)

    online, target = Net(), Net()
    before = {k: v.tolist() for k, v in target.state_dict().items()}
    fake = SimpleNamespace(online_backbone=online, target_backbone=target, momentum=0.9)
    detector_mod.SelfSupDetector.momentum_update(fake)
    ema = dict(momentum=0.9, online={k: v.tolist() for k, v in online.state_dict().items()},
               target_before=before,
               target_after={k: v.tolist() for k, v in target.state_dict().items()})
    return schedule, ema


def extraction_cases(script, key_lists):
    """tools/model_converters/extract_detector_weights.py on checkpoints with the given keys
    (AlignDet's layout: ``backbone.`` = ``online_backbone.`` = the online detector,
    ``target_backbone.`` its EMA target) -> the keys it writes."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, keys in key_lists.items():
            state = {}
            for k in keys:
                for prefix in ('online_backbone.', 'backbone.'):
                    state[prefix + k] = torch.zeros(1)
                state['target_backbone.' + k] = torch.zeros(1)
            src, dst = osp.join(tmp, 'in.pth'), osp.join(tmp, 'out.pth')
            torch.save(dict(state_dict=state, meta={}), src)
            argv, sys.argv = sys.argv, [script, src, dst]
            try:
                mod = _load(f'extract_{name}', script)
                mod.main()
            finally:
                sys.argv = argv
            out[name] = list(torch.load(dst)['state_dict'])
    return out


def retina_pairing(retina_mod):
    """SelfSupRetinaHead.loss with 2 images, 2 levels: which anchor's embedding is paired with
    which anchor's label. The embedding of (image i, level l, position p) is (i, l, p) and so is
    its label (encoded as 100 i + 10 l + p); the recorded pairs show the mismatch."""
    recorded = {}
    num_imgs, sizes, c = 2, ((1, 2), (1, 1)), 3  # level 0: 1x2 positions, level 1: 1x1

    def code(i, l, p):
        return 100 * i + 10 * l + p

    cls_maps = []
    for l, (h, w) in enumerate(sizes):
        m = torch.zeros(num_imgs, c, h, w)
        for i in range(num_imgs):
            for p in range(h * w):
                m[i, :, p // w, p % w] = torch.tensor([i, l, p], dtype=torch.float32)
        cls_maps.append(m)
    labels = [torch.tensor([[code(i, l, p) for p in range(h * w)] for i in range(num_imgs)])
              for l, (h, w) in enumerate(sizes)]
    weights = [torch.ones_like(t, dtype=torch.float32) for t in labels]

    def loss_single_cls(cls_online, cls_target, online_labels, *args, **kwargs):
        recorded['embeddings'] = cls_online.tolist()
        recorded['labels'] = online_labels.tolist()
        return torch.zeros(())

    fake = SimpleNamespace(
        num_classes=c,
        get_cls_reg_targets=lambda scores, info: (
            (labels, weights, [None, None], [None, None], 0, 0), [None, None]),
        loss_single_cls=loss_single_cls,
        loss_single_bbox=lambda *a, **k: (torch.zeros(()), None))
    info = dict(gt_bboxes=[torch.zeros(1, 4)] * num_imgs)
    retina_mod.SelfSupRetinaHead.loss(fake, (cls_maps, [None, None]), (cls_maps, None),
                                      info, info)
    pairs = [dict(embedding_of=dict(image=int(e[0]), level=int(e[1]), position=int(e[2])),
                  label_of=dict(image=lab // 100, level=lab // 10 % 10, position=lab % 10))
             for e, lab in zip(recorded['embeddings'], recorded['labels'])]
    return dict(num_imgs=num_imgs, level_sizes=sizes, pairs=pairs)


def write_key_lists(out):
    """The input of the extraction fixture, made with dpt (its venv): the online detector's
    state-dict keys of the tiny pre-train configs."""
    from mmengine.config import Config

    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    import dpt  # noqa: F401
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__))))))
    lists = {}
    for name in ('faster-rcnn', 'retinanet', 'fcos', 'detr'):
        cfg = Config.fromfile(osp.join(root, 'configs', 'aligndet',
                                       f'{name}_aligndet-pretrain_tiny_demo.py'))
        keys = MODELS.build(cfg.model).state_dict()
        lists[name] = [k[len('online.'):] for k in keys if k.startswith('online.')]
    with open(osp.join(out, 'extraction_input.json'), 'w') as f:
        json.dump(lists, f, indent=1)
        f.write('\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--aligndet', help='liming-ai/AlignDet work tree')
    parser.add_argument('--mmdet', help='unpacked mmdet 2.25.0 wheel')
    parser.add_argument('--out', default=osp.dirname(osp.abspath(__file__)))
    parser.add_argument('--key-lists', action='store_true',
                        help="write extraction_input.json with dpt's tiny pre-trainers (run "
                             "in dpt's environment) and stop")
    args = parser.parse_args()
    if args.key_lists:
        return write_key_lists(args.out)
    if not (args.aligndet and args.mmdet):
        parser.error('--aligndet and --mmdet are needed')
    install_stubs(args.mmdet)
    root = args.aligndet
    loss_mod = _load('AlignDet.models.losses.contrastive_loss',
                     osp.join(root, 'AlignDet/models/losses/contrastive_loss.py'))
    retina_mod = _load('AlignDet.models.dense_heads.retina_head',
                       osp.join(root, 'AlignDet/models/dense_heads/retina_head.py'))
    hook_mod = _load('AlignDet.core.hook.momentum_update_hook',
                     osp.join(root, 'AlignDet/core/hook/momentum_update_hook.py'))
    detector_mod = _load('AlignDet.models.detectors.selfsup_detector',
                         osp.join(root, 'AlignDet/models/detectors/selfsup_detector.py'))

    rng = np.random.default_rng(0)
    np.savez(osp.join(args.out, 'contrastive_loss.npz'), **contrastive_cases(loss_mod, rng),
             **per_label_cases(loss_mod, retina_mod, rng))
    schedule, ema = momentum_cases(hook_mod, detector_mod)
    with open(osp.join(args.out, 'extraction_input.json')) as f:
        key_lists = json.load(f)
    extracted = extraction_cases(
        osp.join(root, 'tools/model_converters/extract_detector_weights.py'), key_lists)
    fixtures = dict(instance_ids=instance_id_cases(retina_mod), momentum_schedule=schedule,
                    momentum_update=ema, extraction=extracted,
                    retina_pairing=retina_pairing(retina_mod))
    assert all(math.isfinite(s['momentum']) for s in schedule)
    with open(osp.join(args.out, 'aligndet_outputs.json'), 'w') as f:
        json.dump(fixtures, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
