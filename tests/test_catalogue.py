"""The catalogue the rules rest on: which rules are on by default, and the scheduler table
(generated from diffusers) that RPL110 and RPL112 read."""

from __future__ import annotations

import json

import pytest

from reprolint.semantic import catalog


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


def test_default_off_rules_stay_off_by_default():
    from reprolint.registry import select_rules

    enabled = {rule.code for rule in select_rules()}
    assert {"RPL108", "RPL202", "RPL306"}.isdisjoint(enabled)
    assert {"RPL109", "RPL110", "RPL111", "RPL112", "RPL201", "RPL302", "RPL303", "RPL304", "RPL305"} <= enabled


def test_the_rule_table_is_generated_from_the_rule_classes():
    # If this fails after adding or changing a rule: python -m reprolint.rules.catalogue
    from reprolint.rules import rules_in_package
    from reprolint.rules.catalogue import RULES, generated_table

    namespace: dict = {}
    exec(generated_table(rules_in_package("reprolint.rules")), vars(__import__("reprolint.rules.catalogue",
                                                                               fromlist=["RuleInfo"])), namespace)
    assert namespace["RULES"] == RULES
    assert [info.load().code for info in RULES] == [info.code for info in RULES]


def test_a_cached_run_and_the_help_import_neither_libcst_nor_a_rule(tmp_path):
    import subprocess
    import sys

    (tmp_path / "pipe.py").write_text("from diffusers import DDPMPipeline\nDDPMPipeline.from_pretrained('m')()\n")
    probe = ("import sys\nfrom reprolint.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'libcst' or m.startswith('reprolint.rules.rpl'))\n"
             "print('LOADED', loaded[:3], file=sys.stderr)\n")

    def loaded(*args):
        run = subprocess.run([sys.executable, "-c", probe, *args], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
        return run.stderr.rsplit("LOADED", 1)[-1].strip()

    assert loaded("check", "pipe.py", "--cache-dir", "cache") != "[]"  # a miss: the file is analysed
    assert loaded("check", "pipe.py", "--cache-dir", "cache") == "[]"  # every file a cache hit
    assert loaded("--help") == "[]"
    assert loaded("--version") == "[]"
