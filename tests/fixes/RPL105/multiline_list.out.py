from torch import Generator

generators = [
    Generator("cpu").manual_seed((100 + 7) + i) for i in range(2 + 2)  # base seed
]
