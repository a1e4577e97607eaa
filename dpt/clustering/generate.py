"""The clustering job: proposal file in, the same file with cluster ids as classes out.

:class:`ClusterJob` fits the PCA (:mod:`.maths`) on the RoIAlign features (:mod:`.features`)
of a random sample of images, projects the features of every proposal, runs K-means and gives
each proposal its nearest centre as ``category_id`` (cluster + 1). It keeps the PCA and the
projected features of each chunk of images in ``<out>.parts/`` (a
:class:`~dpt.engine.resumable.PartsFolder` headed by the settings), so that a killed run
continues where it stopped and a rerun with other settings is refused; the output is written
atomically, then that folder is removed.
"""

import os.path as osp
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np
import torch

from ..datasets.coco import check_coco
from ..engine.resumable import PARTS_SUFFIX, PartsFolder
from ..utils.errors import ConfigError, DataError, load_json
from .features import RoIFeatures, build_backbone
from .maths import CovarianceStats, kmeans, nearest_centres


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
    pca_images: int = 5000  # images whose proposals fit the PCA; 0: all
    fit_samples: int = 1000000  # projected features K-means is fitted on; 0: all
    iters: int = 100
    seed: int = 0
    chunk_images: int = 500  # images per saved chunk of features

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
        self.parts = self.out + PARTS_SUFFIX
        self.chunks = [
            self.images[i : i + settings.chunk_images]
            for i in range(0, len(self.images), settings.chunk_images)
        ]
        self._features = None
        self.work = PartsFolder(
            self.parts,
            dict(
                proposal_file=osp.abspath(self.proposal_file),
                proposals=len(self.data['annotations']),
                **settings.feature_settings(),
            ),
        )

    @property
    def features(self):
        if self._features is None:
            s = self.settings
            backbone = build_backbone(s.depth, s.base_channels, s.backbone, s.seed)
            self._features = RoIFeatures(
                backbone, s.short_side, s.max_side, s.roi_size, self.device
            )
        return self._features

    def _image_features(self, im):
        from ..utils.image_io import read_rgb

        path = osp.join(self.img_dir, im['file_name'])
        try:
            rgb = read_rgb(path)
        except OSError as e:
            raise DataError(f"{path} (image id {im['id']}): {e}") from None
        boxes = np.array([a['bbox'] for a in self.by_image[im['id']]], dtype=np.float32)
        boxes[:, 2:] += boxes[:, :2]
        return self.features(rgb, boxes)

    @property
    def has_pca(self):
        return self.work.has('pca.pt')

    def fit_pca(self):
        """The PCA, from the proposals of up to ``pca_images`` random images."""
        if self.has_pca:
            return
        s = self.settings
        order = np.random.default_rng(s.seed).permutation(len(self.images))
        sample = order[: s.pca_images] if s.pca_images else order
        stats = None
        for i in sorted(sample.tolist()):
            x = self._image_features(self.images[i])
            if stats is None:
                stats = CovarianceStats(x.size(1), self.device)
            stats.add(x)
            yield self.images[i]
        mean, components, ratio = stats.pca(s.pca_dims)
        self.work.save(
            'pca.pt',
            dict(
                mean=mean.cpu(),
                components=components.cpu(),
                explained=ratio,
                proposals=stats.n,
                features=len(mean),
            ),
        )

    def extract(self):
        """The projected features of every proposal, saved chunk by chunk."""
        pca = self.work.load('pca.pt')
        if pca is None:
            raise ConfigError(f'{self.parts}: no PCA yet; run fit_pca() first')
        mean, comps = pca['mean'].to(self.device), pca['components'].to(self.device)
        for k, chunk in enumerate(self.chunks):
            if self.work.has(f'features_{k:05d}.pt'):
                continue
            ids, feats = [], []
            for im in chunk:
                feats.append((self._image_features(im) - mean) @ comps.t())
                ids += [a['id'] for a in self.by_image[im['id']]]
                yield im
            feats = torch.cat(feats).cpu()
            # half precision halves memory and disk (COCO: ~14M x 256) where values fit
            feats = feats.half() if feats.abs().max() < 6e4 else feats
            self.work.save(f'features_{k:05d}.pt', dict(ann_ids=torch.tensor(ids), features=feats))

    def done_images(self):
        """Images whose features are saved already."""
        return sum(
            len(c) for k, c in enumerate(self.chunks) if self.work.has(f'features_{k:05d}.pt')
        )

    def finish(self):
        """K-means, then the output file (atomically); returns a summary dict."""
        s, start = self.settings, time.time()
        parts = [self.work.load(f'features_{k:05d}.pt') for k in range(len(self.chunks))]
        if any(p is None for p in parts):
            raise ConfigError(f'{self.parts}: features missing; run extract() first')
        ann_ids = torch.cat([p['ann_ids'] for p in parts])
        half = all(p['features'].dtype == torch.half for p in parts)
        feats = torch.cat([p['features'].to(torch.half if half else torch.float) for p in parts])
        gen = torch.Generator().manual_seed(s.seed)
        fit = (
            torch.randperm(len(feats), generator=gen)[: s.fit_samples]
            if s.fit_samples and len(feats) > s.fit_samples
            else slice(None)
        )
        centres, _ = kmeans(feats[fit].to(self.device).float(), s.num_clusters, s.iters, s.seed)
        # all proposals, moved to the device batch by batch
        labels = nearest_centres(feats, centres)[0].cpu()
        cluster = dict(zip(ann_ids.tolist(), labels.tolist()))
        data = dict(self.data)
        data['annotations'] = [
            dict(a, category_id=cluster[a['id']] + 1) for a in self.data['annotations']
        ]
        data['categories'] = [
            dict(id=i + 1, name=f'cluster_{i + 1}', supercategory='cluster')
            for i in range(s.num_clusters)
        ]
        pca = self.work.load('pca.pt')
        info = dict(data.get('info') or {})
        info['clustering'] = dict(
            asdict(s),
            method='RoIAlign features of the last backbone stage, PCA, K-means '
            '(AlignDet, ICCV 2023, App. B.5)',
            proposals_of=osp.basename(self.proposal_file),
            pca_explained_variance=round(pca['explained'], 4),
            pca_proposals=pca['proposals'],
        )
        data['info'] = info
        self.work.finish({self.out: data})  # the output, atomically; then the parts go
        sizes = torch.bincount(labels, minlength=s.num_clusters)
        return dict(
            out=self.out,
            images=len(self.images),
            proposals=len(labels),
            clusters=s.num_clusters,
            features=pca['features'],
            pca_dims=len(pca['components']),
            empty=int((sizes == 0).sum()),
            smallest=int(sizes.min()),
            largest=int(sizes.max()),
            explained=pca['explained'],
            kmeans_s=time.time() - start,
        )


def cluster_proposals(proposal_file, img_dir, out, settings=ClusterSettings(), device=None):
    """Run a whole :class:`ClusterJob` (continuing a killed one); return its summary."""
    job = ClusterJob(proposal_file, img_dir, out, settings, device)
    for _ in job.fit_pca():
        pass
    for _ in job.extract():
        pass
    return job.finish()
