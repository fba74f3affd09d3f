# A workspace value that does not make cuBLAS deterministic.
import os

os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":0:0"
import torch

torch.use_deterministic_algorithms(True)  # expect: RPL302
torch.backends.cudnn.benchmark = bool(os.environ.get("BENCHMARK"))
