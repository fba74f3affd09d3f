import torch

generator = torch.Generator().manual_seed(args.seed) if args.seed is not None else None
