"""A training script whose loaders are built by the data module, options passed as **kwargs."""
import argparse

import torch

from data import build_loader, build_seeded_loader, build_shuffled_loader, seed_worker


def main(args, train_set, eval_set):
    torch.manual_seed(args.seed)
    loader_kwargs = dict(num_workers=4, shuffle=True, pin_memory=True)
    train_loader = build_loader(train_set, **loader_kwargs)  # expect: RPL304
    eval_loader = build_loader(eval_set, num_workers=4)
    augmented = build_shuffled_loader(train_set, num_workers=args.workers)  # expect: RPL304
    in_process = build_shuffled_loader(train_set, num_workers=0)
    seeded = build_seeded_loader(train_set, args.seed, **loader_kwargs)
    generator = torch.Generator().manual_seed(args.seed)
    passed_on = build_loader(train_set, generator=generator, worker_init_fn=seed_worker, **loader_kwargs)
    literal = build_loader(train_set, **{"num_workers": 2, "shuffle": True})  # expect: RPL304
    options = {"batch_size": 8}
    options.update(loader_kwargs)
    updated = build_loader(train_set, **options)  # expect: RPL304
    eval_options = dict(batch_size=8)
    eval_options.update(num_workers=2)
    evaluated = build_loader(eval_set, **eval_options)
    return train_loader, eval_loader, augmented, in_process, seeded, passed_on, literal, updated, evaluated


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=8)
    main(parser.parse_args(), None, None)
