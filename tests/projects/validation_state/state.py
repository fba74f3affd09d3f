"""Training state kept on one object, made here and used by the validation module."""
import torch


class TrainState:
    def __init__(self, seed: int):
        self.step = 0
        self.generator = torch.Generator("cpu").manual_seed(seed)
