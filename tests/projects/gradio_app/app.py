import random

import gradio as gr
import numpy as np
import torch
from diffusers import StableDiffusionXLPipeline

MAX_SEED = np.iinfo(np.int32).max

pipe = StableDiffusionXLPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16)
pipe.to("cuda")


def randomize_seed_fn(seed: int, randomize_seed: bool) -> int:
    if randomize_seed:
        seed = random.randint(0, MAX_SEED)
    return seed


def generate(prompt, seed, randomize_seed, num_steps=30):
    if randomize_seed:
        seed = random.randint(0, MAX_SEED)
    generator = torch.Generator("cpu").manual_seed(seed)
    return pipe(prompt, num_inference_steps=num_steps, generator=generator).images[0], seed


def generate_batch(prompts, batch_seed=None):
    if not batch_seed:  # expect: RPL201
        batch_seed = random.randint(0, MAX_SEED)
    generators = [torch.Generator("cpu").manual_seed(batch_seed + i) for i in range(len(prompts))]
    return pipe(prompts, generator=generators).images


with gr.Blocks() as demo:
    prompt = gr.Text(label="Prompt")
    seed = gr.Slider(label="Seed", minimum=0, maximum=MAX_SEED, step=1, value=0)
    randomize_seed = gr.Checkbox(label="Randomize seed", value=True)
    result = gr.Image(label="Result")
    gr.Button("Run").click(fn=generate, inputs=[prompt, seed, randomize_seed], outputs=[result, seed])

demo.queue().launch()
