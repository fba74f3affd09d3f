"""Must-flag and must-not-flag cases for RPL108-RPL112, RPL201-RPL202 and RPL302-RPL306, beyond
each rule's own examples: the semantic-layer knowledge they rest on."""

from __future__ import annotations

import json

import pytest

from reprolint.semantic import catalog
from tests.conftest import codes_at, lint


def codes(code: str, select: str = "ALL", **settings) -> list:
    return [(c, line) for c, line, _ in codes_at(lint(code, select, **settings))]


# -- scheduler table ------------------------------------------------------------------------

RULES_MD_ALWAYS = ["DDPM", "DDPMParallel", "DDPMWuerstchen", "EulerAncestralDiscrete", "KDPM2AncestralDiscrete",
                   "LCM", "FlowMatchLCM", "CMStochasticIterative", "TCD", "RePaint", "UnCLIP", "SCM",
                   "LTXEulerAncestralRF"]
RULES_MD_CONDITIONAL = ["DDIM", "DDIMParallel", "EulerDiscrete", "EDMEuler", "DPMSolverMultistep",
                        "DPMSolverSinglestep", "FlowMatchEulerDiscrete", "SASolver"]


@pytest.mark.parametrize("name", RULES_MD_ALWAYS + RULES_MD_CONDITIONAL)
def test_scheduler_table_knows_every_scheduler_rules_md_names(name):
    assert catalog.scheduler_step_noise(f"diffusers.{name}Scheduler") is not None


def test_scheduler_table_gates_match_rules_md():
    def gate(name):
        entry = catalog.scheduler_step_noise(f"diffusers.{name}Scheduler")
        return {(g["source"], g["name"]) for gates in entry.get("any_of", []) for g in gates}

    assert gate("DDIM") == {("argument", "eta")}
    assert gate("EulerDiscrete") == {("argument", "s_churn")}
    assert gate("EDMEuler") == {("argument", "s_churn")}
    assert gate("DPMSolverMultistep") == {("config", "algorithm_type")}
    assert gate("FlowMatchEulerDiscrete") == {("config", "stochastic_sampling")}
    assert catalog.scheduler_step_noise("diffusers.SASolverScheduler")["unless_config_set"] == ["tau_func"]
    assert catalog.scheduler_step_noise("diffusers.PNDMScheduler") is None
    assert catalog.scheduler_global_noise_seed("diffusers.DPMSolverSDEScheduler") == "noise_sampler_seed"


