"""What reprolint knows about the torch, diffusers, accelerate and transformers APIs.

Every entry is a fully qualified name, matched after import resolution (see ``imports.py``).
The tables in ``reprolint/data`` are generated from diffusers by scripts in ``scripts/``.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

GENERATOR_CLASSES = frozenset({"torch.Generator", "torch._C.Generator"})
GLOBAL_GENERATOR_NAMES = frozenset({"torch.default_generator", "torch.random.default_generator"})
GLOBAL_SEED_RETURNING_GENERATOR = frozenset({"torch.manual_seed", "torch.random.manual_seed"})
# Every known generator value (created, global, or a list of these) starts as one of the names
# above, so a module must import one of these packages to hold one; the prefilter
# (``reprolint.prefilter``) skips files that import none of them for rules that need one.
# The last component of each: a module naming none of them (outside annotations) holds no known
# generator, which the prefilter's stdlib-ast stage checks.
GENERATOR_VALUE_NAMES = frozenset(
    name.rsplit(".", 1)[-1] for name in GENERATOR_CLASSES | GLOBAL_GENERATOR_NAMES | GLOBAL_SEED_RETURNING_GENERATOR
)
GENERATOR_PACKAGES = tuple(sorted({
    name.split(".", 1)[0] for name in GENERATOR_CLASSES | GLOBAL_GENERATOR_NAMES | GLOBAL_SEED_RETURNING_GENERATOR
}))

# Functions that draw random numbers and accept ``generator=``.
TORCH_RANDOM_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in (
        "randn", "rand", "randint", "randn_like", "rand_like", "randint_like", "normal",
        "randperm", "multinomial", "bernoulli", "poisson",
    )
) | frozenset({
    "diffusers.utils.torch_utils.randn_tensor",
    "diffusers.utils.randn_tensor",
})
# Low-level draws that take ``generator=`` but are no pipeline, whatever their receiver: the
# functions above under any import path (``from .utils import randn_tensor``), ``scheduler.step``,
# ``latent_dist.sample`` and the in-place tensor samplers. A device generator is right there.
RANDOM_FUNCTION_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in TORCH_RANDOM_FUNCTIONS)
LOW_LEVEL_DRAW_METHODS = frozenset({
    "step", "sample", "normal_", "uniform_", "random_", "bernoulli_", "exponential_", "geometric_",
    "cauchy_", "log_normal_",
})
# Packages whose functions are known not to be pipelines: a ``generator=`` passed to one of them
# (``DataLoader``, ``random_split``, ``torch.nn.init``) is not a pipeline's.
NON_PIPELINE_PACKAGES = frozenset({"torch", "numpy", "random", "diffusers", "transformers", "accelerate"})


def names_a_pipeline(name: str) -> bool:
    """``pipe``, ``self.pipeline``, ``sd_pipe``, ``load_pipeline``: a called name that says it
    holds, or returns, a pipeline."""
    return "pipe" in name.rsplit(".", 1)[-1].lower()

# Tensor methods that fill a tensor in place with random numbers and accept ``generator=``.
TENSOR_RANDOM_METHODS = frozenset({"normal_", "uniform_"})
# Tensor methods whose result holds the same random values as the tensor (a drawn tensor stays
# seeded or unseeded through them).
TENSOR_SAME_VALUES_METHODS = frozenset({
    "to", "cuda", "cpu", "half", "float", "type", "view", "reshape", "expand", "repeat", "clone", "contiguous",
})

PIPELINE_CONSTRUCTORS = frozenset({"from_pretrained", "from_single_file", "from_pipe"})
# Methods of a pipeline that return the pipeline itself.
PIPELINE_SELF_RETURNING = frozenset({"to", "cuda", "cpu", "half", "float", "bfloat16", "to_empty"})
OFFLOAD_METHODS = frozenset({"enable_model_cpu_offload", "enable_sequential_cpu_offload"})
# ``device_map=`` values that put (part of) a model on the GPU.
GPU_DEVICE_MAPS = frozenset({"auto", "balanced", "balanced_low_0", "sequential"})
# Calls whose ``device_map=``/``device=`` put a model on the GPU.
LOADING_METHODS = PIPELINE_CONSTRUCTORS | {"from_pretrained", "from_single_file"}

ACCELERATOR_CLASSES = frozenset({"accelerate.Accelerator", "accelerate.accelerator.Accelerator"})
TORCH_DEVICE_CLASSES = frozenset({"torch.device"})

ENABLE_FULL_DETERMINISM = frozenset({
    "diffusers.utils.torch_utils.enable_full_determinism",
    "diffusers.utils.testing_utils.enable_full_determinism",
    "diffusers.training_utils.enable_full_determinism",
    "transformers.enable_full_determinism",
    "transformers.trainer_utils.enable_full_determinism",
})
USE_DETERMINISTIC_ALGORITHMS = frozenset({"torch.use_deterministic_algorithms"})
# Determinism only with ``deterministic=True``.
SET_SEED_WITH_DETERMINISTIC = frozenset({
    "accelerate.utils.set_seed",
    "accelerate.utils.random.set_seed",
    "transformers.set_seed",
    "transformers.trainer_utils.set_seed",
})
LIGHTNING_TRAINERS = frozenset({
    "lightning.Trainer",
    "lightning.pytorch.Trainer",
    "pytorch_lightning.Trainer",
    "lightning.pytorch.trainer.Trainer",
})

SEED_EVERYTHING_CALLS = frozenset({
    "lightning.seed_everything",
    "lightning.pytorch.seed_everything",
    "pytorch_lightning.seed_everything",
    "lightning.fabric.utilities.seed.seed_everything",
    "lightning.fabric.seed_everything",
})

SEEDING_CALLS = frozenset({
    "torch.manual_seed",
    "torch.random.manual_seed",
    "torch.cuda.manual_seed",
    "torch.cuda.manual_seed_all",
    "random.seed",
    "numpy.random.seed",
    "diffusers.training_utils.set_seed",
    "lightning.seed_everything",
    "lightning.pytorch.seed_everything",
    "pytorch_lightning.seed_everything",
    "lightning.fabric.utilities.seed.seed_everything",
}) | SET_SEED_WITH_DETERMINISTIC | ENABLE_FULL_DETERMINISM

# Calls that seed torch's global CPU generator, the one a draw without ``generator=`` uses
# (``random.seed``, ``numpy.random.seed`` and ``torch.cuda.manual_seed`` do not).
TORCH_GLOBAL_SEEDING_CALLS = frozenset({
    "torch.manual_seed",
    "torch.random.manual_seed",
    "diffusers.training_utils.set_seed",
    "transformers.enable_full_determinism",
    "transformers.trainer_utils.enable_full_determinism",
}) | SET_SEED_WITH_DETERMINISTIC | SEED_EVERYTHING_CALLS


# Calls that re-seed torch's global generator at random: a seed set before them no longer holds.
TORCH_RANDOM_RESEEDING = frozenset({"torch.seed", "torch.random.seed"})


# Every pipeline value starts as a name under one of these packages (see is_pipeline_class_name);
# the prefilter relies on it to skip files that import none of them for pipeline rules.
PIPELINE_PACKAGES = ("diffusers",)


def is_pipeline_class_name(qualified: str) -> bool:
    """``diffusers.StableDiffusionPipeline``, ``diffusers.AutoPipelineForText2Image``, ..."""
    if not qualified.startswith(tuple(package + "." for package in PIPELINE_PACKAGES)):
        return False
    last = qualified.rsplit(".", 1)[-1]
    return last.endswith("Pipeline") or last.startswith("AutoPipelineFor")


@functools.lru_cache(maxsize=None)
def _pipeline_table() -> dict:
    text = resources.files("reprolint.data").joinpath("pipelines.json").read_text("utf-8")
    return json.loads(text)


def is_sampling_pipeline_class(qualified: str | None) -> bool:
    """False for pipelines whose ``__call__`` takes no generator (they draw no noise)."""
    if qualified is None:
        return True
    return qualified.rsplit(".", 1)[-1] not in _pipeline_table()["non_sampling"]


def is_cuda_device_string(text: str) -> bool:
    return text == "cuda" or text.startswith("cuda:")


def is_accelerator_device_string(text: str) -> bool:
    """Devices whose random streams differ from the CPU's for the same seed."""
    return is_cuda_device_string(text) or text == "mps" or text.startswith("mps:")


