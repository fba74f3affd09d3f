# Condensed from diffusers examples/dreambooth/train_dreambooth_lora.py (validation and seeding).
import argparse
import gc

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from diffusers import DiffusionPipeline, DPMSolverMultistepScheduler


def parse_args(input_args=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--num_validation_images", type=int, default=4)
    parser.add_argument("--validation_prompt", type=str, default=None)
    return parser.parse_args(input_args)


def log_validation(pipeline, args, accelerator, pipeline_args, epoch, is_final_validation=False):
    scheduler_args = {}
    if "variance_type" in pipeline.scheduler.config:
        variance_type = pipeline.scheduler.config.variance_type
        if variance_type in ["learned", "learned_range"]:
            variance_type = "fixed_small"
        scheduler_args["variance_type"] = variance_type

    pipeline.scheduler = DPMSolverMultistepScheduler.from_config(pipeline.scheduler.config, **scheduler_args)
    pipeline = pipeline.to(accelerator.device)
    pipeline.set_progress_bar_config(disable=True)

    generator = torch.Generator(device=accelerator.device).manual_seed(args.seed) if args.seed else None  # expect: RPL201

    images = [pipeline(**pipeline_args, generator=generator).images[0] for _ in range(args.num_validation_images)]  # expect: RPL102, RPL106
    del pipeline
    torch.cuda.empty_cache()
    return images


def main(args):
    accelerator = Accelerator(gradient_accumulation_steps=1, mixed_precision="fp16")
    if args.seed is not None:
        set_seed(args.seed)
    pipeline = DiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5", torch_dtype=torch.float16)
    images = log_validation(pipeline, args, accelerator, {"prompt": args.validation_prompt}, epoch=0)
    gc.collect()


if __name__ == "__main__":
    args = parse_args()
    main(args)