def test_scheduler_table_is_regenerated_from_installed_diffusers(tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    import importlib.util
    import pathlib

    script = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "generate_scheduler_table.py"
    spec = importlib.util.spec_from_file_location("generate_scheduler_table", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path / "schedulers.json")
    module.main()
    regenerated = json.loads((tmp_path / "schedulers.json").read_text())
    import diffusers

    shipped = json.loads(catalog.resources.files("reprolint.data").joinpath("schedulers.json").read_text())
    if shipped["generated_from"] != f"diffusers {diffusers.__version__}":
        pytest.skip("installed diffusers differs from the one the table was generated from")
    assert regenerated == shipped


# -- RPL110 / RPL112 -------------------------------------------------------------------------

def test_scheduler_bound_through_pipeline_attribute_and_local_name():
    code = """
        from diffusers import DiffusionPipeline, KDPM2AncestralDiscreteScheduler

        pipe = DiffusionPipeline.from_pretrained("m")
        pipe.scheduler = KDPM2AncestralDiscreteScheduler.from_config(pipe.scheduler.config)
        scheduler = pipe.scheduler
        x = scheduler.step(eps, t, x).prev_sample
        x = pipe.scheduler.step(eps, t, x, generator=g).prev_sample
    """
    assert codes(code, "RPL110") == [("RPL110", 6)]


@pytest.mark.parametrize("call,flagged", [
    ("TCDScheduler()", True),  # default eta=0.3
    ("TCDScheduler.from_config(cfg)", True),
    ("SASolverScheduler()", True),
    ("SASolverScheduler(tau_func=lambda t: 0)", False),
    ("DPMSolverMultistepScheduler(algorithm_type='sde-dpmsolver++')", True),
    ("DPMSolverMultistepScheduler(algorithm_type=kind)", False),
    ("DPMSolverMultistepScheduler.from_config(cfg, **overrides)", False),
    ("PNDMScheduler()", False),
    ("LTXEulerAncestralRFScheduler()", True),
    ("LTXEulerAncestralRFScheduler(eta=0.0)", False),
])
def test_stochastic_step_depends_on_class_and_settings(call, flagged):
    code = f"""
        from diffusers import *
        from diffusers import TCDScheduler, SASolverScheduler, DPMSolverMultistepScheduler, PNDMScheduler
        from diffusers import LTXEulerAncestralRFScheduler

        scheduler = {call}
        x = scheduler.step(eps, t, x).prev_sample
    """
    assert bool(codes(code, "RPL110")) is flagged


@pytest.mark.parametrize("step,flagged", [
    ("scheduler.step(eps, t, x, eta=0.0)", False),
    ("scheduler.step(eps, t, x)", True),
    ("scheduler.step(eps, t, x, eta=eta)", False),
    ("scheduler.step(eps, t, x, **extra_step_kwargs)", False),
    ("scheduler.step(eps, t, x, generator=g)", False),
])
def test_step_arguments_decide(step, flagged):
    code = f"""
        from diffusers import TCDScheduler

        scheduler = TCDScheduler()
        x = {step}.prev_sample
    """
    assert bool(codes(code, "RPL110")) is flagged


def test_scheduler_parameter_annotated_with_its_class():
    code = """
        from typing import Optional
        from diffusers import DDPMScheduler, SASolverScheduler

        def denoise(unet, scheduler: DDPMScheduler, x):
            for t in scheduler.timesteps:
                x = scheduler.step(unet(x, t).sample, t, x).prev_sample
            return x

        def denoise_sa(unet, scheduler: Optional[SASolverScheduler], x):
            return scheduler.step(unet(x, 0).sample, 0, x).prev_sample
    """
    assert codes(code, "RPL110,RPL112") == [("RPL110", 6)]


def test_ddim_variance_noise_supplies_the_noise():
    code = """
        from diffusers import DDIMScheduler

        scheduler = DDIMScheduler()
        x = scheduler.step(eps, t, x, eta=1.0, variance_noise=noise).prev_sample
    """
    assert codes(code, "RPL110") == []


def test_unknown_scheduler_is_silent():
    code = """
        x = pipe.scheduler.step(eps, t, x).prev_sample
        scheduler = make_scheduler()
        x = scheduler.step(eps, t, x).prev_sample
    """
    assert codes(code, "RPL110") == []


@pytest.mark.parametrize("call,flagged", [
    ("DPMSolverSDEScheduler()", True),
    ("DPMSolverSDEScheduler(noise_sampler_seed=0)", False),
    ("DPMSolverSDEScheduler.from_pretrained('m', subfolder='scheduler')", False),
    ("DPMSolverSDEScheduler.from_config(cfg, **kw)", False),
    ("DPMSolverSDEScheduler.from_config(cfg, **{'noise_sampler_seed': 3})", False),
])
def test_sde_scheduler_noise_seed(call, flagged):
    code = f"""
        from diffusers import DPMSolverSDEScheduler

        pipe.scheduler = {call}
    """
    assert bool(codes(code, "RPL112")) is flagged


# -- RPL108 / RPL109 / RPL111 ----------------------------------------------------------------

def test_batch_of_one_prompt_or_received_generator_is_not_flagged():
    code = """
        import torch
        from diffusers import DiffusionPipeline

        pipe = DiffusionPipeline.from_pretrained("m")
        g = torch.Generator("cpu").manual_seed(0)
        pipe(["only one"], generator=g)

        def run(pipe: DiffusionPipeline, generator):
            return pipe("x", num_images_per_prompt=4, generator=generator)
    """
    assert codes(code, "RPL108") == []


@pytest.mark.parametrize("draw,flagged", [
    ("randn_tensor(shape, generator=None)", True),
    ("randn_tensor(shape, generator=g)", False),
    ("torch.randn(shape) * pipe.scheduler.init_noise_sigma", True),
    ("torch.randn_like(reference)", True),
    ("load_latents()", False),
])
def test_latents_data_flow(draw, flagged):
    code = f"""
        import torch
        from diffusers import StableDiffusionPipeline
        from diffusers.utils.torch_utils import randn_tensor

        pipe = StableDiffusionPipeline.from_pretrained("m")
        g = torch.Generator("cpu").manual_seed(0)
        latents = {draw}
        pipe("p", latents=latents, generator=g)
    """
    assert bool(codes(code, "RPL109")) is flagged


def test_diagonal_gaussian_distribution_constructor():
    code = """
        from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution

        dist = DiagonalGaussianDistribution(moments)
        z = dist.sample()
        z = dist.sample(generator=g)
    """
    assert codes(code, "RPL111") == [("RPL111", 4)]


# -- RPL201 ----------------------------------------------------------------------------------

# A seed-named name is a seed only with evidence (RULES.md, RPL201): it reaches a seeding sink,
# or it is int-typed. SINK passes every seed-named name used below to one.
SINK = "\ntorch.manual_seed(self.seed + cfg.train.seed + args.random_seed + SEED_VALUE)"


@pytest.mark.parametrize("line,flagged", [
    ("if self.seed: pass" + SINK, True),
    ("if cfg.train.seed and verbose: pass" + SINK, True),
    ("x = make(seed) if args.random_seed else None" + SINK, True),
    ("seed = args.seed or 42", True),
    ("seed = args.seed or 0", False),
    ("if args.seed is not None: pass" + SINK, False),
    ("if seed and seed > 0: pass" + SINK, False),
    ("if args.use_seed: pass", False),
    ("if seed_worker: pass", False),
    ("if self.seed_generator: pass", False),
    ("seed = 'abc'\nif seed: pass", False),
    ("from x import seed\nif seed: pass", False),
    ("x = pick(seed_indices) if seed_indices else None", False),
    ("x = base + self.seed_offset if self.seed_offset else base", False),
    ("if SEED_VALUE: pass" + SINK, True),
    ("seed = [s for s in pool]\nif seed: pass", False),
    # No evidence that these hold seeds: never flagged.
    ("if self.seed: pass", False),
    ("if args.random_seed: pass", False),
    # int-typed without a sink
    ("def f(seed: int = None):\n    if not seed:\n        seed = pick()", True),
    ("def f(seed: Optional[int] = None):\n    return 1 if seed else 2", True),
    ("parser.add_argument('--seed', type=int, default=None)\nif args.seed: pass", True),
    ("SEED = 1234\nif SEED: pass", True),
    # bool-typed: never a seed, even next to a sink
    ("def f(seed, randomize_seed: bool):\n    if randomize_seed:\n        torch.manual_seed(randomize_seed)",
     False),
    ("def f(seed, randomize_seed=True):\n    if randomize_seed:\n        seed = pick()", False),
    ("parser.add_argument('--random_seed', action='store_true')\nif args.random_seed: pass" + SINK, False),
])
def test_seed_truthiness(line, flagged):
    assert bool(codes(line, "RPL201")) is flagged


def test_seed_truthiness_reported_once_in_a_loop():
    code = """
        for i in range(3):
            if args.seed:
                torch.manual_seed(args.seed)
    """
    assert codes(code, "RPL201") == [("RPL201", 2)]


# -- RPL202 ----------------------------------------------------------------------------------

def test_entry_point_seeded_by_named_or_lookalike_helper_is_silent():
    code = """
        import torch
        from myproj.utils import seed_all

        if __name__ == "__main__":
            seed_all(0)
            x = torch.randn(3)
    """
    assert codes(code, "RPL202") == []
    assert codes(code, "RPL202", seeding_helpers=("myproj.utils.seed_all",)) == []


def test_top_level_example_inputs_do_not_make_an_entry_point():
    code = """
        import torch

        example_args = (torch.randn(3, 2),)
    """
    assert codes(code, "RPL202") == []


def test_generator_manual_seed_is_not_global_seeding():
    code = """
        import torch
        from diffusers import DiffusionPipeline

        g = torch.Generator().manual_seed(0)
        pipe = DiffusionPipeline.from_pretrained("m")
        image = pipe("p").images[0]
    """
    assert codes(code, "RPL202") == [("RPL202", 6)]


# -- RPL302 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("setup,flagged", [
    ('os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":16:8"', False),
    ('os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")', False),
    ('os.putenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")', False),
    ('os.environ.update({"CUBLAS_WORKSPACE_CONFIG": ":4096:8"})', False),
    ('os.environ["CUBLAS_WORKSPACE_CONFIG"] = workspace', False),
    ('env = dict(os.environ, CUBLAS_WORKSPACE_CONFIG=":4096:8")', False),
    ('os.environ["OTHER"] = "1"', True),
])
def test_cublas_environment_writes(setup, flagged):
    code = f"""
        import os
        import torch

        {setup}
        torch.use_deterministic_algorithms(True)
    """
    assert bool(codes(code, "RPL302")) is flagged