# -- schedulers (table generated by scripts/generate_scheduler_table.py)

@functools.lru_cache(maxsize=None)
def _scheduler_table() -> dict:
    text = resources.files("reprolint.data").joinpath("schedulers.json").read_text("utf-8")
    return json.loads(text)


def scheduler_step_noise(qualified: str | None) -> dict | None:
    """How ``step`` of a scheduler class draws noise (see the table's generator script), or None."""
    if qualified is None or not qualified.startswith("diffusers."):
        return None
    return _scheduler_table()["stochastic_step"].get(qualified.rsplit(".", 1)[-1])


def scheduler_global_noise_seed(qualified: str | None) -> str | None:
    """For schedulers whose noise comes from the global RNG unless seeded by a setting
    (``DPMSolverSDEScheduler``): the name of that setting."""
    if qualified is None or not qualified.startswith("diffusers."):
        return None
    return _scheduler_table()["global_rng"].get(qualified.rsplit(".", 1)[-1])


SCHEDULER_CONSTRUCTORS = frozenset({"from_config", "from_pretrained"})


def is_scheduler_class_name(qualified: str) -> bool:
    return qualified.startswith("diffusers.") and qualified.rsplit(".", 1)[-1].endswith("Scheduler")


# -- VAE latent distributions
DIAGONAL_GAUSSIAN_CLASSES = frozenset({
    "diffusers.models.autoencoders.vae.DiagonalGaussianDistribution",
    "diffusers.models.vae.DiagonalGaussianDistribution",
    "diffusers.models.autoencoder_kl.DiagonalGaussianDistribution",
})
# A class of this name in a project is a copy of diffusers' (kohya's, SGM's, LDM's VAEs).
DIAGONAL_GAUSSIAN_NAME = "DiagonalGaussianDistribution"
# ``AutoencoderKLOutput.latent_dist`` and the encoders that return one.
LATENT_DISTRIBUTION_ATTRIBUTE = "latent_dist"

