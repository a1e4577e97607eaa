"""Cluster ids of unsupervised proposals, the classes of AlignDet's DETR pre-training.

AlignDet (Li et al., ICCV 2023, App. B.5) gives every selective-search proposal a
pseudo-class for DETR's matching: the K-means cluster (K = 256) of its RoIAlign features from
the image-domain backbone, reduced by PCA to 256 dims first. The code was never released;
the steps are the authors' (liming-ai/AlignDet issue #13), the details here are dpt's:

* features: the backbone's last stage (stride 32) on the image resized as for testing
  (short side 800, long side <= 1333), RoIAlign 7x7 of each proposal, averaged to one
  vector per proposal;
* PCA fitted on the proposals of a random sample of images (``pca_images``), from the
  running mean and covariance of their features, so that nothing but a D x D matrix is kept;
* K-means: k-means++ seeding and Lloyd iterations on up to ``fit_samples`` projected
  features, batched, with a fixed seed; then every proposal takes its nearest centre.

The output is the proposal file with ``category_id`` = cluster + 1 and the categories
``cluster_1 .. cluster_K`` (AlignDet's ``train2017_ratio3size0008@0.5_cluster-id-as-class.json``
with ``classes = [f'cluster_{i+1}' for i in range(256)]``). :class:`ClusterJob` keeps the PCA
and the projected features of each chunk of images in ``<out>.parts/``, so that a killed run
continues where it stopped; the output is written atomically, then that folder is removed.
"""
import io
import json
import os
import os.path as osp
import shutil
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np
import torch

from ...engine.fileio import atomic_write_bytes
from ...datasets.coco import check_coco
from ...utils.errors import CheckpointError, ConfigError, DataError, load_json

# ImageNet mean / std of RGB images: the pytorch-style ResNets AlignDet starts from
MEAN, STD = (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)
STRIDE = 32  # of a ResNet's last stage


# ----------------------------------------------------------------------------- PCA, K-means
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
        xb = x[start:start + batch_size].to(centres)
        d = (xb * xb).sum(1, keepdim=True) - 2 * xb @ centres.t() + c2
        dist, label = d.min(1)
        labels.append(label)
        dists.append(dist.clamp(min=0))
    return torch.cat(labels), torch.cat(dists)


def kmeans(x: torch.Tensor, k: int, iters: int = 100, seed: int = 0,
           batch_size: int = 65536):
    """K-means of the rows of ``x`` (N, D): k-means++ seeding (Arthur & Vassilvitskii, 2007),
    then Lloyd iterations until no point changes cluster. Returns (centres (k, D), labels).

    A cluster left empty is moved to the point farthest from its centre.
    """
    if len(x) < k:
        raise ConfigError(f'{k} clusters asked for {len(x)} proposals: use fewer clusters')
    x = x.float()
    gen = torch.Generator().manual_seed(seed)
    centres = x.new_empty(k, x.size(1))
    centres[0] = x[int(torch.randint(len(x), (1, ), generator=gen))]
    x2 = (x * x).sum(1)
    d2 = (x2 - 2 * x @ centres[0] + centres[0] @ centres[0]).clamp(min=0)
    for i in range(1, k):
        weights = d2.double().cpu()
        idx = int(torch.multinomial(weights, 1, generator=gen) if weights.sum() > 0
                  else torch.randint(len(x), (1, ), generator=gen))  # all points taken
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


