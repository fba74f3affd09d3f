# Notebook-style top-level code exported from Colab: cells run top to bottom.
import torch
from diffusers import AutoPipelineForText2Image

torch.cuda.manual_seed_all(0)

pipe = AutoPipelineForText2Image.from_pretrained("stabilityai/sdxl-turbo", torch_dtype=torch.float16, variant="fp16")
pipe.to("cuda")  # expect: RPL308

# %%
generator = torch.Generator("cpu").manual_seed(42)
prompt = "A cinematic shot of a baby racoon wearing an intricate italian priest robe."
image = pipe(prompt=prompt, num_inference_steps=1, guidance_scale=0.0, generator=generator).images[0]
image

# %%
image = pipe(prompt=prompt + ", at night", num_inference_steps=1, guidance_scale=0.0, generator=generator).images[0]  # expect: RPL102
image

# %%
generator = torch.Generator("cpu")
image = pipe(prompt=prompt, num_inference_steps=1, guidance_scale=0.0, generator=generator).images[0]  # expect: RPL107

# %%
for seed in [1, 2, 3]:
    generator.manual_seed(seed)
    image = pipe(prompt=prompt, num_inference_steps=1, guidance_scale=0.0, generator=generator).images[0]
