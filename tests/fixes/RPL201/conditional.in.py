import torch

generator = torch.Generator().manual_seed(args.seed) if args.seed else None
