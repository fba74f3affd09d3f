import argparse

import torch

from unet import TinyUNet


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deterministic", action="store_true")  # expect: RPL301
    args = parser.parse_args()
    model = TinyUNet().to("cuda")
    print(model(torch.zeros(1, 4, 8, 8, device="cuda")).sum(), args)


if __name__ == "__main__":
    main()
