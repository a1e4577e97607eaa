"""Box-domain contrastive loss of AlignDet (Li et al., ICCV 2023, Sec. 3.3, Eq. 3)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS

from ...utils.errors import ConfigError


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """InfoNCE between box embeddings of two views, grouped by instance id.

    ``query`` comes from the online view, ``key`` from the target view. An entry's id says
    which proposal (instance) it belongs to; id ``-1`` marks a sampled background position
    (dense heads), which is only ever a negative. For each instance ``c`` with queries and
    keys, every (query ``q``, key ``k``) pair of ``c`` gives

        -log( exp(q.k / T) / (exp(q.k / T) + sum_n exp(q.n / T)) )

    with ``n`` running over all entries of BOTH views whose id is not ``c`` (background
    included); all vectors are L2-normalised, keys and negatives carry no gradient. The pair
    losses are averaged per instance, then over instances (as AlignDet's per-label loop
    over its ``ContrastiveLoss``, liming-ai/AlignDet
    AlignDet/models/losses/contrastive_loss.py and the heads' ``loss``).

    Args:
        temperature (float): ``T``; AlignDet uses 0.5.
        loss_weight (float): Multiplier of the loss.
        missing_keys (str): An instance with queries but no key in the target view:
            ``'query'`` contrasts its queries with themselves (AlignDet's
            ``key = ... if key_inds.sum() > 0 else query``, the keys then with gradient);
            ``'skip'`` leaves the instance out of the mean.
    """

    def __init__(
        self, temperature: float = 0.5, loss_weight: float = 1.0, missing_keys: str = 'query'
    ) -> None:
        super().__init__()
        if missing_keys not in ('query', 'skip'):
            raise ConfigError(
                f"InfoNCELoss: missing_keys='{missing_keys}', choose 'query' (AlignDet) or 'skip'"
            )
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.missing_keys = missing_keys

    def forward(
        self, query: torch.Tensor, query_ids: torch.Tensor, key: torch.Tensor, key_ids: torch.Tensor
    ) -> torch.Tensor:
        """query (Nq, D) and key (Nk, D) embeddings with their ids (Nq,), (Nk,)."""
        # in float32 under AMP too: exp() of fp16 logits loses the small terms
        q = F.normalize(query.float(), dim=1)
        k = F.normalize(key.detach().float(), dim=1)
        bank = torch.cat([q.detach(), k])
        bank_ids = torch.cat([query_ids, key_ids])

        # log of the summed exp-similarities to each query's negatives; a finite fill
        # (not -inf) keeps the gradient finite when an instance has no negative at all
        neg_logits = q @ bank.t() / self.temperature
        same = query_ids[:, None] == bank_ids[None, :]
        log_neg = neg_logits.masked_fill(same, torch.finfo(q.dtype).min).logsumexp(dim=1)

        pos_keys, pos_ids = k, key_ids
        if self.missing_keys == 'query':
            # instances without a key: their own queries (not detached) are the keys
            alone = (query_ids >= 0) & ~torch.isin(query_ids, key_ids)
            pos_keys, pos_ids = torch.cat([k, q[alone]]), torch.cat([key_ids, query_ids[alone]])
        pos_logits = q @ pos_keys.t() / self.temperature
        pairs = (query_ids[:, None] == pos_ids[None, :]) & (query_ids[:, None] >= 0)
        pair_loss = torch.logaddexp(pos_logits, log_neg[:, None]) - pos_logits

        # mean over each instance's pairs, then over instances
        ids, inverse = torch.unique(query_ids, return_inverse=True)
        loss_sum = q.new_zeros(len(ids)).index_add(0, inverse, (pair_loss * pairs).sum(1))
        num_pairs = q.new_zeros(len(ids)).index_add(0, inverse, pairs.sum(1).float())
        valid = num_pairs > 0
        if not valid.any():
            return query.sum() * 0  # no instance seen in both views: no loss, graph kept
        return self.loss_weight * (loss_sum[valid] / num_pairs[valid]).mean()
