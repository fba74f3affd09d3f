import torch
try:
    import xformers  # optional
except ImportError:
    xformers = None
from diffusers import DiffusionPipeline
import os
def main():
    pipe = DiffusionPipeline.from_pretrained("some/model", device_map="cuda")
    return pipe("a cat", generator=torch.Generator("cpu").manual_seed(0))


if __name__ == "__main__":
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    main()