def test_cublas_written_in_main_after_a_function_that_places_is_not_late():
    code = """
        import os
        import torch

        def load():
            return torch.nn.Linear(2, 2).to("cuda")

        if __name__ == "__main__":
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
            torch.use_deterministic_algorithms(True)
            load()
    """
    assert codes(code, "RPL302") == []


def test_cublas_not_needed_with_enable_full_determinism_or_warn_false():
    code = """
        import torch
        from transformers import enable_full_determinism

        enable_full_determinism(0)
        torch.use_deterministic_algorithms(True)
    """
    assert codes(code, "RPL302") == []
    assert codes("import torch\ntorch.use_deterministic_algorithms(False)", "RPL302") == []


def test_scoped_deterministic_toggle_is_not_a_setup():
    code = """
        import torch

        def topk_deterministic(*args, **kwargs):
            prior = torch.are_deterministic_algorithms_enabled()
            try:
                torch.use_deterministic_algorithms(True)
                return torch.topk(*args, **kwargs)
            finally:
                torch.use_deterministic_algorithms(prior)

        compiled = torch.compile(model)
    """
    assert codes(code, "RPL302,RPL305") == []


def test_module_level_switch_beside_a_scoped_toggle_still_counts():
    code = """
        import torch

        torch.use_deterministic_algorithms(True)

        def scoped():
            prior = torch.are_deterministic_algorithms_enabled()
            torch.use_deterministic_algorithms(False)
            torch.use_deterministic_algorithms(prior)
    """
    assert codes(code, "RPL302") == [("RPL302", 3)]


