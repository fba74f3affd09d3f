"""What the command line knows of each rule before any rule is imported.

Importing the rules imports libcst (about half of reprolint's start-up), which a run answered
wholly from the cache, ``--help`` or ``--version`` never needs. Selecting rules (``--select``,
``--ignore``, ``per-file-ignores``), validating the configuration and the cache's keys only need
each rule's code, name and defaults: this table. It is generated from the rule classes:

    python -m reprolint.rules.catalogue      # rewrite this file after adding or changing a rule

and ``tests/test_catalogue.py`` fails while it disagrees with them.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple


class RuleInfo(NamedTuple):
    code: str
    name: str
    summary: str
    default: bool
    file_kinds: tuple
    module: str  # under reprolint.rules
    # The prefilter's text checks (``Rule.triggers``, ``Rule.requires_imports``): a file that
    # fails them for every rule is skipped without importing any rule.
    triggers: tuple = ()
    requires_imports: tuple = ()
    # ``Rule.project_triggers``: project facts whose functions' names stand for the triggers.
    project_triggers: tuple = ()

    def load(self):
        """The rule class (imports its module, and so libcst)."""
        module = importlib.import_module(f"reprolint.rules.{self.module}")
        for value in vars(module).values():
            if getattr(value, "code", None) == self.code and isinstance(value, type):
                return value
        raise LookupError(f"reprolint.rules.{self.module} defines no rule {self.code}")


# -- generated: begin
RULES = (
    RuleInfo('RPL101', 'pipeline-call-without-generator', 'pipeline call without `generator=`', True, ('python',), 'rpl101_pipeline_call_without_generator',
             ('Pipeline',), ('diffusers',)),
    RuleInfo('RPL102', 'generator-reused', 'generator reused across pipeline calls without re-seeding', True, ('python',), 'rpl102_generator_reused',
             ('Pipeline',), ('diffusers',)),
    RuleInfo('RPL103', 'seed-not-generator', 'an int seed passed where a generator belongs', True, ('python',), 'rpl103_seed_not_generator',
             ('generator', 'Generator', 'seed'), ()),
    RuleInfo('RPL104', 'global-generator', 'the process-global generator passed to a pipeline', True, ('python',), 'rpl104_global_generator',
             ('manual_seed', 'default_generator'), ('torch',)),
    RuleInfo('RPL105', 'generator-list-aliasing', 'a list holding one generator several times', True, ('python',), 'rpl105_generator_list_aliasing',
             ('Generator', 'generator'), ('torch',)),
    RuleInfo('RPL106', 'device-generator', 'generator created on a GPU device passed to a pipeline', True, ('python',), 'rpl106_device_generator',
             ('Generator',), ('torch',)),
    RuleInfo('RPL107', 'unseeded-generator', 'generator used without manual_seed', True, ('python',), 'rpl107_unseeded_generator',
             ('Generator',), ('torch',)),
    RuleInfo('RPL108', 'batch-shares-generator', 'a batch of images drawn from one generator', False, ('python',), 'rpl108_batch_shares_generator',
             ('generator',), ()),
    RuleInfo('RPL109', 'latents-without-generator', '`latents=` drawn without a generator', True, ('python',), 'rpl109_latents_without_generator',
             ('latents',), ('diffusers',)),
    RuleInfo('RPL110', 'stochastic-step-without-generator', 'noise-drawing `scheduler.step` without a generator', True, ('python',), 'rpl110_stochastic_step_without_generator',
             ('Scheduler',), ('diffusers',)),
    RuleInfo('RPL111', 'vae-sample-without-generator', 'VAE `latent_dist.sample()` without a generator', True, ('python',), 'rpl111_vae_sample_without_generator',
             ('latent_dist', 'DiagonalGaussianDistribution', 'encode('), ()),
    RuleInfo('RPL112', 'sde-scheduler-without-noise-seed', 'SDE scheduler without `noise_sampler_seed=`', True, ('python',), 'rpl112_sde_scheduler_without_noise_seed',
             ('Scheduler',), ('diffusers',)),
    RuleInfo('RPL113', 'seeded-generator-ignored', 'a draw without the generator its function or class holds', True, ('python',), 'rpl113_seeded_generator_ignored',
             ('enerator',), ('torch', 'diffusers')),
    RuleInfo('RPL114', 'generator-default-argument', "`torch.Generator(...)` as a parameter's default value", True, ('python',), 'rpl114_generator_default_argument',
             ('Generator',), ('torch',)),
    RuleInfo('RPL115', 'project-scheduler-global-noise', "a project scheduler or sampler draws its noise from torch's global RNG", True, ('python',), 'rpl115_project_scheduler_global_noise',
             ('Scheduler', 'Sampler'), ('torch', 'diffusers')),
    RuleInfo('RPL201', 'seed-truthiness', 'seed tested for truth (seed 0 counts as no seed)', True, ('python',), 'rpl201_seed_truthiness',
             ('seed', 'SEED', 'Seed'), ()),
    RuleInfo('RPL202', 'unseeded-entry-point', 'entry point that draws randomness but never seeds', False, ('python',), 'rpl202_unseeded_entry_point',
             ('Pipeline', 'torch', 'backward', 'latent_dist'), ()),
    RuleInfo('RPL203', 'trainer-without-seed', 'Lightning Trainer / accelerate training without a seed', True, ('python',), 'rpl203_trainer_without_seed',
             ('Trainer', 'Accelerator'), ('lightning', 'pytorch_lightning', 'accelerate')),
    RuleInfo('RPL204', 'resume-without-rng-state', 'resuming from a checkpoint without restoring any random state', True, ('python',), 'rpl204_resume_without_rng_state',
             ('load_state_dict',), ('torch',)),
    RuleInfo('RPL301', 'missing-determinism-setup', 'seeded GPU training or a stored-value test without determinism setup', True, ('python',), 'rpl301_missing_determinism_setup',
             ('cuda', 'torch_device', 'require_torch_gpu', 'require_torch_accelerator', 'ccelerator', 'Trainer'), ()),
    RuleInfo('RPL302', 'cublas-workspace-missing', 'deterministic algorithms without `CUBLAS_WORKSPACE_CONFIG`', True, ('python',), 'rpl302_cublas_workspace_missing',
             ('use_deterministic_algorithms',), ()),
    RuleInfo('RPL303', 'cudnn-benchmark', '`cudnn.benchmark = True`', True, ('python',), 'rpl303_cudnn_benchmark',
             ('benchmark',), ()),
    RuleInfo('RPL304', 'dataloader-unseeded-workers', 'shuffling DataLoader with workers but no generator/worker_init_fn', True, ('python',), 'rpl304_dataloader_unseeded_workers',
             ('DataLoader',), ()),
    RuleInfo('RPL305', 'nondeterministic-backend', 'a nondeterministic backend in a module that asks for determinism', True, ('python',), 'rpl305_nondeterministic_backend',
             ('xformers', 'compile', 'allow_tf32', 'set_float32_matmul_precision', 'flash_attn'), ()),
    RuleInfo('RPL306', 'determinism-undone', 'a determinism switch turned off', False, ('python',), 'rpl306_determinism_undone',
             ('use_deterministic_algorithms', 'deterministic'), ()),
    RuleInfo('RPL307', 'set-iteration-order', 'seeded generation in a loop over a set of strings', True, ('python',), 'rpl307_set_iteration_order',
             ('generator', 'seed', 'Generator'), ()),
    RuleInfo('RPL308', 'gpu-inference-without-determinism', 'GPU inference without determinism setup', False, ('python',), 'rpl308_gpu_inference_without_determinism',
             ('cuda', 'offload', 'from_pretrained', 'from_single_file', 'from_pipe'), ()),
    RuleInfo('RPL309', 'raises-under-determinism', 'an op that raises a RuntimeError under deterministic algorithms on CUDA', True, ('python',), 'rpl309_raises_under_determinism',
             ('determinis',), ('torch',), ('switches-deterministic-algorithms-raising',)),
    RuleInfo('RPL401', 'unpinned-framework', 'torch/diffusers unpinned in a project with reference outputs', False, ('dependencies',), 'rpl401_unpinned_framework',
             (), ()),
    RuleInfo('RPL900', 'unused-noqa', 'noqa directive that suppresses nothing', False, ('python',), 'rpl900_unused_noqa',
             ('noqa', 'NOQA'), ()),
)
# -- generated: end


def current_rules() -> tuple:
    """``RULES``, unless the package's rule modules are not the ones it lists (a rule was just
    added or removed and the table not yet regenerated): then the entries are made from the rule
    classes themselves, which costs their import but never drops a rule."""
    import pkgutil

    import reprolint.rules as package

    modules = {info.name for info in pkgutil.iter_modules(package.__path__) if info.name.startswith("rpl")}
    if modules == {rule.module for rule in RULES}:
        return RULES
    return tuple(RuleInfo(rule.code, rule.name, rule.summary, bool(rule.default), tuple(rule.file_kinds),
                          rule.__module__.rsplit(".", 1)[-1], tuple(rule.triggers), tuple(rule.requires_imports),
                          tuple(rule.project_triggers))
                 for rule in package.rules_in_package(package.__name__))


def generated_table(rule_classes) -> str:
    lines = ["RULES = ("]
    for rule in rule_classes:
        module = rule.__module__.rsplit(".", 1)[-1]
        lines.append(f"    RuleInfo({rule.code!r}, {rule.name!r}, {rule.summary!r}, {bool(rule.default)!r}, "
                     f"{tuple(rule.file_kinds)!r}, {module!r},\n"
                     f"             {tuple(rule.triggers)!r}, {tuple(rule.requires_imports)!r}"
                     + (f", {tuple(rule.project_triggers)!r}" if rule.project_triggers else "") + "),")
    lines.append(")")
    return "\n".join(lines)


def main() -> None:
    import pathlib

    from reprolint.rules import rules_in_package

    path = pathlib.Path(__file__)
    text = path.read_text("utf-8")
    begin, end = "# -- generated: begin\n", "\n# -- generated: end"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(head + begin + generated_table(rules_in_package("reprolint.rules")) + end + tail, "utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
