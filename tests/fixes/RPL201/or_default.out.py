seed = cfg.train.seed if cfg.train.seed is not None else 1234
print("seed", (cfg.train.seed if cfg.train.seed is not None else 7))
offset = 1 + (seed if seed is not None else 1)
