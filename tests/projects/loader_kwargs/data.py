"""Data loading helpers shared by the training scripts: each passes its caller's options on."""
import random

import numpy
import torch
from torch.utils.data import DataLoader


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    numpy.random.seed(worker_seed)
    random.seed(worker_seed)


def build_loader(dataset, **kwargs):
    return DataLoader(dataset, batch_size=8, **kwargs)


def build_shuffled_loader(dataset, **kwargs):
    return DataLoader(dataset, shuffle=True, batch_size=8, **kwargs)


def build_seeded_loader(dataset, seed, **kwargs):
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, worker_init_fn=seed_worker, generator=generator, **kwargs)
