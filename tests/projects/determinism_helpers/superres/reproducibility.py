"""The project's run setup: seeding and determinism, called by every training script."""
import os
import random

import numpy as np
import torch


def setup_run(seed: int) -> None:
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


def setup_run_lenient(seed: int) -> None:
    # Deterministic where torch can be; ops without a deterministic kernel only warn.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def prepare(seed: int) -> None:
    # One more level: the setup is reached through another project function.
    setup_run(seed)
