import torch as T
from diffusers import StableDiffusionPipeline as SD

pipe = SD.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
image = pipe(
    "an astronaut riding a horse",  # the prompt
    num_inference_steps=30,
    guidance_scale=7.5,  # classifier-free guidance
).images[0]
