"""Cluster ids of unsupervised proposals, the classes of AlignDet's DETR pre-training.

AlignDet (Li et al., ICCV 2023, App. B.5) gives every selective-search proposal a
pseudo-class for DETR's matching: the K-means cluster (K = 256) of its RoIAlign features from
the image-domain backbone, reduced by PCA to 256 dims first. The code was never released;
the steps are the authors' (liming-ai/AlignDet issue #13), the details here are dpt's:

* features (:mod:`.features`): the backbone's last stage (stride 32) on the image resized as
  for testing (short side 800, long side <= 1333), RoIAlign 7x7 of each proposal, averaged to
  one vector per proposal;
* PCA (:mod:`.maths`) fitted on the proposals of a random sample of images (``pca_images``),
  from the running mean and covariance of their features, so that nothing but a D x D matrix
  is kept;
* K-means (:mod:`.maths`): k-means++ seeding and Lloyd iterations on up to ``fit_samples``
  projected features, batched, with a fixed seed; then every proposal takes its nearest centre.

The output (:mod:`.generate`) is the proposal file with ``category_id`` = cluster + 1 and the
categories ``cluster_1 .. cluster_K`` (AlignDet's
``train2017_ratio3size0008@0.5_cluster-id-as-class.json`` with
``classes = [f'cluster_{i+1}' for i in range(256)]``). An offline data job, like
:mod:`dpt.proposals` and :mod:`dpt.pseudo_boxes`: tools/misc/cluster_proposals.py runs it.
"""

from .features import RoIFeatures, build_backbone
from .generate import ClusterJob, ClusterSettings, cluster_proposals
from .maths import CovarianceStats, kmeans, nearest_centres

__all__ = [
    'ClusterJob',
    'ClusterSettings',
    'cluster_proposals',
    'RoIFeatures',
    'build_backbone',
    'CovarianceStats',
    'kmeans',
    'nearest_centres',
]
