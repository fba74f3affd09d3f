"""Property tests for --fix over mutations of real code (tests/test_fuzz.py's strategy):
the output always parses, fixing it again changes nothing, and outside the edited spans the
fixed file's syntax tree is the original's (``ast.dump`` compared with the fixed calls masked).
"""

from __future__ import annotations

import ast
import difflib

from hypothesis import assume, example, given, settings
from libcst.metadata import MetadataWrapper, PositionProvider

from reprolint.engine import INTERNAL_ERROR, Linter
from reprolint.fix import fix_source
from reprolint.settings import Settings
from tests.test_fuzz import CORPUS, mutated_corpus, parses

SETTINGS = Settings(select=("ALL",))
LINTER = Linter(SETTINGS)
# Statements a fix may add: imports, `g.manual_seed(...)`, `enable_full_determinism()`, an
# environment assignment. A fix never adds control flow or definitions.
INSERTABLE = (ast.Import, ast.ImportFrom, ast.Expr, ast.Assign)


def insertable(statement: ast.stmt) -> bool:
    """A statement a fix may insert: a simple one above, or RPL114's ``if name is None: name =
    <value>`` (a parameter's default created in the body), and nothing else compound."""
    if isinstance(statement, INSERTABLE):
        return True
    return (isinstance(statement, ast.If) and not statement.orelse and len(statement.body) == 1
            and isinstance(statement.test, ast.Compare) and isinstance(statement.test.left, ast.Name)
            and isinstance(statement.test.ops[0], ast.Is)
            and isinstance(statement.test.comparators[0], ast.Constant) and statement.test.comparators[0].value is None
            and isinstance(statement.body[0], ast.Assign)
            and [ast.dump(t) for t in statement.body[0].targets] == [ast.dump(ast.Name(statement.test.left.id, ast.Store()))])


