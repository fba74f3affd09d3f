import torch

generators = [torch.Generator("cpu").manual_seed(0)] * 4
