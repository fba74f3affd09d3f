# A ControlNet trainer that asks accelerate for determinism, then turns on fast kernels.
import argparse

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from diffusers import ControlNetModel, UNet2DConditionModel
from torch.utils.data import DataLoader, RandomSampler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--enable_xformers_memory_efficient_attention", action="store_true")
    args = parser.parse_args()

    accelerator = Accelerator()
    set_seed(args.seed, deterministic=True)

    unet = UNet2DConditionModel.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5", subfolder="unet")
    controlnet = ControlNetModel.from_unet(unet)
    if args.enable_xformers_memory_efficient_attention:
        unet.enable_xformers_memory_efficient_attention()  # expect: RPL305
        controlnet.enable_xformers_memory_efficient_attention()  # expect: RPL305
    torch.backends.cuda.matmul.allow_tf32 = True  # expect: RPL305
    controlnet = torch.compile(controlnet)  # expect: RPL305

    dataset = make_dataset()
    loader = DataLoader(dataset, sampler=RandomSampler(dataset), batch_size=4, num_workers=8)  # expect: RPL304
    eval_loader = DataLoader(dataset, shuffle=False, batch_size=4, num_workers=8)
    controlnet, loader = accelerator.prepare(controlnet, loader)
    for batch in loader:
        loss = controlnet(**batch).loss
        accelerator.backward(loss)


if __name__ == "__main__":
    main()
