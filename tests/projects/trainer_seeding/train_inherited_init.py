"""A subclass without a constructor of its own: constructing it runs the base's seeding
constructor; --seed is a truth test with a nonzero default."""
import argparse

from diffusers import AutoencoderKL

from base_trainer import BaseTrainer, seed_if_given


class CacheTrainer(BaseTrainer):
    def cache_latents(self, vae, batch):
        return vae.encode(batch).latent_dist.sample()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--data_seed", type=int)
    args = parser.parse_args()
    vae = AutoencoderKL.from_pretrained("stabilityai/sd-vae-ft-mse")
    CacheTrainer(args).cache_latents(vae, None)


def cache_with_data_seed():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data_seed", type=int)
    args = parser.parse_args()
    # A helper that seeds only when given a seed, given an option that defaults to None.
    seed_if_given(args.data_seed)
    vae = AutoencoderKL.from_pretrained("stabilityai/sd-vae-ft-mse")
    return vae.encode(None).latent_dist.sample()  # expect: RPL111


if __name__ == "__main__":
    main()
