# Distributed data loading: one loader seeds its workers, one does not.
import random

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


def build_loaders(train_set, val_set, args):
    g = torch.Generator()
    g.manual_seed(args.seed)
    train_loader = DataLoader(
        train_set,
        batch_size=args.batch_size,
        sampler=DistributedSampler(train_set, seed=args.seed),
        num_workers=args.workers,
        worker_init_fn=seed_worker,
        generator=g,
    )
    aux_loader = DataLoader(train_set, sampler=DistributedSampler(train_set), num_workers=4)  # expect: RPL304
    val_loader = DataLoader(val_set, batch_size=args.batch_size, sampler=None, num_workers=args.workers)
    single_process = DataLoader(train_set, shuffle=True, num_workers=0)
    return train_loader, aux_loader, val_loader, single_process


if __name__ == "__main__":
    dist.init_process_group("nccl")
    torch.manual_seed(0)
