import torch

generators = [torch.Generator("cpu").manual_seed(i) for i in range(4)]
