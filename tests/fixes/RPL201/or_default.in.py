seed = cfg.train.seed or 1234
print("seed", (cfg.train.seed or 7))
offset = 1 + (seed or 1)
