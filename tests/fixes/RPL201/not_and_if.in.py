def main(seed=None):
    if not seed:  # no seed given
        seed = 42
    if seed:
        print("seeded")
    return seed
