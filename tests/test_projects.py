"""Whole fixture projects (``tests/projects/``): each is linted as a user would lint a repository,
so every file is analysed with the project index, and each line's expected findings are marked
inline (``# expect: RPL101``), as in the precision corpus."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from reprolint.cache import Cache
from reprolint.engine import Linter
from reprolint.fix.apply import fix_source
from reprolint.settings import Settings

from test_corpus import expected_findings

PROJECTS = pathlib.Path(__file__).resolve().parent / "projects"
NAMES = sorted(p.name for p in PROJECTS.iterdir() if p.is_dir())


def lint_project(root: pathlib.Path, **options):
    return Linter(Settings()).lint_paths([str(root)], **options)


def found_and_expected(run, root: pathlib.Path):
    actual = sorted((str(pathlib.Path(f.path).resolve().relative_to(root.resolve())), f.start.line, f.code)
                    for f in run.findings)
    expected = sorted(
        (str(path.relative_to(root)), line, code)
        for path in root.rglob("*.py")
        for line, code in expected_findings(path.read_text(encoding="utf-8"))
    )
    return actual, expected


@pytest.mark.parametrize("name", NAMES)
def test_project_has_exactly_the_expected_findings(name):
    root = PROJECTS / name
    run = lint_project(root)
    assert not run.errors, run.errors
    actual, expected = found_and_expected(run, root)
    assert actual == expected, "\n".join(f"{f.path}:{f.start.line} {f.code} {f.message}" for f in run.findings)


@pytest.mark.parametrize("jobs", [1, 2])
def test_project_findings_are_the_same_in_the_pool_and_from_the_cache(tmp_path, jobs):
    root = tmp_path / "custom_pipeline"
    shutil.copytree(PROJECTS / "custom_pipeline", root)
    cache_dir = tmp_path / "cache"
    runs = [lint_project(root, jobs=jobs, cache=Cache.for_settings(str(cache_dir), Settings()))
            for _ in range(2)]
    for run in runs:
        actual, expected = found_and_expected(run, root)
        assert actual == expected


def test_a_changed_helper_module_invalidates_the_cached_findings_of_its_users(tmp_path):
    root = tmp_path / "custom_pipeline"
    shutil.copytree(PROJECTS / "custom_pipeline", root)
    cache_dir = str(tmp_path / "cache")
    first = lint_project(root, cache=Cache.for_settings(cache_dir, Settings()))
    assert any(f.path.endswith("generate.py") and f.start.line == 8 for f in first.findings)
    helper = root / "src" / "studio" / "pipeline_studio.py"
    # load_pipeline no longer returns a pipeline: generate.py's line 8 is no pipeline call now.
    helper.write_text(helper.read_text().replace("return pipe.to(device)", "return None"))
    second = lint_project(root, cache=Cache.for_settings(cache_dir, Settings()))
    assert not any(f.path.endswith("generate.py") and f.start.line == 8 for f in second.findings)


def test_the_index_is_what_finds_a_pipeline_made_in_another_module():
    script = PROJECTS / "custom_pipeline" / "generate.py"
    alone = Linter(Settings()).lint_source(script.read_text(), str(script))
    assert not any(f.code in ("RPL101", "RPL102") for f in alone.findings)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_determinism_helper_of_another_module_passes_the_prefilter_as_it_is_analysed(jobs):
    root = PROJECTS / "determinism_helpers"
    on = lint_project(root, jobs=jobs)
    off = Linter(Settings(), prefilter=False).lint_paths([str(root)], jobs=jobs)
    assert sorted((f.path, f.start.line, f.code) for f in on.findings) == \
        sorted((f.path, f.start.line, f.code) for f in off.findings)
    assert [f.code for f in on.findings if f.path.endswith("train_strict.py")] == ["RPL309"]
    assert "(by `setup_run`)" in next(f.message for f in on.findings if f.path.endswith("train_strict.py"))


def test_a_changed_determinism_helper_invalidates_its_users_findings(tmp_path):
    root = tmp_path / "determinism_helpers"
    shutil.copytree(PROJECTS / "determinism_helpers", root)
    cache_dir = str(tmp_path / "cache")
    first = lint_project(root, cache=Cache.for_settings(cache_dir, Settings()))
    assert any(f.path.endswith("train_strict.py") and f.code == "RPL309" for f in first.findings)
    helper = root / "superres" / "reproducibility.py"
    helper.write_text(helper.read_text().replace("torch.use_deterministic_algorithms(True)\n",
                                                 "torch.use_deterministic_algorithms(True, warn_only=True)\n"))
    second = lint_project(root, cache=Cache.for_settings(cache_dir, Settings()))
    assert not any(f.code == "RPL309" for f in second.findings)


def test_a_helper_in_the_same_module_returns_a_pipeline_without_a_project():
    source = (
        "from diffusers import StableDiffusionPipeline\n"
        "def load():\n"
        "    pipe = StableDiffusionPipeline.from_pretrained('m')\n"
        "    return pipe.to('cpu')\n"
        "pipe = load()\n"
        "image = pipe('a cat').images[0]\n"
    )
    report = Linter(Settings()).lint_source(source, "script.py")
    assert [(f.code, f.start.line) for f in report.findings] == [("RPL101", 6)]


def test_the_safe_rpl201_fix_leaves_a_gradio_apps_randomize_seed_checkbox_alone():
    app = PROJECTS / "gradio_app" / "app.py"
    source = app.read_text()
    fixed = fix_source(source, str(app), Settings(), unsafe=False).source
    # Only the real seed bug changes: `if not batch_seed:` -> `if batch_seed is None:`.
    changed = [(old, new) for old, new in zip(source.splitlines(), fixed.splitlines()) if old != new]
    assert changed == [("    if not batch_seed:  # expect: RPL201", "    if batch_seed is None:  # expect: RPL201")]
    assert fixed.count("if randomize_seed:") == 2


def test_two_scripts_with_the_same_module_name_in_different_folders(tmp_path):
    # Regression: the index digest compared two summaries when their module names tied.
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "train.py").write_text(
            "import torch\n\ndef seed_all(seed):\n    torch.manual_seed(seed)\n")
    cache = Cache.for_settings(str(tmp_path / "cache"), Settings())
    run = lint_project(tmp_path, cache=cache)
    assert not run.errors and run.checked == 2


def test_a_helper_module_beside_the_script_wins_over_a_namesake_elsewhere(tmp_path):
    for folder, body in (("train", "    torch.manual_seed(seed)\n"), ("tools", "    print(seed)\n")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "utils.py").write_text(f"import torch\n\ndef seed_all(seed):\n{body}")
    (tmp_path / "train" / "run.py").write_text(
        "from diffusers import AutoencoderKL\nfrom utils import seed_all\n\n"
        "seed_all(0)\nvae = AutoencoderKL.from_pretrained('m')\nz = vae.encode(x).latent_dist.sample()\n")
    (tmp_path / "tools" / "run.py").write_text((tmp_path / "train" / "run.py").read_text())
    run = lint_project(tmp_path)
    flagged = sorted(pathlib.Path(f.path).parent.name for f in run.findings if f.code == "RPL111")
    assert flagged == ["tools"]  # tools/utils.seed_all seeds nothing; train/utils.seed_all does


def test_a_relative_import_from_a_top_level_script_resolves_to_nothing():
    # Regression: `from .diffusers import X` in a module outside any package was read as diffusers.
    source = "from .diffusers import DDPMPipeline\np = DDPMPipeline.from_pretrained('m')\np()\n"
    assert Linter(Settings()).lint_source(source, "script.py").findings == []
