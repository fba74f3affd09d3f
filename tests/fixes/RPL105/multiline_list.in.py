from torch import Generator

generators = [
    Generator("cpu").manual_seed(100 + 7),  # base seed
] * (2 + 2)