# -- data loading
# ``dict(num_workers=4, shuffle=True)``, passed as ``**loader_kwargs``
BUILTIN_DICT_CLASSES = frozenset({"builtins.dict"})
DATALOADER_CLASSES = frozenset({
    "torch.utils.data.DataLoader",
    "torch.utils.data.dataloader.DataLoader",
})
# Samplers that shuffle with their own seed (``seed=0`` by default, mixed with the epoch).
SELF_SEEDED_SAMPLERS = frozenset({
    "torch.utils.data.DistributedSampler",
    "torch.utils.data.distributed.DistributedSampler",
})
# Samplers that keep the dataset's order.
ORDERED_SAMPLERS = frozenset({
    "torch.utils.data.SequentialSampler",
    "torch.utils.data.sampler.SequentialSampler",
})
# Samplers that draw their order from ``generator=``, else from torch's global generator.
GENERATOR_SAMPLERS = frozenset({
    "torch.utils.data.RandomSampler",
    "torch.utils.data.sampler.RandomSampler",
    "torch.utils.data.SubsetRandomSampler",
    "torch.utils.data.sampler.SubsetRandomSampler",
    "torch.utils.data.WeightedRandomSampler",
    "torch.utils.data.sampler.WeightedRandomSampler",
})
SEED_EVERYTHING = frozenset({
    "lightning.seed_everything",
    "lightning.pytorch.seed_everything",
    "pytorch_lightning.seed_everything",
    "lightning.fabric.utilities.seed.seed_everything",
    "lightning.fabric.seed_everything",
})

# -- backend switches
CUDNN_BENCHMARK = "torch.backends.cudnn.benchmark"
CUDNN_DETERMINISTIC = "torch.backends.cudnn.deterministic"
FILL_UNINITIALIZED_MEMORY = "torch.utils.deterministic.fill_uninitialized_memory"
TF32_SWITCHES = frozenset({"torch.backends.cuda.matmul.allow_tf32", "torch.backends.cudnn.allow_tf32"})
TORCH_COMPILE = frozenset({"torch.compile"})
SET_FLOAT32_MATMUL_PRECISION = frozenset({"torch.set_float32_matmul_precision"})
XFORMERS_ATTENTION_METHODS = frozenset({"enable_xformers_memory_efficient_attention"})

# -- the process environment
ENVIRON = "os.environ"
ENV_SETDEFAULT = frozenset({"os.environ.setdefault"})
ENV_UPDATE = frozenset({"os.environ.update"})
ENV_PUTENV = frozenset({"os.putenv"})
CUBLAS_WORKSPACE_CONFIG = "CUBLAS_WORKSPACE_CONFIG"
CUBLAS_DETERMINISTIC_WORKSPACES = frozenset({":4096:8", ":16:8"})


# After the last "seed" in a name, what may follow for the name to hold a seed value.
_SEED_VALUE_ENDINGS = ("", "_", "_value", "value", "_val", "val", "_number", "_num", "_int")
_NOT_A_SEED_VALUE_PREFIXES = ("use_", "is_", "has_", "do_", "should_", "enable", "disable", "no_", "fix_",
                              "with_", "set_", "get_", "make_", "init_", "reset_")


def names_a_seed(name: str) -> bool:
    """``seed``, ``random_seed``, ``SEED``, ``seed_value``: names that hold a seed value. Flags
    (``use_seed``), collections (``seeds``, ``seed_indices``), functions (``set_seed``,
    ``seed_worker``) and other numbers (``seed_offset``) do not."""
    lowered = name.lower()
    if "seed" not in lowered:
        return False
    ending = lowered[lowered.rindex("seed") + len("seed"):]
    return ending in _SEED_VALUE_ENDINGS and not lowered.startswith(_NOT_A_SEED_VALUE_PREFIXES)
