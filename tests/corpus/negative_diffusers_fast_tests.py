# The diffusers fast-test pattern: full determinism, dummy components, a per-device generator.
import unittest

import numpy as np
import torch
from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from diffusers.utils.testing_utils import enable_full_determinism, torch_device

enable_full_determinism()


class StableDiffusionPipelineFastTests(unittest.TestCase):
    pipeline_class = StableDiffusionPipeline

    def get_dummy_components(self):
        torch.manual_seed(0)
        unet = UNet2DConditionModel(
            block_out_channels=(4, 8),
            layers_per_block=1,
            sample_size=32,
            in_channels=4,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=32,
        )
        scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False)
        torch.manual_seed(0)
        vae = AutoencoderKL(block_out_channels=[4, 8], in_channels=3, out_channels=3, latent_channels=4)
        return {"unet": unet, "scheduler": scheduler, "vae": vae}

    def get_dummy_inputs(self, device, seed=0):
        if str(device).startswith("mps"):
            generator = torch.manual_seed(seed)
        else:
            generator = torch.Generator(device=device).manual_seed(seed)
        return {
            "prompt": "A painting of a squirrel eating a burger",
            "generator": generator,
            "num_inference_steps": 2,
            "guidance_scale": 6.0,
            "output_type": "np",
        }

    def test_stable_diffusion_ddim(self):
        device = "cpu"
        components = self.get_dummy_components()
        sd_pipe = StableDiffusionPipeline(**components)
        sd_pipe = sd_pipe.to(torch_device)
        sd_pipe.set_progress_bar_config(disable=None)

        inputs = self.get_dummy_inputs(device)
        output = sd_pipe(**inputs)
        image_slice = output.images[0, -3:, -3:, -1]
        expected_slice = np.array([0.5643, 0.6017, 0.4799, 0.5267, 0.5584, 0.4641, 0.5159, 0.4963, 0.4791])
        assert np.abs(image_slice.flatten() - expected_slice).max() < 1e-2

    def test_inference_batch_single_identical(self):
        sd_pipe = StableDiffusionPipeline(**self.get_dummy_components())
        inputs = self.get_dummy_inputs("cpu")
        batched = dict(inputs)
        batched["prompt"] = [inputs["prompt"]] * 3
        batched["generator"] = [torch.Generator("cpu").manual_seed(0) for _ in range(3)]
        output_batch = sd_pipe(**batched)
        output = sd_pipe(**self.get_dummy_inputs("cpu"))
        assert np.abs(output_batch.images[0] - output.images[0]).max() < 1e-4
