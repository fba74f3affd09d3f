import torch as T
from diffusers import DiffusionPipeline, EulerAncestralDiscreteScheduler as Euler

pipe = DiffusionPipeline.from_pretrained("some/model")
pipe.scheduler = Euler.from_config(pipe.scheduler.config)
latents = pipe.scheduler.step(
    noise_pred,
    t,
    latents,
).prev_sample
