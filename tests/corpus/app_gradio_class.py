# A Gradio demo wrapping a pipeline in a class; the seed slider goes where a generator belongs.
import gradio as gr
import torch
from diffusers import DiffusionPipeline


class Demo:
    def __init__(self, model_id: str = "stabilityai/stable-diffusion-xl-base-1.0"):
        self.pipe = DiffusionPipeline.from_pretrained(model_id, torch_dtype=torch.float16, device_map="cuda")  # expect: RPL308
        self.default_seed = 0

    def infer(self, prompt: str, seed: int = 0, steps: int = 25):
        return self.pipe(prompt, num_inference_steps=steps, generator=seed).images[0]  # expect: RPL103

    def infer_fixed(self, prompt: str, seed: int = 0):
        generator = torch.Generator("cpu").manual_seed(seed if seed is not None else self.default_seed)
        return self.pipe(prompt, generator=generator).images[0]

    def infer_random(self, prompt: str, randomize_seed: bool = False):
        seed = self.default_seed if not self.default_seed else 7  # expect: RPL201
        return self.pipe(prompt, generator=torch.Generator().manual_seed(seed)).images[0]


demo = Demo()
gr.Interface(fn=demo.infer, inputs=["text", gr.Slider(0, 2**31)], outputs="image").launch()
