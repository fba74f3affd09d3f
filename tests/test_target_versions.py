"""``target-version`` in force: the torch/diffusers/Lightning releases the code targets come from
the setting, else the project's pins, else the newest release, and RPL302, RPL305 and RPL203
follow them (docs/configuration.md, "Target versions")."""

from __future__ import annotations

import textwrap

import pytest

from reprolint.config import InvalidValue, _torch_version
from reprolint.engine import Linter
from reprolint.settings import Settings
from reprolint.versions import NEWEST, lowest_allowed, parse_target, project_pins, target_versions


def lint(tmp_path, source: str, select: str, files: dict = None, target: str = ""):
    """Lint ``source`` as ``job.py`` of a project under ``tmp_path`` (a marker file makes it the
    project root, so reprolint's own pyproject.toml is not read)."""
    (tmp_path / "setup.cfg").write_text("")
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    path = tmp_path / "job.py"
    path.write_text(textwrap.dedent(source))
    report = Linter(Settings(select=(select,), target_version=target)).lint_file(str(path))
    assert not report.errors, report.errors
    return [(f.start.line, f.code) for f in report.findings]


@pytest.mark.parametrize("value,normalised", [
    ("2.4", "2.4"),
    ("torch>=2.4", "torch>=2.4"),
    ("torch>=2.4,<3", "torch>=2.4,<3"),
    (["torch>=2.4", "lightning<2.0"], "torch>=2.4,lightning<2.0"),
    ({"torch": "2.1", "lightning": "1.9"}, "torch==2.1,lightning==1.9"),
    ("accelerate==0.27.0", "accelerate==0.27.0"),
    ({"accelerate": "0.20"}, "accelerate==0.20"),
])
def test_the_setting_takes_a_version_requirements_or_a_table(value, normalised):
    assert _torch_version(value) == normalised


@pytest.mark.parametrize("value", ["py311", ["numpy>=1"], {"torch": 2}, "torch>=", []])
def test_the_setting_refuses_what_names_no_known_release(value):
    with pytest.raises(InvalidValue, match="expected a torch version"):
        _torch_version(value)


@pytest.mark.parametrize("specifier,lowest", [
    (">=2.4,<3", (2, 4)), ("==2.1.*", (2, 1)), ("~=2.1", (2, 1)), ("^2.1", (2, 1)), ("=2.1", (2, 1)),
    ("2.1.0", (2, 1, 0)), ("<2.10", (0,)), ("", None), (">2.3,!=2.5", (2, 3)),
])
def test_lowest_allowed_version(specifier, lowest):
    assert lowest_allowed(specifier) == lowest


def test_parse_target_reads_packages_and_a_bare_torch_version():
    assert parse_target("2.4") == {"torch": (2, 4)}
    assert parse_target("torch>=2.4,<3,pytorch-lightning==1.9.5") == {"torch": (2, 4), "lightning": (1, 9, 5)}


