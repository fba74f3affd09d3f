import torch

torch.backends.cudnn.benchmark = False
