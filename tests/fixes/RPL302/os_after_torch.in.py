"""Train a tiny model deterministically."""
import random

# the framework
import torch as T
import os

T.use_deterministic_algorithms(True, warn_only=True)
model = T.nn.Linear(2, 2).to("cuda")
print(os.getcwd())
