import torch
from accelerate import Accelerator

from launcher import run_training
from unet import TinyUNet


def main():
    accelerator = Accelerator()  # expect: RPL203
    model = TinyUNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model, optimizer = accelerator.prepare(model, optimizer)
    run_training(accelerator, model, [], optimizer)


if __name__ == "__main__":
    main()