def test_pins_come_from_every_dependency_file_and_the_lowest_wins(tmp_path):
    (tmp_path / "requirements.txt").write_text("torch>=2.6\ndiffusers==0.30.0\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["torch>=2.1"]\n')
    (tmp_path / "environment.yml").write_text("dependencies:\n  - pytorch-lightning=1.9\n")
    pins = project_pins(str(tmp_path))
    assert pins["torch"] == ((2, 1), "pyproject.toml")
    assert pins["diffusers"] == ((0, 30, 0), "requirements.txt")
    assert pins["lightning"] == ((1, 9), "environment.yml")


def test_the_setting_wins_over_pins_and_pins_over_the_newest(tmp_path):
    (tmp_path / "setup.cfg").write_text("")
    (tmp_path / "requirements.txt").write_text("torch>=2.1\n")
    path = str(tmp_path / "job.py")
    assert target_versions("", path).torch == (2, 1)
    assert target_versions("2.12", path).torch == (2, 12)
    assert target_versions("", path).lightning == NEWEST["lightning"]


DETERMINISTIC_MAIN = """\
    import torch

    def main():
        torch.use_deterministic_algorithms(True)
        model = torch.nn.Linear(2, 2).to("cuda")

    if __name__ == "__main__":
        main()
    """


def test_rpl302_follows_the_target_torch(tmp_path):
    # torch 2.10 dropped the variable's check (pytorch#161749).
    assert lint(tmp_path, DETERMINISTIC_MAIN, "RPL302", target="2.9") == [(4, "RPL302")]
    assert lint(tmp_path, DETERMINISTIC_MAIN, "RPL302", target="2.10") == []
    assert lint(tmp_path, DETERMINISTIC_MAIN, "RPL302") == []  # no pins: the newest torch


def test_rpl302_follows_the_projects_pins(tmp_path):
    assert lint(tmp_path, DETERMINISTIC_MAIN, "RPL302", files={"requirements.txt": "torch>=2.4,<3\n"}) == [
        (4, "RPL302")]


def test_rpl302_regression_main_switching_deterministic_algorithms_is_no_cublas_helper(tmp_path):
    # Calling ``main()``, a project function that switches deterministic algorithms on, was taken
    # for a helper that also sets CUBLAS_WORKSPACE_CONFIG, and RPL302 went silent.
    assert lint(tmp_path, DETERMINISTIC_MAIN, "RPL302", target="2.4") == [(4, "RPL302")]


def test_rpl302_stays_silent_where_a_project_helper_sets_the_variable(tmp_path):
    helper = """\
        import os

        def setup_determinism():
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
        """
    source = """\
        import torch
        from repro import setup_determinism

        setup_determinism()
        torch.use_deterministic_algorithms(True)
        """
    (tmp_path / "setup.cfg").write_text("")
    (tmp_path / "repro.py").write_text(textwrap.dedent(helper))
    (tmp_path / "job.py").write_text(textwrap.dedent(source))
    report = Linter(Settings(select=("RPL302",), target_version="2.4")).lint_paths([str(tmp_path)])
    assert [f.code for f in report.findings] == []


COMPILED = """\
    import torch

    torch.use_deterministic_algorithms(True)
    model = torch.compile(torch.nn.Linear(2, 2))
    """


def test_rpl305_reports_torch_compile_only_before_torch_2_10(tmp_path):
    # From 2.10 deterministic mode makes Inductor deterministic too (pytorch#165950).
    assert lint(tmp_path, COMPILED, "RPL305", target="2.9") == [(4, "RPL305")]
    assert lint(tmp_path, COMPILED, "RPL305", target="2.10") == []


LIGHTNING = """\
    import lightning as L
    import torch

    torch.use_deterministic_algorithms(True)
    L.seed_everything(0)
    trainer = L.Trainer(max_epochs=1)
    """


def test_rpl203_reports_an_unset_deterministic_only_before_lightning_2(tmp_path):
    assert lint(tmp_path, LIGHTNING, "RPL203", target="lightning==1.9") == [(6, "RPL203")]
    assert lint(tmp_path, LIGHTNING, "RPL203", files={"requirements.txt": "pytorch-lightning<2\n"}) == [
        (6, "RPL203")]
    assert lint(tmp_path, LIGHTNING, "RPL203", target="lightning==2.0") == []


def test_torch_seed_after_manual_seed_leaves_the_global_rng_unseeded(tmp_path):
    # Regression: ``torch.seed()`` re-seeds at random, so a draw after it is not reproducible.
    seeded = textwrap.dedent("""\
        import torch
        from diffusers import DiffusionPipeline

        pipe = DiffusionPipeline.from_pretrained("x")
        torch.manual_seed(0)
        image = pipe("a cat").images[0]
        """)
    assert lint(tmp_path, seeded, "RPL101") == []
    for reseed in ("torch.seed()", "torch.random.seed()"):
        unseeded = seeded.replace("image =", f"{reseed}\nimage =")
        assert lint(tmp_path, unseeded, "RPL101") == [(7, "RPL101")], reseed


ACCELERATE_RESUME = """\
    import torch
    from accelerate import Accelerator

    accelerator = Accelerator()
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    if args.resume:
        state = torch.load(args.resume, map_location="cpu")
        optimizer.load_state_dict(state["optimizer"])
    for batch in loader:
        accelerator.backward(model(batch).mean())
        optimizer.step()
"""


def _rpl204_message(tmp_path, **options) -> str:
    (tmp_path / "setup.cfg").write_text("")
    for name, text in options.pop("files", {}).items():
        (tmp_path / name).write_text(text)
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(ACCELERATE_RESUME))
    report = Linter(Settings(select=("RPL204",), **options)).lint_file(str(path))
    (finding,) = report.findings
    return finding.message


def test_accelerate_comes_from_the_setting_the_pins_or_the_newest(tmp_path):
    (tmp_path / "setup.cfg").write_text("")
    (tmp_path / "requirements.txt").write_text("accelerate>=0.27.2\n")
    path = str(tmp_path / "train.py")
    assert target_versions("", path).accelerate == (0, 27, 2)
    assert target_versions("", path).source["accelerate"] == "requirements.txt"
    assert target_versions("accelerate==0.20", path).accelerate == (0, 20)
    assert target_versions("", str(tmp_path / "elsewhere" / "x.py")).accelerate in ((0, 27, 2), NEWEST["accelerate"])


@pytest.mark.parametrize("target,says,not_says", [
    ("", "DataLoaderConfiguration(use_seedable_sampler=True)", "has no effect"),
    ("accelerate==0.27.2", "Accelerator(use_seedable_sampler=True) for the same shuffling", "DataLoaderConfiguration"),
    ("accelerate==0.27.0", "has no effect: prepare drops the sampler until 0.27.2, accelerate#2333", "for the same"),
    ("accelerate==0.20", "has no seedable sampler: use_seedable_sampler comes in 0.26", "DataLoaderConfiguration"),
    ("accelerate==0.14", "has no skip_first_batches: it comes in 0.16", "use_seedable_sampler"),
    ("accelerate==0.5", "has no save_state/load_state: they come in 0.6", "which restores them"),
])
def test_rpl204_says_what_the_target_accelerate_offers(tmp_path, target, says, not_says):
    message = _rpl204_message(tmp_path, target_version=target)
    assert says in message
    assert not_says not in message


def test_rpl204_reads_the_accelerate_pin(tmp_path):
    message = _rpl204_message(tmp_path, files={"requirements.txt": "accelerate==0.27.0\ntorch\n"})
    assert "in accelerate 0.27.0, Accelerator(use_seedable_sampler=True) has no effect" in message
