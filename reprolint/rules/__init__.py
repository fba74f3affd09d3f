"""The rule catalogue. Adding a rule: write one module here and list its class in ``ALL_RULES``."""

from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.rpl101_pipeline_call_without_generator import PipelineCallWithoutGenerator
from reprolint.rules.rpl102_generator_reused import GeneratorReused
from reprolint.rules.rpl103_seed_not_generator import SeedNotGenerator
from reprolint.rules.rpl104_global_generator import GlobalGenerator
from reprolint.rules.rpl105_generator_list_aliasing import GeneratorListAliasing
from reprolint.rules.rpl106_device_generator import DeviceGenerator
from reprolint.rules.rpl107_unseeded_generator import UnseededGenerator
from reprolint.rules.rpl108_batch_shares_generator import BatchSharesGenerator
from reprolint.rules.rpl109_latents_without_generator import LatentsWithoutGenerator
from reprolint.rules.rpl110_stochastic_step_without_generator import StochasticStepWithoutGenerator
from reprolint.rules.rpl111_vae_sample_without_generator import VaeSampleWithoutGenerator
from reprolint.rules.rpl112_sde_scheduler_without_noise_seed import SdeSchedulerWithoutNoiseSeed
from reprolint.rules.rpl113_seeded_generator_ignored import SeededGeneratorIgnored
from reprolint.rules.rpl114_generator_default_argument import GeneratorDefaultArgument
from reprolint.rules.rpl201_seed_truthiness import SeedTruthiness
from reprolint.rules.rpl202_unseeded_entry_point import UnseededEntryPoint
from reprolint.rules.rpl203_trainer_without_seed import TrainerWithoutSeed
from reprolint.rules.rpl302_cublas_workspace_missing import CublasWorkspaceMissing
from reprolint.rules.rpl303_cudnn_benchmark import CudnnBenchmark
from reprolint.rules.rpl304_dataloader_unseeded_workers import DataloaderUnseededWorkers
from reprolint.rules.rpl305_nondeterministic_backend import NondeterministicBackend
from reprolint.rules.rpl306_determinism_undone import DeterminismUndone
from reprolint.rules.rpl301_missing_determinism_setup import MissingDeterminismSetup
from reprolint.rules.rpl307_set_iteration_order import SetIterationOrder
from reprolint.rules.rpl401_unpinned_framework import UnpinnedFramework
from reprolint.rules.rpl900_unused_noqa import UnusedNoqa

ALL_RULES: tuple = tuple(
    sorted(
        [
            PipelineCallWithoutGenerator,
            GeneratorReused,
            SeedNotGenerator,
            GlobalGenerator,
            GeneratorListAliasing,
            DeviceGenerator,
            UnseededGenerator,
            MissingDeterminismSetup,
            BatchSharesGenerator,
            LatentsWithoutGenerator,
            StochasticStepWithoutGenerator,
            VaeSampleWithoutGenerator,
            SdeSchedulerWithoutNoiseSeed,
            SeededGeneratorIgnored,
            GeneratorDefaultArgument,
            SeedTruthiness,
            UnseededEntryPoint,
            TrainerWithoutSeed,
            CublasWorkspaceMissing,
            CudnnBenchmark,
            DataloaderUnseededWorkers,
            NondeterministicBackend,
            DeterminismUndone,
            SetIterationOrder,
            UnpinnedFramework,
            UnusedNoqa,
        ],
        key=lambda rule: rule.code,
    )
)

RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
RULES_BY_NAME = {rule.name: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "RULES_BY_NAME", "Example", "Rule"]
