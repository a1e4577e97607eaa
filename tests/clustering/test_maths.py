"""PCA and K-means of proposal features (dpt.clustering.maths) on a separable set."""

import pytest
import torch


def _blobs(n_per=40, dims=32, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, dims, generator=g) * 10
    labels = torch.arange(k).repeat_interleave(n_per)
    return centres[labels] + torch.randn(len(labels), dims, generator=g), labels


def test_pca_and_kmeans_recover_separable_clusters():
    from dpt.clustering import CovarianceStats, kmeans

    x, truth = _blobs()
    stats = CovarianceStats(x.size(1))
    stats.add(x[:70])  # streamed in two parts: the same statistics as all at once
    stats.add(x[70:])
    mean, comps, ratio = stats.pca(8)
    assert comps.shape == (8, 32) and 0.9 < ratio <= 1
    # the top axes are those of an SVD of the centred data (up to sign)
    _, _, v = torch.linalg.svd(x - x.mean(0), full_matrices=False)
    torch.testing.assert_close((comps[:3] * v[:3]).sum(1).abs(), torch.ones(3), atol=1e-3, rtol=0)
    projected = (x - mean) @ comps.t()

    centres, labels = kmeans(projected, 4, seed=0)
    assert centres.shape == (4, 8)
    # one cluster per blob: the contingency table is a permutation
    table = torch.zeros(4, 4, dtype=torch.long).index_put_(
        (truth, labels), torch.ones_like(labels), accumulate=True
    )
    assert sorted((table > 0).sum(1).tolist()) == [1, 1, 1, 1]
    assert sorted(table.max(1).values.tolist()) == [40] * 4
    # a fixed seed gives the same clusters
    assert torch.equal(kmeans(projected, 4, seed=0)[1], labels)


def test_kmeans_input_errors():
    from dpt.clustering import kmeans
    from dpt.utils.errors import ConfigError

    with pytest.raises(ConfigError, match='5 clusters asked for 3 proposals'):
        kmeans(torch.randn(3, 2), 5)
    # identical points: every centre seeded, nothing divides by zero
    _, labels = kmeans(torch.ones(6, 3), 2)
    assert len(labels) == 6


def test_nearest_centres_in_batches_equals_brute_force():
    from dpt.clustering import nearest_centres

    g = torch.Generator().manual_seed(1)
    x, centres = torch.randn(50, 6, generator=g), torch.randn(5, 6, generator=g)
    d = torch.cdist(x, centres) ** 2
    labels, dists = nearest_centres(x.half(), centres, batch_size=7)  # stored in half precision
    want = torch.cdist(x.half().float(), centres).argmin(1)
    assert torch.equal(labels, want) and len(dists) == 50
    torch.testing.assert_close(dists, d.min(1).values, atol=5e-2, rtol=1e-2)
    assert (dists >= 0).all()
