# LCM always draws in step; FlowMatchEuler only with stochastic_sampling=True.
import torch
from diffusers import FlowMatchEulerDiscreteScheduler, LCMScheduler
from diffusers.utils.torch_utils import randn_tensor

torch.use_deterministic_algorithms(True)  # expect: RPL302

lcm = LCMScheduler.from_pretrained("SimianLuo/LCM_Dreamshaper_v7", subfolder="scheduler")
lcm.set_timesteps(4)
generator = torch.Generator("cpu").manual_seed(0)
latents = randn_tensor((1, 4, 96, 96), generator=generator)
for t in lcm.timesteps:
    model_pred = transformer(latents, t)
    latents, denoised = lcm.step(model_pred, t, latents, return_dict=False)  # expect: RPL110

flow = FlowMatchEulerDiscreteScheduler(shift=3.0)
for t in flow.timesteps:
    latents = flow.step(transformer(latents, t), t, latents).prev_sample

stochastic_flow = FlowMatchEulerDiscreteScheduler.from_config(flow.config, stochastic_sampling=True)
for t in stochastic_flow.timesteps:
    latents = stochastic_flow.step(transformer(latents, t), t, latents).prev_sample  # expect: RPL110
    latents = stochastic_flow.step(transformer(latents, t), t, latents, generator=generator).prev_sample
