"""A training toolkit's base class: it seeds torch's global RNG in its constructor, only when the
run was given a seed."""
import torch


class BaseTrainer:
    def __init__(self, args):
        self.args = args
        if args.seed is not None:
            torch.manual_seed(args.seed)

    def encode(self, vae, pixels):
        # Run from any entry point: this module cannot tell whether the instance was seeded.
        return vae.encode(pixels).latent_dist.sample()  # expect: RPL111


def seed_if_given(seed):
    if seed is not None:
        torch.manual_seed(seed)
