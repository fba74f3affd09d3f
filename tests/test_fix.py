"""Autofix: the ``fix_source`` API, its guarantees (idempotent, re-lints clean, never writes
broken code), writing files and the ``--fix`` / ``--unsafe-fixes`` / ``--diff`` command line."""

from __future__ import annotations

import inspect
import os
import pathlib
import shutil
import stat
import subprocess
import textwrap

import libcst as cst
import pytest

from reprolint.engine import Linter
from reprolint.findings import Applicability, Fix
from reprolint.fix import fix_source
from reprolint.fix.apply import MAX_PASSES
from reprolint.fix.diff import unified_diff
from reprolint.fix.write import write_atomically
from reprolint.rules import ALL_RULES, Rule
from reprolint.settings import Settings
from tests.conftest import reprolint_command, run_cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixes"


def dedent(code: str) -> str:
    return inspect.cleandoc(code) + "\n"


MIXED = dedent(
    """
    import torch as T
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
    b = pipe("a dog").images[0]
    a = pipe("a cat", generator=T.manual_seed(1)).images[0]
    """
)


# -- fix_source ----------------------------------------------------------------------------------


def test_fix_source_reports_applied_and_remaining():
    outcome = fix_source(MIXED, "mixed.py", Settings(), unsafe=True)
    assert sorted(f.code for f in outcome.applied) == ["RPL101", "RPL104"]
    assert outcome.remaining == []
    assert 'a = pipe("a cat", generator=T.Generator("cpu").manual_seed(1)).images[0]' in outcome.source
    assert 'b = pipe("a dog", generator=T.Generator("cpu").manual_seed(0)).images[0]' in outcome.source
    # The alias is reused: no second import of torch.
    assert "import torch\n" not in outcome.source


def test_the_global_generator_fix_is_unsafe_where_a_later_draw_relies_on_its_seeding():
    # Regression (issue 21): `b` drew from the global generator that `T.manual_seed(1)` seeded;
    # the "safe" fix used to remove that seeding, and `b` changed on every run.
    source = MIXED.replace('    b = pipe("a dog").images[0]\n', "") + 'b = pipe("a dog").images[0]\n'
    safe_only = fix_source(source, "mixed.py", Settings(), unsafe=False)
    assert safe_only.applied == [] and safe_only.source == source
    unsafe = fix_source(source, "mixed.py", Settings(select=("RPL104",)), unsafe=True)
    assert 'T.manual_seed(1)\na = pipe("a cat", generator=T.Generator("cpu").manual_seed(1))' in unsafe.source


def test_safe_only_leaves_unsafe_findings_in_remaining():
    outcome = fix_source(MIXED, "mixed.py", Settings(), unsafe=False)
    assert [f.code for f in outcome.applied] == ["RPL104"]
    assert [f.code for f in outcome.remaining] == ["RPL101"]
    assert 'pipe("a dog").images[0]' in outcome.source


def test_fix_seed_setting_is_the_inserted_seed():
    outcome = fix_source(MIXED, "mixed.py", Settings(fix_seed=1234))
    assert 'generator=T.Generator("cpu").manual_seed(1234)' in outcome.source


def test_a_missing_torch_import_is_added_once_for_several_fixes():
    source = dedent(
        """
        from diffusers import DiffusionPipeline

        pipe = DiffusionPipeline.from_pretrained("some/model")
        a = pipe("a cat")
        b = pipe("a dog", seed=3)
        """
    )
    outcome = fix_source(source, "x.py", Settings())
    assert outcome.source.count("import torch\n") == 1
    assert 'b = pipe("a dog", generator=torch.Generator("cpu").manual_seed(3))' in outcome.source
    assert not outcome.remaining


