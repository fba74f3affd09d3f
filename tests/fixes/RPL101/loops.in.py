from torch import Generator
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
prompts = ["a cat", "a dog"]

for i in range(4):
    # numbered variations
    pipe(prompts[0]).images[0].save(f"cat_{i}.png")

for index, prompt in enumerate(prompts):
    pipe(prompt, num_inference_steps=25).images[0].save(f"{index}.png")

for prompt in prompts:
    for steps in (20, 50):
        image = pipe(
            prompt,
            num_inference_steps=steps,
        ).images[0]

images = [pipe(p).images[0] for p in prompts]
