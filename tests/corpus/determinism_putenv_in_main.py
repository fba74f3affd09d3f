# os.putenv inside main, before any CUDA work there: fine.
import os

import torch


def main():
    os.putenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(1)
    model = torch.nn.Linear(4, 4).to("cuda")
    return model(torch.zeros(1, 4, device="cuda"))


if __name__ == "__main__":
    main()
