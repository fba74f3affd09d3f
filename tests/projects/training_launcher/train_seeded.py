import argparse

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed

from launcher import run_training
from unet import TinyUNet


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    accelerator = Accelerator()
    set_seed(args.seed)
    model = TinyUNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model, optimizer = accelerator.prepare(model, optimizer)
    run_training(accelerator, model, [], optimizer)  # expect: RPL301


if __name__ == "__main__":
    main()
