"""Configuration files: where they are found, every key, precedence, and errors (exit 2)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import BAD_PIPELINE, invoke
from reprolint.config import ConfigError, find_config, load_config, resolve_settings
from reprolint.engine import Linter

GENERATOR_UNSEEDED = """\
import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("x")
generator = torch.Generator("cpu")
image = pipe("a cat", generator=generator).images[0]
"""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def codes(result):
    return sorted({line.split(": ")[1].split()[0] for line in result.stdout.splitlines()
                   if ": RPL" in line and not line.startswith(("Found", " "))})


def test_pyproject_found_by_walking_up_from_the_linted_path(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nignore = ["RPL101"]\n')
    target = write(tmp_path / "src" / "pkg" / "bad.py", BAD_PIPELINE)
    assert find_config(str(target)) == str(tmp_path / "pyproject.toml")
    result = invoke(target, "--output-format", "concise", cwd=tmp_path.parent)
    assert result.exit_code == 0, result.output
    assert "RPL101" not in result.stdout


def test_pyproject_without_table_is_passed_over(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nignore = ["RPL101"]\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')
    target = write(tmp_path / "sub" / "bad.py", BAD_PIPELINE)
    assert find_config(str(target)) == str(tmp_path / "pyproject.toml")


def test_reprolint_toml_wins_over_pyproject_in_the_same_folder(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nselect = ["RPL3"]\n')
    write(tmp_path / "reprolint.toml", 'ignore = ["RPL101"]\n')
    assert find_config(str(tmp_path)) == str(tmp_path / "reprolint.toml")
    settings = resolve_settings([str(tmp_path)])
    assert settings.config_path == str(tmp_path / "reprolint.toml")
    assert "RPL101" not in {r.code for r in Linter(settings).rules}
    assert "RPL102" in {r.code for r in Linter(settings).rules}


def test_every_key_reaches_the_settings(tmp_path):
    write(tmp_path / "pyproject.toml", """
