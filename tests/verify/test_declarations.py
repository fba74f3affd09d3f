"""--verify knows rules only through their ``verification`` declarations, and findings carry the
calls to capture from the lint to verify (no torch needed)."""

from __future__ import annotations

import ast
import json
import pathlib
import re
import textwrap

import pytest

from reprolint.cache import Cache
from reprolint.engine import Linter
from reprolint.parallel import attach, detach
from reprolint.reporters import render
from reprolint.rules import ALL_RULES
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.settings import Settings
from reprolint.verify.declarations import verifiable
from reprolint.verify.instrument import locate_targets

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "reprolint"
VERIFIABLE_RULES = [rule for rule in ALL_RULES if rule.verification is not None]


# The rules no pair of runs can reveal, and why; every other rule declares its check.
NOT_VERIFIABLE = {
    "RPL401": "a dependency file, nothing runs",
    "RPL900": "a noqa comment, nothing runs",
}


def test_some_rules_are_verifiable_and_some_are_not():
    assert VERIFIABLE_RULES and len(VERIFIABLE_RULES) < len(ALL_RULES)
    assert {rule.code for rule in ALL_RULES if rule.verification is None} == set(NOT_VERIFIABLE)


def test_an_unseeded_entry_point_is_checked_on_its_first_draw_or_its_training_steps():
    linter = Linter(Settings(select=("RPL202",)))
    sampling = textwrap.dedent("""\
        import torch
        from diffusers import StableDiffusionPipeline

        pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
        image = pipe("an astronaut riding a horse").images[0]
        """)
    training = textwrap.dedent("""\
        import torch

        model = torch.nn.Linear(4, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(10):
            loss = model(torch.ones(2, 4)).sum()
            loss.backward()
            optimizer.step()
        """)
    (finding,) = linter.lint_source(sampling, "sample.py").findings
    assert finding.verify_targets == [(5, 8, 5, 43)]  # the pipeline call itself
    (finding,) = linter.lint_source(training, "train.py").findings
    assert finding.start.line == 7 and finding.verify_targets == []
    assert id(finding) in locate_targets([finding]).training  # the loop's optimizer steps


@pytest.mark.parametrize("rule", VERIFIABLE_RULES, ids=lambda rule: rule.code)
def test_a_verifiable_rule_declares_a_complete_verification(rule):
    verification = rule.verification
    assert isinstance(verification, Verification)
    assert verification.observe is None or isinstance(verification.observe, Observe)
    assert isinstance(verification.compare, Compare)
    assert verification.problems() == []
    if verification.observe is None:
        return
    # What it observes is where its findings show: each INVALID example gives a call to capture.
    # A rule whose calls live elsewhere than the flagged code (the calls it names, the pipeline
    # calls of a rule that falls back to training steps) need not find one in every short
    # example: at least one of its examples shows it.
    linter = Linter(Settings(select=(rule.code,)))
    shown = []
    for example in rule.INVALID:
        findings = [f for f in linter.lint_source(example.code, example.path).findings if f.code == rule.code]
        assert findings, example.code
        shown.append(all(f.verify_targets for f in findings))
    if verification.training or verification.observe is Observe.NAMED_BY_RULE:
        assert any(shown), f"no INVALID example of {rule.code} gives a call to observe"
    else:
        assert all(shown), [example.code for example, ok in zip(rule.INVALID, shown) if not ok]


@pytest.mark.parametrize("declaration,problem", [
    (Verification(observe=None), "observes no call"),
    (Verification(observe=Observe.FLAGGED_CALL, drift="it differs"), "{difference}"),
    (Verification(observe=None, compare=Compare.SAME_SEED, training=True), "gpu_only"),
    (Verification(observe=Observe.RECEIVING_CALL, compare=Compare.DEVICES), "both devices"),
    (Verification(observe=Observe.FLAGGED_CALL, no_drift="identical: {difference}"), "placeholders"),
    (Verification(observe=Observe.NAMED_BY_RULE, compare=Compare.ALONE, training=True), "within one run"),
    (Verification(observe=None, compare=Compare.RAISES, training=True), "error_text"),
])
def test_an_incomplete_declaration_says_what_it_lacks(declaration, problem):
    assert any(problem in text for text in declaration.problems())


def test_the_declarations_are_plain_data():
    # Every rule module imports them: they must cost what `import reprolint` costs.
    tree = ast.parse((PACKAGE / "rules" / "verification.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "dataclasses", "enum", "typing"}


def test_verify_names_no_rule_code():
    # What verify does for a rule comes from the rule's declaration; a code in verify's source
    # (in a comment too) is knowledge that belongs on the rule.
    mentions = [f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
                for path in sorted((PACKAGE / "verify").rglob("*.py"))
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if re.search(r"RPL\d|\"RPL", line)]
    assert mentions == []


SCRIPT = textwrap.dedent(
    """\
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained("sd").to("cuda")
    g = torch.Generator("cuda").manual_seed(0)
    first = pipe("a cat", generator=g).images[0]
    second = pipe("a dog", generator=g).images[0]
    third = pipe("an owl").images[0]
    """
)


def _targets(run) -> list:
    return sorted((f.code, f.start.line, tuple(f.verify_targets)) for f in run.findings)


def test_the_calls_to_capture_travel_through_workers_and_the_cache_but_never_into_reports(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("a.py", "b.py"):
        (project / name).write_text(SCRIPT)
    linter = Linter(Settings(select=("ALL",)))
    direct = linter.lint_paths([str(project)])
    assert any(f.verify_targets for f in direct.findings)
    cache_dir = str(tmp_path / "cache")
    cold = linter.lint_paths([str(project)], cache=Cache.for_settings(cache_dir, linter.settings))
    warm = linter.lint_paths([str(project)], cache=Cache.for_settings(cache_dir, linter.settings))
    in_workers = linter.lint_paths([str(project)], jobs=2)
    assert _targets(cold) == _targets(warm) == _targets(in_workers) == _targets(direct)
    assert locate_targets(verifiable(warm.findings)).spans == locate_targets(verifiable(direct.findings)).spans
    # What the cache stores and a worker sends back is the detached report.
    (report, *_) = direct.files
    again = attach(json.loads(json.dumps(detach(report))), report.path)
    assert [f.verify_targets for f in again.findings] == [f.verify_targets for f in report.findings]
    for output_format in ("json", "sarif", "full"):
        assert "verify_targets" not in render(warm, output_format)
    assert all("verify_targets" not in entry for entry in json.loads(render(warm, "json")))
