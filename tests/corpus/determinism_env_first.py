# The textbook setup: the cuBLAS workspace before torch, then deterministic algorithms.
import os

os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"

import random

import numpy as np
import torch

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
torch.backends.cudnn.benchmark = False
torch.backends.cudnn.deterministic = True

model = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.ReLU()).to("cuda")
out = model(torch.randn(4, 16, device="cuda"))
