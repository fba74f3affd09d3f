import numpy as np
import torch

from models.unet import TinyUNet


class HEDdetector:
    def __init__(self):
        self.netNetwork = TinyUNet(3).cuda().eval()

    def __call__(self, input_image):
        with torch.no_grad():
            image_hed = torch.from_numpy(input_image.copy()).float().cuda()
            edge = self.netNetwork(image_hed)[0]
            return (edge.cpu().numpy() * 255.0).clip(0, 255).astype(np.uint8)