# -- RPL303 / RPL305 / RPL306 -----------------------------------------------------------------

def test_backend_switches_resolve_through_imports():
    code = """
        import torch.backends.cudnn as cudnn
        from torch.backends import cuda

        cudnn.benchmark = True
        cuda.matmul.allow_tf32 = True
        cudnn.deterministic = False
        benchmark = True
    """
    assert codes(code, "RPL303,RPL305,RPL306") == [("RPL303", 4), ("RPL306", 6)]


def test_nondeterministic_backend_needs_determinism_setup_in_module():
    code = """
        import torch
        from myproj import make_deterministic

        make_deterministic()
        unet.enable_xformers_memory_efficient_attention()
        torch.set_float32_matmul_precision("highest")
    """
    assert codes(code, "RPL305") == []
    assert codes(code, "RPL305", determinism_helpers=("myproj.make_deterministic",)) == [("RPL305", 5)]


# -- RPL304 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args,flagged", [
    ("ds, shuffle=True, num_workers=4", True),
    ("ds, shuffle=True, num_workers=n", True),
    ("ds, shuffle=True", False),
    ("ds, shuffle=True, num_workers=0", False),
    ("ds, shuffle=False, num_workers=4", False),
    ("ds, shuffle=flag, num_workers=4", False),
    ("ds, sampler=s, num_workers=4", True),
    ("ds, shuffle=True, num_workers=4, worker_init_fn=f", False),
    ("ds, shuffle=True, num_workers=4, **loader_kwargs", False),
])
def test_dataloader_worker_seeding(args, flagged):
    code = f"""
        from torch.utils.data import DataLoader

        loader = DataLoader({args})
    """
    assert bool(codes(code, "RPL304")) is flagged


