from diffusers import DDIMScheduler

scheduler = DDIMScheduler()


def denoise(model, sample, rounds):
    for _ in range(rounds):
        for t in scheduler.timesteps:
            sample = scheduler.step(model(sample, t), t, sample, eta=1.0).prev_sample  # stochastic DDIM
    return sample