[tool.reprolint]
select = ["RPL1"]
ignore = ["RPL105"]
extend-select = ["RPL301"]
per-file-ignores = { "tests/**" = ["RPL101"] }
exclude = ["vendored"]
extend-exclude = ["generated/*.py"]
include = ["*.py"]
extend-include = ["*.md"]
force-exclude = true
respect-gitignore = false
determinism-helpers = ["myproj.utils.make_deterministic"]
seeding-helpers = ["myproj.utils.seed_all"]
fix-seed = 1234
target-version = "2.1"
""")
    settings = resolve_settings([str(tmp_path)])
    enabled = {r.code for r in Linter(settings).rules}
    assert "RPL105" not in enabled and "RPL301" in enabled and "RPL101" in enabled
    assert settings.per_file_ignores == (("tests/**", ("RPL101",)),)
    assert settings.exclude == ("vendored",)
    assert settings.extend_exclude == ("generated/*.py",)
    assert settings.include == ("*.py", "*.md")
    assert settings.force_exclude is True and settings.respect_gitignore is False
    assert settings.determinism_helpers == ("myproj.utils.make_deterministic",)
    assert settings.seeding_helpers == ("myproj.utils.seed_all",)
    assert settings.fix_seed == 1234
    assert settings.target_version == "2.1"
    assert settings.project_root == str(tmp_path)


@pytest.mark.parametrize("key,value,expected", [
    ("select", '"RPL101"', "expected a list of strings"),
    ("select", '["RPL999"]', "unknown rule selector 'RPL999'"),
    ("ignore", '["not-a-rule"]', "unknown rule selector"),
    ("extend-select", "[1]", "expected a list of strings"),
    ("per-file-ignores", '["tests"]', "expected a table"),
    ("per-file-ignores", '{ "tests/*" = ["NOPE1"] }', "entry 'tests/*'"),
    ("exclude", '[""]', "empty pattern"),
    ("determinism-helpers", '["not a name"]', "is not a function name"),
    ("fix-seed", '"0"', "expected an integer seed"),
    ("fix-seed", "-1", "expected an integer seed"),
    ("fix-seed", "true", "expected an integer seed"),
    # A fix inside a loop seeds iteration i with fix-seed + i: at most 2**63 - 1 keeps that in
    # torch's range (manual_seed rejects 2**64 and above).
    ("fix-seed", str(2**63), "expected an integer seed from 0 to 2**63 - 1"),
    ("target-version", "2.1", "expected a torch version"),
    ("target-version", '"py311"', "expected a torch version"),
    ("respect-gitignore", '"yes"', "expected true or false"),
])
def test_bad_value_is_an_error_naming_key_and_file(tmp_path, key, value, expected):
    config = write(tmp_path / "pyproject.toml", f"[tool.reprolint]\n{key} = {value}\n")
    write(tmp_path / "a.py", "x = 1\n")
    with pytest.raises(ConfigError) as raised:
        load_config(str(config))
    assert str(config) in str(raised.value) and f"`{key}`" in str(raised.value)
    assert expected in str(raised.value)
    result = invoke("a.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert str(config) in result.stderr and f"`{key}`" in result.stderr


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nextend_select = ["RPL3"]\n')
    write(tmp_path / "a.py", "x = 1\n")
    result = invoke("a.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "unknown key `extend_select`" in result.stderr
    assert "did you mean `extend-select`" in result.stderr
    assert str(tmp_path / "pyproject.toml") in result.stderr


def test_invalid_toml_is_an_error(tmp_path):
    write(tmp_path / "reprolint.toml", "select = [\n")
    write(tmp_path / "a.py", "x = 1\n")
    result = invoke("a.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "reprolint.toml: not valid TOML" in result.stderr


def test_cli_select_overrides_the_file(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nselect = ["RPL3"]\n')
    write(tmp_path / "bad.py", BAD_PIPELINE)
    assert invoke("bad.py", cwd=tmp_path).exit_code == 0  # RPL101 not selected by the file
    result = invoke("bad.py", "--select", "RPL101", "--output-format", "concise", cwd=tmp_path)
    assert result.exit_code == 1 and codes(result) == ["RPL101"]


def test_cli_extend_select_re_enables_a_rule_the_file_ignores(tmp_path):
    # ruff's layering: the command line is applied after the file.
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nignore = ["RPL101", "RPL107"]\n')
    write(tmp_path / "bad.py", GENERATOR_UNSEEDED + BAD_PIPELINE.splitlines()[-1] + "\n")
    assert codes(invoke("bad.py", "--output-format", "concise", cwd=tmp_path)) == []
    result = invoke("bad.py", "--extend-select", "RPL101", "--output-format", "concise", cwd=tmp_path)
    assert codes(result) == ["RPL101"]


def test_cli_helpers_override_the_file(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\ndeterminism-helpers = ["a.b"]\n')
    assert resolve_settings([str(tmp_path)]).determinism_helpers == ("a.b",)
    overridden = resolve_settings([str(tmp_path)], {"determinism_helpers": ("c.d",)})
    assert overridden.determinism_helpers == ("c.d",)


def test_explicit_config_file(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.reprolint]\nignore = ["RPL101"]\n')
    other = write(tmp_path / "ci" / "strict.toml", 'select = ["ALL"]\n')
    write(tmp_path / "bad.py", BAD_PIPELINE)
    assert invoke("bad.py", cwd=tmp_path).exit_code == 0
    assert invoke("bad.py", "--config", other, cwd=tmp_path).exit_code == 1
    missing = invoke("bad.py", "--config", tmp_path / "nope.toml", cwd=tmp_path)
    assert missing.exit_code == 2 and "nope.toml" in missing.stderr
    assert invoke("bad.py", "--isolated", cwd=tmp_path).exit_code == 1


def test_per_file_ignores_match_globs_relative_to_the_config(tmp_path):
    write(tmp_path / "pyproject.toml",
          '[tool.reprolint.per-file-ignores]\n"tests/*.py" = ["pipeline-call-without-generator"]\n')
    write(tmp_path / "tests" / "test_bad.py", BAD_PIPELINE)
    write(tmp_path / "src" / "bad.py", BAD_PIPELINE)
    result = invoke(".", "--output-format", "concise", cwd=tmp_path)
    assert os.path.join("src", "bad.py") + ":4:9: RPL101" in result.stdout
    assert "test_bad.py" not in result.stdout


def _toml_blocks(markdown: str) -> list:
    import re

    return re.findall(r"```toml\n(.*?)```", markdown, re.S)


@pytest.mark.parametrize("document", ["README.md", "docs/configuration.md"])
def test_documented_examples_are_valid(tmp_path, document):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, document), encoding="utf-8") as handle:
        blocks = _toml_blocks(handle.read())
    assert blocks
    for block in blocks:
        config = write(tmp_path / "pyproject.toml", block)
        assert load_config(str(config))


def test_documented_keys_are_the_validated_keys():
    from reprolint.config import KEYS

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "docs", "configuration.md"), encoding="utf-8") as handle:
        documented = {line.split("`")[1] for line in handle if line.startswith("| `")}
    assert documented == set(KEYS)
