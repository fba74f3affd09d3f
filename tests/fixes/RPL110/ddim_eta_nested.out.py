from diffusers import DDIMScheduler
import torch

scheduler = DDIMScheduler()


def denoise(model, sample, rounds):
    step_generator = torch.Generator("cpu").manual_seed(0)
    for _ in range(rounds):
        for t in scheduler.timesteps:
            sample = scheduler.step(model(sample, t), t, sample, eta=1.0, generator=step_generator).prev_sample  # stochastic DDIM
    return sample
