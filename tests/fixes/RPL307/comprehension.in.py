import torch

PROMPTS = ["a cat", "a dog", "a cat"]
seeds = {prompt: torch.Generator().manual_seed(i).initial_seed() for i, prompt in enumerate(set(PROMPTS))}