# ----------------------------------------------------------------------------- features
def build_backbone(depth: int = 50, base_channels: int = 64, checkpoint: Optional[str] = None,
                   seed: int = 0):
    """mmdet's ResNet (last stage only, eval mode) from an mmdet ResNet state dict (e.g.
    tools/model_converters/convert_backbone.py's output; a detector's ``backbone.*`` keys
    also do), or randomly initialised with ``seed`` when ``checkpoint`` is None."""
    from mmdet.models.backbones import ResNet

    from ...utils.state_dict import compare_state_dicts, state_dict_of
    from ...weights.backbone import load_weights_file
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        # PyTorch's default init (mmengine's init_weights would log every tensor)
        model = ResNet(depth=depth, base_channels=base_channels, out_indices=(3, ),
                       style='pytorch')
    if checkpoint:
        state = state_dict_of(load_weights_file(checkpoint))
        if any(k.startswith('backbone.') for k in state):
            state = {k[len('backbone.'):]: v for k, v in state.items()
                     if k.startswith('backbone.')}
        report = compare_state_dicts(state, model.state_dict())
        missing = [k for k in report.missing if not k.endswith('num_batches_tracked')]
        if missing or report.shape_mismatch:
            bad = [k for k, _, _ in report.shape_mismatch] + missing
            raise CheckpointError(
                f'{checkpoint}: not an mmdet ResNet-{depth} (base_channels {base_channels}) '
                f"state dict: {len(bad)} tensors missing or of another shape (e.g. '{bad[0]}'); "
                'convert it with tools/model_converters/convert_backbone.py')
        model.load_state_dict({k: state[k] for k in report.loaded}, strict=False)
    model.eval()  # mmdet's ResNet.train() returns None
    return model


class RoIFeatures:
    """One vector per proposal: the mean of its RoIAlign (``roi_size`` squared) on the
    backbone's last stage, the image resized to ``short_side`` (long side <= ``max_side``)."""

    def __init__(self, backbone, short_side: int = 800, max_side: int = 1333,
                 roi_size: int = 7, device='cpu') -> None:
        self.backbone = backbone.to(device)
        self.short_side, self.max_side, self.roi_size = short_side, max_side, roi_size
        self.device = torch.device(device)
        self.mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(STD, device=device).view(1, 3, 1, 1)

    @torch.no_grad()
    def __call__(self, rgb: np.ndarray, boxes_xyxy: np.ndarray) -> torch.Tensor:
        import cv2
        from torchvision.ops import roi_align
        h, w = rgb.shape[:2]
        scale = min(self.short_side / min(h, w), self.max_side / max(h, w))
        size = (max(int(w * scale + 0.5), 1), max(int(h * scale + 0.5), 1))
        img = torch.from_numpy(cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR))
        img = img.to(self.device).permute(2, 0, 1)[None].float()
        feat = self.backbone((img - self.mean) / self.std)[-1]
        boxes = torch.as_tensor(boxes_xyxy, dtype=torch.float32, device=self.device)
        rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes * scale], 1)
        pooled = roi_align(feat, rois, self.roi_size, spatial_scale=1 / STRIDE,
                           sampling_ratio=2, aligned=True)
        return pooled.mean((2, 3)).float()


# ----------------------------------------------------------------------------- the job
@dataclass(frozen=True)
class ClusterSettings:
    """How proposals are clustered; AlignDet: 256 clusters, PCA to 256 dims."""
    num_clusters: int = 256
    pca_dims: int = 256
    backbone: Optional[str] = None  # mmdet ResNet state dict; None: random init (tests)
    depth: int = 50
    base_channels: int = 64
    short_side: int = 800
    max_side: int = 1333
    roi_size: int = 7
    pca_images: int = 5000       # images whose proposals fit the PCA; 0: all
    fit_samples: int = 1000000   # projected features K-means is fitted on; 0: all
    iters: int = 100
    seed: int = 0
    chunk_images: int = 500      # images per saved chunk of features

    def feature_settings(self) -> dict:
        """What the saved PCA and features depend on."""
        d = asdict(self)
        for key in ('num_clusters', 'fit_samples', 'iters'):
            d.pop(key)
        if d['backbone']:
            d['backbone'] = osp.abspath(d['backbone'])
        return d


def _load_proposals(path):
    data = load_json(path, 'proposal file')
    check_coco(data, path, ('images', 'annotations'), 'COCO-style proposal file')
    for i, ann in enumerate(data['annotations']):
        box = ann.get('bbox')
        if not (isinstance(box, list) and len(box) == 4):
            raise DataError(f"{path}: annotation {ann.get('id', i)} has no [x, y, w, h] bbox")
    if not data['annotations']:
        raise DataError(f'{path}: no proposals in it')
    return data


