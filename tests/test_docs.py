"""Rule docs: generated from the docstrings, complete, and in sync with docs/rules/."""

from __future__ import annotations

import pathlib
import re

import pytest

from reprolint.docs import rendered_docs
from reprolint.rules import ALL_RULES

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_doc_has_every_section_in_order(rule):
    doc = rule.documentation()
    positions = [doc.find(section) for section in SECTIONS]
    assert all(p >= 0 for p in positions), (rule.code, positions)
    assert positions == sorted(positions)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_doc_cites_evidence(rule):
    assert "## Evidence" in rule.documentation()


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_shared_paragraphs_are_expanded_on_every_page(rule):
    doc = rule.documentation()
    assert not re.search(r"^\{[a-z-]+\}$", doc, re.MULTILINE), rule.code


def test_the_rules_that_share_the_seeded_global_rng_notion_print_one_paragraph():
    from reprolint.rules.base import SHARED_DOC_PARAGRAPHS

    paragraph = SHARED_DOC_PARAGRAPHS["{seeded-global-rng}"]
    sharing = [rule.code for rule in ALL_RULES if paragraph in rule.documentation()]
    assert sharing == ["RPL101", "RPL109", "RPL110", "RPL111"]


def test_docs_folder_matches_generated_docs():
    for name, content in rendered_docs().items():
        path = ROOT / "docs" / "rules" / name
        assert path.exists(), f"{path} missing: run python scripts/generate_docs.py"
        assert path.read_text(encoding="utf-8") == content, f"{path} is stale: run scripts/generate_docs.py"


def test_codes_and_names_match_the_catalogue():
    spec = ROOT.parent / "shared" / "RULES.md"
    if not spec.exists():
        pytest.skip("RULES.md not beside the checkout")
    table = dict(re.findall(r"^\| (RPL\d{3}) \| ([a-z0-9-]+) \|", spec.read_text(), re.M))
    # RPL9xx are reprolint's own meta rules (unused noqa), not part of the catalogue.
    for rule in ALL_RULES:
        if rule.code.startswith("RPL9"):
            continue
        assert table[rule.code] == rule.name


def test_readme_does_not_call_the_rpl105_fix_stream_preserving():
    readme = (ROOT / "README.md").read_text()
    line = next(line for line in readme.splitlines() if "random streams stay identical" in line)
    assert "RPL105" not in line
    assert "RPL105" in readme.split("random streams stay identical", 1)[1].split("\n\n", 1)[0]


def test_readme_pre_commit_rev_names_a_ref_that_exists_or_says_which_to_pin():
    import re
    import subprocess

    readme = (ROOT / "README.md").read_text()
    snippet = readme.split("# .pre-commit-config.yaml", 1)[1].split("```", 1)[0]
    rev = re.search(r"rev:\s*(\S+)", snippet).group(1)
    tags = subprocess.run(["git", "tag", "--list"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if re.fullmatch(r"v?\d+(\.\d+)*", rev):
        assert rev in tags, f"the pre-commit snippet pins {rev}, which is not a tag of this repository"
    else:  # a placeholder: the text must say what to put there
        assert "commit SHA" in readme.split("# .pre-commit-config.yaml", 1)[1].split("## ", 1)[0]