def test_overlapping_fixes_on_one_call_resolve_to_one_generator():
    # RPL103 (safe: seed= becomes generator=) and RPL101 (unsafe: add generator=) both target
    # this call; the safe fix wins and RPL101 is then no longer reported.
    source = dedent(
        """
        import torch
        from diffusers import DiffusionPipeline

        pipe = DiffusionPipeline.from_pretrained("some/model")
        image = pipe("a cat", seed=args.seed)
        """
    )
    outcome = fix_source(source, "x.py", Settings())
    assert 'pipe("a cat", generator=torch.Generator("cpu").manual_seed(args.seed))' in outcome.source
    assert [f.code for f in outcome.applied] == ["RPL103"]


def test_noqa_suppressed_findings_are_not_fixed():
    source = MIXED.replace('b = pipe("a dog").images[0]', 'b = pipe("a dog").images[0]  # noqa: RPL101')
    outcome = fix_source(source, "x.py", Settings())
    assert 'b = pipe("a dog").images[0]  # noqa: RPL101' in outcome.source


def test_comments_blank_lines_and_quotes_outside_the_edit_survive():
    source = dedent(
        """
        # header comment
        import torch  # the framework
        from diffusers import DiffusionPipeline


        pipe = DiffusionPipeline.from_pretrained('some/model')  # single quotes

        # a comment right above the call
        image = pipe('a cat',   guidance_scale = 7.5)  # odd spacing kept
        """
    )
    fixed = fix_source(source, "x.py", Settings(select=("RPL101",))).source
    assert fixed == source.replace(
        "guidance_scale = 7.5)", 'guidance_scale = 7.5, generator=torch.Generator("cpu").manual_seed(0))')


class _BreaksTheFile(Rule):
    """A rule whose fix adds a second ``generator=``: valid libcst, invalid Python."""

    code, name, summary, triggers = "RPL999", "breaks-the-file", "test only", ("pipe",)

    def check(self, model):
        for call in model.calls:
            if call.keyword("generator") is not None:
                node = call.node
                yield self.report(model, node, "test", fix=Fix(Applicability.SAFE, "break", replacements={
                    node: node.with_changes(args=[*node.args, cst.Arg(cst.Name("g"), keyword=cst.Name("generator"))])}))


class _NeverSettles(Rule):
    """A rule that reports again after its own fix, forever."""

    code, name, summary, triggers = "RPL998", "never-settles", "test only", ("pipe",)

    def check(self, model):
        yield self.report(model, model.module.body[0], "test",
                          fix=Fix(Applicability.SAFE, "grow", statements_after_imports=(f"x{len(model.module.body)} = 1",)))


def test_a_fix_that_would_not_compile_leaves_the_source_untouched_and_is_reported():
    source = "pipe(1, generator=g)\n"
    outcome = fix_source(source, "x.py", Settings(), linter=Linter(Settings(), rules=[_BreaksTheFile]))
    assert outcome.source == source and not outcome.changed
    assert outcome.applied == []
    assert "invalid code" in outcome.errors[0].message and "RPL999" in outcome.errors[0].message


def test_fixes_that_never_settle_stop_at_the_bound_and_leave_the_source_untouched():
    source = "import os\npipe()\n"
    outcome = fix_source(source, "x.py", Settings(), linter=Linter(Settings(), rules=[_NeverSettles]))
    assert outcome.source == source
    assert f"{MAX_PASSES} passes" in outcome.errors[0].message


# -- idempotence and re-lint over the rule corpus -------------------------------------------------


def _corpus():
    for rule in ALL_RULES:
        if "python" not in rule.file_kinds:
            continue  # its examples are dependency files, not Python
        for index, example in enumerate(rule.INVALID):
            yield pytest.param(example.code, id=f"{rule.code}-invalid-{index}")
    for path in sorted((ROOT / "examples").glob("*.py")):
        yield pytest.param(path.read_text(), id=f"examples/{path.name}")
    for path in sorted(FIXTURES.glob("*/*.in.py")):
        yield pytest.param(path.read_text(), id=f"fixes/{path.parent.name}/{path.name}")
    for path in sorted((ROOT / "tests" / "corpus").rglob("*.py")):
        yield pytest.param(path.read_text(encoding="utf-8"), id=f"corpus/{path.name}")


