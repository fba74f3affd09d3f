import torch
try:
    import xformers  # optional
except ImportError:
    xformers = None
from diffusers import DiffusionPipeline
def main():
    pipe = DiffusionPipeline.from_pretrained("some/model", device_map="cuda")
    return pipe("a cat", generator=torch.Generator("cpu").manual_seed(0))


if __name__ == "__main__":
    main()
