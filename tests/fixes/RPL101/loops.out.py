from torch import Generator
from diffusers import StableDiffusionPipeline
import itertools

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
prompts = ["a cat", "a dog"]

for i in range(4):
    # numbered variations
    pipe(prompts[0], generator=Generator("cpu").manual_seed(i)).images[0].save(f"cat_{i}.png")

for index, prompt in enumerate(prompts):
    pipe(prompt, num_inference_steps=25, generator=Generator("cpu").manual_seed(index)).images[0].save(f"{index}.png")

generator_seeds = itertools.count(0)
for prompt in prompts:
    for steps in (20, 50):
        image = pipe(
            prompt,
            num_inference_steps=steps,
            generator=Generator("cpu").manual_seed(next(generator_seeds)),
        ).images[0]

generator_seeds = itertools.count(0)
images = [pipe(p, generator=Generator("cpu").manual_seed(next(generator_seeds))).images[0] for p in prompts]
