"""InfoNCELoss against hand-computed values and AlignDet's per-instance loop."""

import math

import pytest
import torch
import torch.nn.functional as F


def _loss(**kwargs):
    from dpt.models.aligndet import InfoNCELoss

    return InfoNCELoss(**kwargs)


def _nce(pos, negs, t=0.5):
    """-log(e^(pos/t) / (e^(pos/t) + sum e^(neg/t))) of unit-vector dot products."""
    return -math.log(math.exp(pos / t) / (math.exp(pos / t) + sum(math.exp(n / t) for n in negs)))


def test_hand_computed_3x4():
    # unit vectors (scaled by 2 / 3 to check the normalisation): 3 online queries of
    # instances 0, 0, 1; 4 target keys of instances 0, 1, 2 and background (-1)
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]) * 2
    k = torch.tensor([[0.8, 0.6], [-1.0, 0.0], [0.0, -1.0], [0.6, -0.8]]) * 3
    q_ids, k_ids = torch.tensor([0, 0, 1]), torch.tensor([0, 1, 2, -1])

    # instance 0: pairs (q0, k0), (q1, k0); negatives = all entries not of instance 0 in
    # both views: q2, k1, k2, k3
    l_q0 = _nce(0.8, [0.6, -1.0, 0.0, 0.6])
    l_q1 = _nce(0.6, [0.8, 0.0, -1.0, -0.8])
    # instance 1: pair (q2, k1); negatives q0, q1, k0, k2, k3
    l_q2 = _nce(-0.6, [0.6, 0.8, 0.96, -0.8, -0.28])
    expected = ((l_q0 + l_q1) / 2 + l_q2) / 2

    loss = _loss(temperature=0.5, loss_weight=1.0)(q, q_ids, k, k_ids)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert expected == pytest.approx(2.49320, abs=1e-4)  # the number itself, written down
    assert _loss(temperature=0.5, loss_weight=2.0)(q, q_ids, k, k_ids).item() == pytest.approx(
        2 * expected, rel=1e-5
    )


def _reference(query, q_ids, key, k_ids, t):
    """AlignDet's ContrastiveLoss called per instance (SelfSupConvFCBBoxHead.loss), with
    instances that have no key left out (``missing_keys='skip'``)."""
    losses = []
    for c in torch.unique(q_ids):
        if c < 0 or not (k_ids == c).any():
            continue
        qs = F.normalize(query[q_ids == c], dim=1)
        ks = F.normalize(key[k_ids == c], dim=1)
        neg = F.normalize(torch.cat([query[q_ids != c], key[k_ids != c]]).detach(), dim=1)
        pair = []
        for kk in ks:
            for qq in qs:
                logits = torch.cat([(qq @ kk)[None], neg @ qq]) / t
                pair.append(-torch.log_softmax(logits, 0)[0])
        losses.append(torch.stack(pair).mean())
    return torch.stack(losses).mean()


def test_matches_per_instance_loop():
    g = torch.Generator().manual_seed(0)
    query = torch.randn(40, 16, generator=g)
    key = torch.randn(30, 16, generator=g)
    q_ids = torch.randint(-1, 8, (40,), generator=g)
    k_ids = torch.randint(-1, 10, (30,), generator=g)
    assert not torch.isin(q_ids[q_ids >= 0], k_ids).all()  # some instances have no key
    loss = _loss(temperature=0.5, missing_keys='skip')(query, q_ids, key, k_ids)
    assert loss.item() == pytest.approx(_reference(query, q_ids, key, k_ids, 0.5).item(), rel=1e-5)
    # AlignDet's default contrasts those instances' queries with themselves: another value
    assert _loss(temperature=0.5)(query, q_ids, key, k_ids).item() != pytest.approx(
        loss.item(), rel=1e-3
    )


def test_gradient_only_through_queries():
    query = torch.randn(6, 8, requires_grad=True)
    key = torch.randn(5, 8, requires_grad=True)
    ids = torch.tensor([0, 0, 1, 1, 2, 2])
    _loss()(query, ids, key, torch.tensor([0, 1, 2, 2, -1])).backward()
    assert query.grad is not None and torch.isfinite(query.grad).all()
    assert query.grad.abs().sum() > 0
    assert key.grad is None  # keys come from the EMA target: never trained


def test_degenerate_batches():
    query = torch.randn(3, 4, requires_grad=True)
    # one instance only: no negatives, the positive alone gives loss 0 and a finite gradient
    loss = _loss()(query, torch.tensor([0, 0, 0]), torch.randn(2, 4), torch.tensor([0, 0]))
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    assert torch.isfinite(query.grad).all()
    # no instance in both views: zero, still part of the graph ('skip'); AlignDet's
    # default then contrasts the queries with themselves, the gradient through both sides
    args = query, torch.tensor([0, 1, -1]), torch.randn(2, 4), torch.tensor([2, -1])
    loss = _loss(missing_keys='skip')(*args)
    assert loss.item() == 0 and loss.requires_grad
    assert _loss()(*args).item() > 0


def test_missing_keys_choice():
    from dpt.utils.errors import ConfigError

    with pytest.raises(ConfigError, match="missing_keys='none'"):
        _loss(missing_keys='none')
