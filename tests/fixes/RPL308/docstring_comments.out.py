#!/usr/bin/env python
"""Render a cat on the GPU."""
import os
import torch as T
from diffusers import DiffusionPipeline  # the pipeline

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
T.use_deterministic_algorithms(True)
T.backends.cudnn.deterministic = True
T.backends.cudnn.benchmark = False

# Load the model.
pipe = DiffusionPipeline.from_pretrained("some/model", torch_dtype=T.float16)
pipe.enable_model_cpu_offload()
image = pipe("a cat", generator=T.Generator("cpu").manual_seed(0)).images[0]
