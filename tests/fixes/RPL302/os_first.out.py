import os, sys
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
from torch import use_deterministic_algorithms, nn


def main():
    use_deterministic_algorithms(True)
    return nn.Linear(2, 2).cuda()
