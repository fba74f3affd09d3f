import torch

from models.unet import TinyUNet
from repro import setup


def main():
    setup(seed=1234)
    model = TinyUNet().to("cuda")
    with torch.no_grad():
        out = model(torch.zeros(1, 4, 8, 8, device="cuda"))
    print(out.shape)


if __name__ == "__main__":
    main()
