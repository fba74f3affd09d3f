# Pipeline test helpers in the style of diffusers' tests: generator=None on purpose.
import unittest

import torch
from diffusers import StableDiffusionPipeline


class FastPipelineTests(unittest.TestCase):
    pipeline_class = StableDiffusionPipeline

    def get_dummy_inputs(self, device, seed=0):
        generator = torch.Generator(device="cpu").manual_seed(seed)
        return {
            "prompt": "A painting of a squirrel eating a burger",
            "generator": generator,
            "num_inference_steps": 2,
            "output_type": "np",
        }

    def run_without_generator(self, pipe: StableDiffusionPipeline):
        # The pipeline must also work when no generator is given.
        return pipe("a squirrel", num_inference_steps=2, generator=None, output_type="np").images

    def test_inference(self):
        pipe = self.pipeline_class.from_pretrained("hf-internal-testing/tiny-stable-diffusion-pipe")
        inputs = self.get_dummy_inputs("cpu")
        image = pipe(**inputs).images
        self.assertEqual(image.shape, (1, 64, 64, 3))
