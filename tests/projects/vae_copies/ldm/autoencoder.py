from torch import nn

from .distributions import DiagonalGaussianDistribution


class AutoencoderKL(nn.Module):
    def __init__(self, encoder, quant_conv):
        super().__init__()
        self.encoder = encoder
        self.quant_conv = quant_conv

    def encode(self, x):
        return DiagonalGaussianDistribution(self.quant_conv(self.encoder(x)))