@pytest.mark.parametrize("source", list(_corpus()))
def test_fixing_everything_is_idempotent_and_relints_without_fixable_findings(source):
    settings = Settings(select=("ALL",))
    first = fix_source(source, "corpus.py", settings, unsafe=True)
    assert not first.errors, first.errors
    compile(first.source, "corpus.py", "exec")
    assert not [f for f in first.remaining if f.fix is not None]
    second = fix_source(first.source, "corpus.py", settings, unsafe=True)
    assert second.source == first.source and not second.applied
    # Every finding fixed is gone: the remaining ones are exactly the re-lint of the result.
    relint = Linter(settings).lint_source(first.source, "corpus.py").findings
    assert [(f.code, f.start) for f in relint] == [(f.code, f.start) for f in first.remaining]


# -- line endings, writes and diffs --------------------------------------------------------------


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*/*.in.py"))[::4], ids=lambda p: p.name)
def test_crlf_source_stays_crlf(fixture):
    source = fixture.read_text().replace("\n", "\r\n")
    expected = fixture.with_name(fixture.name.replace(".in.py", ".out.py")).read_text().replace("\n", "\r\n")
    fixed = fix_source(source, "x.py", Settings(select=(fixture.parent.name,))).source
    assert fixed == expected


def test_write_keeps_permissions_encoding_and_crlf(tmp_path):
    target = tmp_path / "script.py"
    target.write_bytes("# -*- coding: latin-1 -*-\r\nname = 'café'\r\n".encode("latin-1"))
    target.chmod(0o751)
    write_atomically(str(target), "# -*- coding: latin-1 -*-\r\nname = 'café'\r\nx = 1\r\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert target.read_bytes() == "# -*- coding: latin-1 -*-\r\nname = 'café'\r\nx = 1\r\n".encode("latin-1")
    assert [p.name for p in tmp_path.iterdir()] == ["script.py"]  # no temporary file left


def test_diff_marks_a_missing_final_newline():
    diff = unified_diff("a = 1\nb = 2", "a = 1\nb = 3", "x.py")
    assert diff.endswith("-b = 2\n\\ No newline at end of file\n+b = 3\n\\ No newline at end of file\n")


# -- the command line ----------------------------------------------------------------------------

BAD = dedent(
    """
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
    second = pipe("a dog").images[0]
    first = pipe("a cat", generator=torch.manual_seed(0)).images[0]
    """
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    crlf = FIXTURES / "RPL101" / "aliased_multiline.in.py"
    (tmp_path / "crlf.py").write_bytes(crlf.read_bytes().replace(b"\n", b"\r\n"))
    (tmp_path / "crlf.py").chmod(0o700)
    for fixture in sorted(FIXTURES.glob("*/*.in.py")):
        (tmp_path / f"{fixture.parent.name}_{fixture.name}").write_text(fixture.read_text())
    return tmp_path