def test_dataloader_silent_under_seed_everything_workers():
    code = """
        import lightning

        lightning.seed_everything(0, workers=True)
        from torch.utils.data import DataLoader
        loader = DataLoader(ds, shuffle=True, num_workers=4)
    """
    assert codes(code, "RPL304") == []


# -- core rules: regressions the corpus exposed ----------------------------------------------

def test_optional_generator_on_accelerator_device_passed_to_a_helper():
    code = """
        import torch
        from accelerate import Accelerator
        from diffusers import DiffusionPipeline

        def log_validation(pipeline: DiffusionPipeline, accelerator, seed):
            generator = torch.Generator(device=accelerator.device).manual_seed(seed) if seed is not None else None
            return pipeline("p", generator=generator)

        accelerator = Accelerator()
        log_validation(DiffusionPipeline.from_pretrained("m"), accelerator, 0)
    """
    assert codes(code, "RPL106") == [("RPL106", 6)]


def test_user_determinism_helper_needs_the_setting():
    code = """
        import torch
        from diffusers import DiffusionPipeline
        from myproj.repro import make_deterministic

        make_deterministic()
        pipe = DiffusionPipeline.from_pretrained("m").to("cuda")
        pipe("p", generator=torch.Generator("cpu").manual_seed(0))
    """
    assert codes(code, "RPL301") == [("RPL301", 6)]
    assert codes(code, "RPL301", determinism_helpers=("myproj.repro.make_deterministic",)) == []


def test_default_off_rules_stay_off_by_default():
    from reprolint.registry import select_rules

    enabled = {rule.code for rule in select_rules()}
    assert {"RPL108", "RPL202", "RPL306"}.isdisjoint(enabled)
    assert {"RPL109", "RPL110", "RPL111", "RPL112", "RPL201", "RPL302", "RPL303", "RPL304", "RPL305"} <= enabled


def test_notebook_env_magic_orders_against_cuda_work(tmp_path):
    from reprolint.engine import Linter
    from reprolint.settings import Settings

    def notebook(*cells):
        return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None,
                                      "outputs": [], "source": c} for c in cells],
                           "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

    late = tmp_path / "late.ipynb"
    late.write_text(notebook("import torch\nmodel = torch.nn.Linear(2, 2).cuda()",
                             "%env CUBLAS_WORKSPACE_CONFIG=:4096:8\ntorch.use_deterministic_algorithms(True)"))
    early = tmp_path / "early.ipynb"
    early.write_text(notebook("%env CUBLAS_WORKSPACE_CONFIG=:4096:8\nimport torch",
                              "torch.use_deterministic_algorithms(True)\nmodel = torch.nn.Linear(2, 2).cuda()"))
    linter = Linter(Settings(select=("RPL302",)))
    assert [f.code for f in linter.lint_file(str(late)).findings] == ["RPL302"]
    assert linter.lint_file(str(early)).findings == []
