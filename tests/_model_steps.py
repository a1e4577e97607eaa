"""Helpers of the model tests (tests/models/): a seeded model, a batch of the train loader,
and state-dict snapshots to compare before and after a step."""

import torch


def build_model(cfg):
    from mmdet.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def train_batch(cfg, n=2):
    from mmdet.registry import DATASETS
    from mmengine.dataset import pseudo_collate

    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return pseudo_collate([dataset[i] for i in range(n)])


def state_tensors(module):
    return {n: t.detach().clone() for n, t in module.state_dict().items()}
