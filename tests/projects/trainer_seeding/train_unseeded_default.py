"""--seed defaults to None: a run without it draws unseeded latents, through the same base class."""
import argparse

import torch
from diffusers import AutoencoderKL

from base_trainer import BaseTrainer


class LoRATrainer(BaseTrainer):
    def __init__(self, args):
        super().__init__(args)
        self.vae = AutoencoderKL.from_pretrained("stabilityai/sd-vae-ft-mse")

    def cache_latents(self, batch):
        return self.vae.encode(batch).latent_dist.sample()  # expect: RPL111


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    trainer = LoRATrainer(args)
    trainer.cache_latents(torch.zeros(1, 3, 64, 64))
    return trainer.vae.encode(torch.zeros(1, 3, 64, 64)).latent_dist.sample()  # expect: RPL111


if __name__ == "__main__":
    main()
