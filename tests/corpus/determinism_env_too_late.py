# The workspace variable is set after the model already ran on the GPU.
import os

import torch

torch.manual_seed(0)
model = torch.nn.Linear(128, 128).cuda()
warmup = model(torch.ones(8, 128, device="cuda"))

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
torch.use_deterministic_algorithms(True)  # expect: RPL302
out = model(torch.ones(8, 128, device="cuda"))
