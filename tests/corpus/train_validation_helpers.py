"""Validation and app helpers of a LoRA training project, shaped like diffusers' examples: the
pipeline and the accelerator arrive as plain parameters, with no annotation and no call site here."""

import logging
from contextlib import nullcontext

import numpy as np
import torch

logger = logging.getLogger(__name__)


def log_validation(pipeline, args, accelerator, pipeline_args, epoch, torch_dtype, is_final_validation=False):
    logger.info(
        f"Running validation... \n Generating {args.num_validation_images} images with prompt:"
        f" {args.validation_prompt}."
    )
    pipeline = pipeline.to(accelerator.device, dtype=torch_dtype)
    pipeline.set_progress_bar_config(disable=True)

    # run inference
    generator = torch.Generator(device=accelerator.device).manual_seed(args.seed) if args.seed is not None else None
    autocast_ctx = torch.autocast(accelerator.device.type) if not is_final_validation else nullcontext()

    with autocast_ctx:
        images = [pipeline(**pipeline_args, generator=generator).images[0] for _ in range(args.num_validation_images)]  # expect: RPL106

    for tracker in accelerator.trackers:
        phase_name = "test" if is_final_validation else "validation"
        if tracker.name == "tensorboard":
            np_images = np.stack([np.asarray(img) for img in images])
            tracker.writer.add_images(phase_name, np_images, epoch, dataformats="NHWC")
    del pipeline
    torch.cuda.empty_cache()
    return images


def noisy_latents(noise_scheduler, latents, timesteps, accelerator, seed):
    # A low-level draw: the generator must live on the device it fills.
    generator = torch.Generator(device=accelerator.device).manual_seed(seed)
    noise = torch.randn(latents.shape, generator=generator, device=accelerator.device, dtype=latents.dtype)
    return noise_scheduler.add_noise(latents, noise, timesteps)


def preview(pipe, prompt, seed):
    # The app's quick preview: a parameter `pipe` called with the process-global generator.
    return pipe(prompt, num_inference_steps=4, guidance_scale=0.0, generator=torch.manual_seed(seed)).images[0]  # expect: RPL104


def preview_on_gpu(pipe, prompt, seed):
    generator = torch.Generator("cuda").manual_seed(seed)
    first = pipe(prompt, generator=generator).images[0]  # noqa: RPL106 (kept for the GPU benchmark)
    generator.manual_seed(seed)
    second = pipe(prompt + ", night", generator=generator).images[0]  # expect: RPL106
    return first, second