def _contents(folder: pathlib.Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.py"))}


def test_text_output_marks_fixable_findings_like_ruff(project):
    result = run_cli("bad.py", cwd=project)
    assert result.returncode == 1
    # Only the finding lines and the closing lines: some output formats add source excerpts.
    lines = [line for line in result.stdout.splitlines() if line.startswith(("bad.py:", "[*]", "No fixes"))]
    assert lines[0].startswith("bad.py:5:10: RPL101 pipeline call")  # unsafe: no marker by default
    assert lines[1].startswith("bad.py:6:33: RPL104 [*] ")
    assert lines[2] == "[*] 1 fixable with --fix (1 hidden fix can be enabled with --unsafe-fixes)."
    unsafe = [line for line in run_cli("bad.py", "--unsafe-fixes", cwd=project).stdout.splitlines()
              if line.startswith(("bad.py:", "[*]"))]
    assert unsafe[0].startswith("bad.py:5:10: RPL101 [*] ")
    assert unsafe[2] == "[*] 2 fixable with --fix."


def test_fix_applies_safe_fixes_and_exits_1_while_findings_remain(project):
    result = run_cli("bad.py", "--fix", cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "Fixed 1, 1 remaining (1 fixable with --unsafe-fixes) (1 file checked).")
    assert result.stdout.startswith("bad.py:5:10: RPL101 pipeline call")
    text = (project / "bad.py").read_text()
    assert 'generator=torch.Generator("cpu").manual_seed(0)' in text and 'pipe("a dog")' in text


def test_unsafe_fixes_fix_everything_and_exit_0(project):
    result = run_cli("bad.py", "--fix", "--unsafe-fixes", "--fix-seed", "7", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "Fixed 2, 0 remaining (1 file checked)."
    assert 'second = pipe("a dog", generator=torch.Generator("cpu").manual_seed(7))' in (project / "bad.py").read_text()
    assert run_cli("bad.py", cwd=project).returncode == 0
    again = run_cli("bad.py", "--fix", "--unsafe-fixes", cwd=project)
    assert again.returncode == 0 and again.stdout.startswith("Fixed 0, 0 remaining")


def test_fix_keeps_crlf_and_permissions_on_disk(project):
    assert run_cli("crlf.py", "--fix", "--unsafe-fixes", cwd=project).returncode == 0
    data = (project / "crlf.py").read_bytes()
    expected = (FIXTURES / "RPL101" / "aliased_multiline.out.py").read_bytes().replace(b"\n", b"\r\n")
    assert data == expected
    assert stat.S_IMODE((project / "crlf.py").stat().st_mode) == 0o700


def test_diff_writes_nothing_and_applies_cleanly_with_patch(project, tmp_path_factory):
    before = _contents(project)
    # Bytes, not text: the diff of the CRLF file must keep its CRs.
    result = subprocess.run([*reprolint_command(), ".", "--diff", "--unsafe-fixes"], cwd=project,
                            capture_output=True, timeout=120)
    assert result.returncode == 1  # files would change
    assert _contents(project) == before
    assert result.stdout.startswith(b"--- ")
    assert b"Would fix" in result.stderr
    # The reference: what --fix writes, in a copy of the project.
    fixed = tmp_path_factory.mktemp("fixed")
    shutil.copytree(project, fixed, dirs_exist_ok=True)
    assert run_cli(".", "--fix", "--unsafe-fixes", cwd=fixed).returncode in (0, 1)
    patch = shutil.which("patch")
    if patch:
        command = [patch, "-p0", "--quiet", "--batch"]
    elif shutil.which("git"):
        command = ["git", "apply", "-p0", "--unsafe-paths", "-"]
    else:
        pytest.skip("neither patch nor git available")
    applied = subprocess.run(command, input=result.stdout, cwd=project, capture_output=True)
    assert applied.returncode == 0, applied.stderr + applied.stdout
    assert _contents(project) == _contents(fixed)


def test_fix_leaves_an_unparsable_file_alone_and_exits_2(project):
    (project / "broken.py").write_text("from diffusers import DiffusionPipeline\npipe(\n")
    result = run_cli("broken.py", "bad.py", "--fix", cwd=project)
    assert result.returncode == 2
    assert (project / "broken.py").read_text() == "from diffusers import DiffusionPipeline\npipe(\n"
    assert "broken.py:" in result.stdout and "error" in result.stdout


def test_pre_commit_hooks_offer_lint_and_safe_fix():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "id: reprolint\n" in text and "id: reprolint-fix\n" in text
    fix_hook = text.split("id: reprolint-fix", 1)[1]
    assert "--fix" in fix_hook and "--unsafe-fixes" not in fix_hook


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_fixes_carry_the_rule_s_declared_safety(rule):
    for example in rule.INVALID:
        for finding in Linter(Settings(select=(rule.code,))).lint_source(example.code, "x.py").findings:
            if rule.fix_safety is None:
                assert finding.fix is None
            elif finding.fix is not None and finding.fix.applicability is not rule.fix_safety:
                # A rule whose fix is safe only where nothing relies on what it changes may
                # offer the unsafe variant elsewhere (RPL104); never the other way round, and its
                # page must say when.
                assert (rule.fix_safety, finding.fix.applicability) == (Applicability.SAFE, Applicability.UNSAFE)
                assert "unsafe" in rule.__doc__.split("## Fix safety", 1)[1].lower()


def test_fix_reports_a_broken_file_no_rule_could_match(project):
    (project / "plain.py").write_text("def f(:\n")
    result = run_cli("plain.py", "--fix", cwd=project)
    assert result.returncode == 2 and "plain.py:1:" in result.stdout


class _NeedsEnvironment(Rule):
    """Sets an environment variable before torch is imported, as RPL302's fix does."""

    code, name, summary, triggers = "RPL997", "needs-environment", "test only", ("torch",)

    def check(self, model):
        if 'os.environ.setdefault("X", "1")' not in model.source:
            yield self.report(model, model.module.body[0], "test", fix=Fix(
                Applicability.SAFE, "env", statements_before_torch=("import os", 'os.environ.setdefault("X", "1")')))


@pytest.mark.parametrize("source,expected", [
    ("import sys\n# framework\nimport torch\nx = 1\n",
     'import sys\n# framework\nimport os\nos.environ.setdefault("X", "1")\nimport torch\nx = 1\n'),
    # An ``import os`` after torch does not help: a new one goes before torch.
    ("import torch\nimport os\n", 'import os\nos.environ.setdefault("X", "1")\nimport torch\nimport os\n'),
    ("import os\nimport torch as T\n", 'import os\nos.environ.setdefault("X", "1")\nimport torch as T\n'),
])
def test_statements_before_torch_go_right_before_the_first_torch_import(source, expected):
    outcome = fix_source(source, "x.py", Settings(), linter=Linter(Settings(), rules=[_NeedsEnvironment]))
    assert outcome.source == expected


def test_fix_keeps_a_utf8_bom(project):
    (project / "bom.py").write_bytes(b"\xef\xbb\xbf" + BAD.encode())
    assert run_cli("bom.py", "--fix", cwd=project).returncode == 1
    data = (project / "bom.py").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfimport torch") and b'torch.Generator("cpu").manual_seed(0)' in data


def test_fix_seed_comes_from_the_configuration_and_the_option_overrides_it(project):
    (project / "pyproject.toml").write_text("[tool.reprolint]\nfix-seed = 9\n")
    (project / "two.py").write_text(BAD)
    assert run_cli("bad.py", "--fix", "--unsafe-fixes", cwd=project).returncode == 0
    assert 'pipe("a dog", generator=torch.Generator("cpu").manual_seed(9))' in (project / "bad.py").read_text()
    assert run_cli("two.py", "--fix", "--unsafe-fixes", "--fix-seed", "5", cwd=project).returncode == 0
    assert 'pipe("a dog", generator=torch.Generator("cpu").manual_seed(5))' in (project / "two.py").read_text()


@pytest.mark.parametrize("local_import", ["import torch", "import torch as T"])
def test_an_import_inside_a_function_does_not_bind_the_name_a_module_level_fix_writes(local_import):
    source = dedent(
        f"""
        from diffusers import DiffusionPipeline


        def seeded(pipe):
            {local_import}
            return pipe("a cat")


        pipe = DiffusionPipeline.from_pretrained("some/model")
        image = pipe("a dog").images[0]
        """
    )
    fixed = fix_source(source, "x.py", Settings(select=("RPL101",))).source
    assert fixed.startswith("from diffusers import DiffusionPipeline\nimport torch\n")
    assert 'image = pipe("a dog", generator=torch.Generator("cpu").manual_seed(0)).images[0]' in fixed
    # The function keeps its own import; one module-level import is added.
    assert fixed.count("import torch") == 2
