import os, sys
from torch import use_deterministic_algorithms, nn


def main():
    use_deterministic_algorithms(True)
    return nn.Linear(2, 2).cuda()
