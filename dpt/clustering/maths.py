"""PCA and K-means of proposal features, in torch (CPU or GPU), for :mod:`dpt.clustering`.

The PCA is fitted from running statistics (:class:`CovarianceStats`), so that features are
streamed image by image and only a D x D matrix is kept; K-means is k-means++ seeding
(Arthur & Vassilvitskii, 2007) and Lloyd iterations, batched, with a fixed seed.
"""

import torch

from ..utils.errors import ConfigError, DataError


class CovarianceStats:
    """Running count, sum and sum of outer products of feature vectors (float64)."""

    def __init__(self, dims: int, device=None) -> None:
        self.n = 0
        self.sum = torch.zeros(dims, dtype=torch.float64, device=device)
        self.outer = torch.zeros(dims, dims, dtype=torch.float64, device=device)

    def add(self, x: torch.Tensor) -> None:
        x = x.to(self.sum)
        self.n += len(x)
        self.sum += x.sum(0)
        self.outer += x.t() @ x

    def pca(self, dims: int):
        """(mean (D,), components (d, D), explained variance ratio) of the top ``d`` axes."""
        if self.n < 2:
            raise DataError(f'PCA needs at least 2 proposals, got {self.n}')
        mean = self.sum / self.n
        cov = (self.outer - self.n * torch.outer(mean, mean)) / (self.n - 1)
        values, vectors = torch.linalg.eigh(cov)  # ascending
        values, vectors = values.flip(0).clamp(min=0), vectors.flip(1)
        dims = min(dims, len(values))
        ratio = float(values[:dims].sum() / values.sum().clamp(min=1e-12))
        return mean.float(), vectors[:, :dims].t().float().contiguous(), ratio


def nearest_centres(x: torch.Tensor, centres: torch.Tensor, batch_size: int = 65536):
    """Index of and squared distance to the nearest centre of each row of ``x``, in batches
    (``x`` may be stored in half precision)."""
    c2 = (centres * centres).sum(1)
    labels, dists = [], []
    for start in range(0, len(x), batch_size):
        xb = x[start : start + batch_size].to(centres)
        d = (xb * xb).sum(1, keepdim=True) - 2 * xb @ centres.t() + c2
        dist, label = d.min(1)
        labels.append(label)
        dists.append(dist.clamp(min=0))
    return torch.cat(labels), torch.cat(dists)


def kmeans(x: torch.Tensor, k: int, iters: int = 100, seed: int = 0, batch_size: int = 65536):
    """K-means of the rows of ``x`` (N, D): k-means++ seeding (Arthur & Vassilvitskii, 2007),
    then Lloyd iterations until no point changes cluster. Returns (centres (k, D), labels).

    A cluster left empty is moved to the point farthest from its centre.
    """
    if len(x) < k:
        raise ConfigError(f'{k} clusters asked for {len(x)} proposals: use fewer clusters')
    x = x.float()
    gen = torch.Generator().manual_seed(seed)
    centres = x.new_empty(k, x.size(1))
    centres[0] = x[int(torch.randint(len(x), (1,), generator=gen))]
    x2 = (x * x).sum(1)
    d2 = (x2 - 2 * x @ centres[0] + centres[0] @ centres[0]).clamp(min=0)
    for i in range(1, k):
        weights = d2.double().cpu()
        idx = int(
            torch.multinomial(weights, 1, generator=gen)
            if weights.sum() > 0
            else torch.randint(len(x), (1,), generator=gen)
        )  # all points taken
        centres[i] = x[idx]
        d2 = torch.minimum(d2, (x2 - 2 * x @ centres[i] + centres[i] @ centres[i]).clamp(min=0))
    labels = None
    for _ in range(iters):
        new_labels, d2 = nearest_centres(x, centres, batch_size)
        if labels is not None and torch.equal(new_labels, labels):
            break
        labels = new_labels
        counts = torch.bincount(labels, minlength=k)
        sums = torch.zeros_like(centres).index_add_(0, labels, x)
        centres = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centres)
        for j in torch.nonzero(counts == 0).view(-1).tolist():
            far = int(d2.argmax())
            centres[j], d2[far] = x[far], 0
    return centres, nearest_centres(x, centres, batch_size)[0]
