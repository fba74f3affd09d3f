def main(seed=None):
    if seed is None:  # no seed given
        seed = 42
    if seed is not None:
        print("seeded")
    return seed
