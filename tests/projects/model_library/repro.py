import os

import torch


def make_deterministic(seed: int = 0) -> None:
    os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)


def setup(seed: int = 0) -> None:
    make_deterministic(seed)