class PassRecorder(Linter):
    """A linter that keeps what each fixer pass saw: the text and the lines its fixable findings
    cover, with the lines of what their fixes declare they edit (a finding reported at a pipeline
    call may be fixed where its generator is made, RULES.md "Where findings are reported")."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.passes: list = []

    def lint_module(self, module, source, report):
        report = super().lint_module(module, source, report)
        fixable = [f for f in report.findings if f.fix is not None]
        spans = [(f.start.line, f.end.line) for f in fixable]
        declared = [node for f in fixable for node in f.fix.nodes]
        if declared:
            positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
            spans += [(positions[n].start.line, positions[n].end.line) for n in declared if n in positions]
        self.passes.append((source, spans))
        return report


def edited_lines(original: str, passes: list) -> set:
    """The original lines a fix may touch: every pass's fixable finding spans, mapped back to the
    original's numbering (a pass's text differs from the original only where earlier passes
    edited it; a finding on an inserted line maps to the lines around the insertion)."""
    lines = set()
    old = original.splitlines()
    for text, spans in passes:
        new = text.splitlines()
        to_original = {}
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
            for j in range(j1, j2):
                if tag == "equal":
                    to_original[j + 1] = {i1 + (j - j1) + 1}
                else:
                    to_original[j + 1] = set(range(i1 + 1, max(i2, i1 + 1) + 1))
        for start, end in spans:
            for line in range(start, end + 1):
                lines |= to_original.get(line, set())
    return lines


def differences_outside(original: ast.AST, fixed: ast.AST, edited: set) -> list:
    """Where ``fixed`` differs from ``original`` other than in an expression on an edited line
    or by an inserted simple statement. Empty when the fix touched only what it reported."""
    if ast.dump(original) == ast.dump(fixed):
        return []
    if isinstance(original, ast.expr) and isinstance(fixed, ast.expr):
        span = set(range(original.lineno, (original.end_lineno or original.lineno) + 1))
        return [] if span & edited else [f"line {original.lineno}: {ast.unparse(original)!r} -> {ast.unparse(fixed)!r}"]
    if type(original) is not type(fixed):
        return [f"line {getattr(original, 'lineno', '?')}: {type(original).__name__} became {type(fixed).__name__}"]
    problems = []
    for name, old in ast.iter_fields(original):
        new = getattr(fixed, name)
        if isinstance(old, list) and isinstance(new, list):
            problems += _list_differences(old, new, edited)
        elif isinstance(old, ast.AST) and isinstance(new, ast.AST):
            problems += differences_outside(old, new, edited)
        elif old != new and not (isinstance(old, ast.AST) or isinstance(new, ast.AST)):
            problems.append(f"line {getattr(original, 'lineno', '?')}: field {name} {old!r} -> {new!r}")
        elif (old is None) != (new is None):
            problems.append(f"line {getattr(original, 'lineno', '?')}: field {name} added or removed")
    return problems


def _list_differences(old: list, new: list, edited: set) -> list:
    if not all(isinstance(item, ast.AST) for item in old + new):
        return [] if old == new else [f"{old!r} -> {new!r}"]
    if not old or not isinstance(old[0], ast.stmt):
        if len(old) != len(new):  # arguments, keywords: a fix may add one only on an edited line
            lines = {getattr(item, "lineno", 0) for item in old + new}
            return [] if lines & edited else [f"{len(old)} items became {len(new)}"]
        return [p for a, b in zip(old, new) for p in differences_outside(a, b, edited)]
    # Statements: align; an unmatched fixed statement is an insertion, an unmatched original
    # one a deletion (never allowed); pairs of the same kind are compared inside.
    problems = []
    matcher = difflib.SequenceMatcher(a=[ast.dump(s) for s in old], b=[ast.dump(s) for s in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        remaining = list(new[j1:j2])
        for statement in old[i1:i2]:
            partner = next((s for s in remaining if type(s) is type(statement)), None)
            if partner is None:
                problems.append(f"line {statement.lineno}: statement removed")
                continue
            skipped = remaining[:remaining.index(partner)]
            problems += [f"inserted {ast.unparse(s)!r}" for s in skipped if not insertable(s)]
            remaining = remaining[remaining.index(partner) + 1:]
            problems += differences_outside(statement, partner, edited)
        problems += [f"inserted {ast.unparse(s)!r}" for s in remaining if not insertable(s)]
    return problems


def check_fix_properties(source: str) -> bool:
    """Assert the properties; return whether the fix changed anything."""
    recorder = PassRecorder(SETTINGS)
    outcome = fix_source(source, "fuzzed.py", SETTINGS, unsafe=True, linter=recorder)
    assert not [e for e in outcome.errors if e.message.startswith(INTERNAL_ERROR)], outcome.errors
    if outcome.errors:  # a file the fixer declined to change is left exactly as it was
        assert outcome.source == source
        return False
    fixed = outcome.source
    assert parses(fixed), fixed
    again = fix_source(fixed, "fuzzed.py", SETTINGS, unsafe=True, linter=LINTER)
    assert again.source == fixed and not again.applied, [f.code for f in again.applied]
    problems = differences_outside(ast.parse(source), ast.parse(fixed), edited_lines(source, recorder.passes))
    assert not problems, (problems, fixed)
    return outcome.changed


def test_every_corpus_file_fixes_within_its_findings():
    fixed_any = 0
    for source in CORPUS:
        if parses(source):
            fixed_any += check_fix_properties(source)
    assert fixed_any >= 5  # the property is exercised on real fixes, not only on no-ops


# Found by the long profile: deleting `import torch` hid a finding that the first pass's added
# import revealed, so a second pass fixed a line the original lint did not report.
MISSING_IMPORT = (
    "from diffusers import DiffusionPipeline\n\n"
    "def main(args):\n"
    "    pipe = DiffusionPipeline.from_pretrained(args.model)\n"
    "    image = pipe(args.prompt, generator=args.seed).images[0]\n"
    "    generator = torch.Generator(args.seed)\n"
    "    image = pipe(args.prompt, generator=generator).images[0]\n")


@settings(max_examples=max(10, settings.default.max_examples // 2))
@example(MISSING_IMPORT)
@given(mutated_corpus())
def test_fixing_mutated_corpus_files(source):
    assume(parses(source))
    check_fix_properties(source)


def test_the_tree_comparison_catches_an_edit_outside_the_findings():
    original = ast.parse("a = f(1)\nb = g(2)\n")
    assert differences_outside(original, ast.parse("a = f(1, generator=x)\nb = g(2)\n"), {1}) == []
    assert differences_outside(original, ast.parse("import torch\na = f(1)\nb = g(2)\n"), set()) == []
    assert differences_outside(original, ast.parse("a = f(1)\nb = g(3)\n"), {1})
    assert differences_outside(original, ast.parse("b = g(2)\n"), {1})
    assert differences_outside(original, ast.parse("a = f(1)\nfor i in x: pass\nb = g(2)\n"), set())