class ClusterJob:
    """Cluster the proposals of ``proposal_file`` (images under ``img_dir``) into ``out``.

    ``fit_pca()`` and ``extract()`` yield once per image (for a progress bar) and keep their
    results in ``<out>.parts/``; ``finish()`` runs K-means, writes ``out`` and returns a
    summary. :func:`cluster_proposals` runs all three.
    """

    def __init__(self, proposal_file, img_dir, out, settings=ClusterSettings(), device=None):
        self.proposal_file, self.img_dir, self.out = str(proposal_file), str(img_dir), str(out)
        self.settings = settings
        if not self.out.endswith('.json'):
            raise ConfigError(f'{self.out}: the output file must end in .json')
        if osp.abspath(self.out) == osp.abspath(self.proposal_file):
            raise ConfigError(f'{self.out}: the output would replace the proposal file')
        if not osp.isdir(self.img_dir):
            raise DataError(f'{self.img_dir}: image folder not found')
        self.data = _load_proposals(self.proposal_file)
        self.by_image = defaultdict(list)
        for ann in self.data['annotations']:
            self.by_image[ann['image_id']].append(ann)
        self.images = [im for im in self.data['images'] if self.by_image[im['id']]]
        self.device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
        self.parts = self.out + '.parts'
        self.chunks = [self.images[i:i + settings.chunk_images]
                       for i in range(0, len(self.images), settings.chunk_images)]
        self._features = None
        self._check_parts()

    def _check_parts(self):
        header = osp.join(self.parts, 'settings.json')
        mine = dict(proposal_file=osp.abspath(self.proposal_file),
                    proposals=len(self.data['annotations']), **self.settings.feature_settings())
        if osp.isfile(header):
            with open(header) as f:
                old = json.load(f)
            if old != mine:
                raise ConfigError(f'{self.parts}: left by a run with other settings ({old}); '
                                  'rerun with those options, or delete it to start afresh')
        else:
            os.makedirs(self.parts, exist_ok=True)
            atomic_write_bytes(json.dumps(mine).encode(), header)

    @property
    def features(self):
        if self._features is None:
            s = self.settings
            backbone = build_backbone(s.depth, s.base_channels, s.backbone, s.seed)
            self._features = RoIFeatures(backbone, s.short_side, s.max_side, s.roi_size,
                                         self.device)
        return self._features

    def _image_features(self, im):
        from ...utils.image_io import read_rgb
        path = osp.join(self.img_dir, im['file_name'])
        try:
            rgb = read_rgb(path)
        except OSError as e:
            raise DataError(f"{path} (image id {im['id']}): {e}") from None
        boxes = np.array([a['bbox'] for a in self.by_image[im['id']]], dtype=np.float32)
        boxes[:, 2:] += boxes[:, :2]
        return self.features(rgb, boxes)

    def _save(self, obj, name):
        buf = io.BytesIO()
        torch.save(obj, buf)
        atomic_write_bytes(buf.getvalue(), osp.join(self.parts, name))

    def _load(self, name):
        path = osp.join(self.parts, name)
        return torch.load(path, map_location='cpu') if osp.isfile(path) else None

    @property
    def has_pca(self):
        return osp.isfile(osp.join(self.parts, 'pca.pt'))

    def fit_pca(self):
        """The PCA, from the proposals of up to ``pca_images`` random images."""
        if self.has_pca:
            return
        s = self.settings
        order = np.random.default_rng(s.seed).permutation(len(self.images))
        sample = order[:s.pca_images] if s.pca_images else order
        stats = None
        for i in sorted(sample.tolist()):
            x = self._image_features(self.images[i])
            if stats is None:
                stats = CovarianceStats(x.size(1), self.device)
            stats.add(x)
            yield self.images[i]
        mean, components, ratio = stats.pca(s.pca_dims)
        self._save(dict(mean=mean.cpu(), components=components.cpu(), explained=ratio,
                        proposals=stats.n, features=len(mean)), 'pca.pt')

    def extract(self):
        """The projected features of every proposal, saved chunk by chunk."""
        pca = self._load('pca.pt')
        if pca is None:
            raise ConfigError(f'{self.parts}: no PCA yet; run fit_pca() first')
        mean, comps = pca['mean'].to(self.device), pca['components'].to(self.device)
        for k, chunk in enumerate(self.chunks):
            if osp.isfile(osp.join(self.parts, f'features_{k:05d}.pt')):
                continue
            ids, feats = [], []
            for im in chunk:
                feats.append((self._image_features(im) - mean) @ comps.t())
                ids += [a['id'] for a in self.by_image[im['id']]]
                yield im
            feats = torch.cat(feats).cpu()
            # half precision halves memory and disk (COCO: ~14M x 256) where values fit
            feats = feats.half() if feats.abs().max() < 6e4 else feats
            self._save(dict(ann_ids=torch.tensor(ids), features=feats), f'features_{k:05d}.pt')

    def done_images(self):
        """Images whose features are saved already."""
        return sum(len(c) for k, c in enumerate(self.chunks)
                   if osp.isfile(osp.join(self.parts, f'features_{k:05d}.pt')))

    def finish(self):
        """K-means, then the output file (atomically); returns a summary dict."""
        s, start = self.settings, time.time()
        parts = [self._load(f'features_{k:05d}.pt') for k in range(len(self.chunks))]
        if any(p is None for p in parts):
            raise ConfigError(f'{self.parts}: features missing; run extract() first')
        ann_ids = torch.cat([p['ann_ids'] for p in parts])
        half = all(p['features'].dtype == torch.half for p in parts)
        feats = torch.cat([p['features'].to(torch.half if half else torch.float)
                           for p in parts])
        gen = torch.Generator().manual_seed(s.seed)
        fit = (torch.randperm(len(feats), generator=gen)[:s.fit_samples]
               if s.fit_samples and len(feats) > s.fit_samples else slice(None))
        centres, _ = kmeans(feats[fit].to(self.device).float(), s.num_clusters, s.iters,
                            s.seed)
        # all proposals, moved to the device batch by batch
        labels = nearest_centres(feats, centres)[0].cpu()
        cluster = dict(zip(ann_ids.tolist(), labels.tolist()))
        data = dict(self.data)
        data['annotations'] = [dict(a, category_id=cluster[a['id']] + 1)
                               for a in self.data['annotations']]
        data['categories'] = [dict(id=i + 1, name=f'cluster_{i + 1}', supercategory='cluster')
                              for i in range(s.num_clusters)]
        pca = self._load('pca.pt')
        info = dict(data.get('info') or {})
        info['clustering'] = dict(
            asdict(s), method='RoIAlign features of the last backbone stage, PCA, K-means '
            '(AlignDet, ICCV 2023, App. B.5)', proposals_of=osp.basename(self.proposal_file),
            pca_explained_variance=round(pca['explained'], 4), pca_proposals=pca['proposals'])
        data['info'] = info
        atomic_write_bytes(json.dumps(data).encode(), self.out)
        shutil.rmtree(self.parts, ignore_errors=True)
        sizes = torch.bincount(labels, minlength=s.num_clusters)
        return dict(out=self.out, images=len(self.images), proposals=len(labels),
                    clusters=s.num_clusters, features=pca['features'],
                    pca_dims=len(pca['components']), empty=int((sizes == 0).sum()),
                    smallest=int(sizes.min()), largest=int(sizes.max()),
                    explained=pca['explained'], kmeans_s=time.time() - start)


def cluster_proposals(proposal_file, img_dir, out, settings=ClusterSettings(), device=None):
    """Run a whole :class:`ClusterJob` (continuing a killed one); return its summary."""
    job = ClusterJob(proposal_file, img_dir, out, settings, device)
    for _ in job.fit_pca():
        pass
    for _ in job.extract():
        pass
    return job.finish()
