"""Apply the rules' fixes to a source text: lint, edit the tree, re-lint, until nothing is left.

Each pass lints the current text, takes the fixable findings in source order, skips a fix whose
nodes overlap (contain or sit inside) those of a fix already taken in this pass, applies the rest
in one libcst transformation, and checks the result still parses. The skipped fixes are found
again by the next pass's lint on the edited tree, so overlapping fixes resolve deterministically.
A file that has not settled after ``MAX_PASSES`` is left as it was and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst

from reprolint.engine import MAX_ANALYSED_CHARS, TOO_LARGE, Linter
from reprolint.findings import Applicability, FileError, FileReport, Finding
from reprolint.fix.write import match_line_endings
from reprolint.rules.edits import enclosing_statement, imports_end, module_level_imports
from reprolint.semantic.imports import ImportTable
from reprolint.semantic.tree import child_nodes, parent_map
from reprolint.settings import Settings
from reprolint.sources import quiet_python_warnings

MAX_PASSES = 10


@dataclass
class FixOutcome:
    """What fixing one source did: the fixed text, the findings fixed, the findings left."""

    path: str
    original: str
    source: str
    applied: list = field(default_factory=list)  # Finding, as reported before its fix
    remaining: list = field(default_factory=list)  # Finding, in the fixed source
    errors: list = field(default_factory=list)  # FileError
    # The part of ``errors`` that linting (not fixing) found: a caller that lints the result
    # again (notebooks) reports those itself, at the file's own positions.
    lint_errors: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.source != self.original


def is_applicable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and (unsafe or finding.fix.applicability is Applicability.SAFE)


def fix_source(source: str, path: str, settings: Optional[Settings] = None, unsafe: bool = True,
               linter=None) -> FixOutcome:
    """Fix every fixable finding in ``source`` (unsafe fixes too unless ``unsafe`` is False)."""
    linter = linter or Linter(settings or Settings())
    outcome = FixOutcome(path, source, source)
    current = source
    first_findings = None
    for _ in range(MAX_PASSES):
        report, module = _lint(linter, current, path)
        first_findings = report.findings if first_findings is None else first_findings
        outcome.remaining = report.findings
        if report.errors:
            if current is not source and any(error.message.startswith(TOO_LARGE) for error in report.errors):
                # The fixes grew the text past what reprolint analyses: say so with both sizes
                # (the limit's own message would give the fixed text's size as the file's).
                outcome.remaining = first_findings
                return _untouched(outcome, f"not fixed: the fixed text would be {len(current):,} characters, over "
                                           f"the limit of {MAX_ANALYSED_CHARS:,} that reprolint analyses (the file "
                                           f"has {len(source):,}); file left unchanged")
            outcome.errors.extend(report.errors)
            outcome.lint_errors.extend(report.errors)
            break
        chosen = _choose(module, [f for f in report.findings if is_applicable(f, unsafe)])
        if not chosen:
            break
        if match_line_endings(current, module.code) != current:
            # A fixed file is printed from libcst's tree, which must then hold the whole text
            # (line endings aside: those are put back as the file had them).
            return _untouched(outcome, NOT_ROUND_TRIPPED)
        # Findings about one creation share one Fix (RPL106, RPL109): it is applied once.
        fixes = list({id(f.fix): f.fix for f in chosen}.values())
        fixed = match_line_endings(current, apply_fixes(module, fixes, linter.settings).code)
        problem = invalid_python(fixed, path, current)
        if problem:
            codes = ", ".join(sorted({f.code for f in chosen}))
            return _untouched(outcome, f"fixing {codes} would give invalid code ({problem}); file left unchanged")
        if fixed == current:
            break
        outcome.applied.extend(chosen)
        current = fixed
    else:
        return _untouched(outcome, f"fixes did not settle after {MAX_PASSES} passes; file left unchanged")
    outcome.source = current
    return outcome


NOT_ROUND_TRIPPED = ("not fixed: libcst's tree of this file does not print back to the same text (a line "
                     "holding only a `\\` continuation is dropped, for one); file left unchanged")


def _untouched(outcome: FixOutcome, message: str) -> FixOutcome:
    outcome.errors.append(FileError(outcome.path, message))
    outcome.source = outcome.original
    outcome.applied = []
    return outcome


def _lint(linter, source: str, path: str) -> tuple:
    if not linter.rules or not linter.could_match(source):
        # Nothing to fix; the linter still reports a file that does not parse.
        return linter.lint_source(source, path), None
    report = FileReport(path)
    module = linter.parse(source, report)
    if module is None:
        return report, None
    return linter.lint_module(module, source, report), module


def invalid_python(fixed: str, path: str, before: str) -> Optional[str]:
    """Why ``fixed`` is not valid Python (libcst and CPython both must accept it), else None.

    CPython's compiler also catches what the grammar allows but Python rejects, such as a
    repeated keyword argument. It is only consulted when the text before the fix compiled.
    """
    try:
        cst.parse_module(fixed)
    except Exception as exc:  # any parser failure means the fix broke the file
        return f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
    with quiet_python_warnings():
        try:
            compile(before, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return None
        try:
            compile(fixed, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


def _choose(module: Optional[cst.Module], findings: list) -> list:
    """The fixes of this pass: safe ones first, each in source order, none touching a node
    another one touches (``seed=s`` becomes ``generator=...`` before a generator is added).
    Findings that share one fix object (several calls receiving one generator) are all chosen
    with it."""
    if module is None or not findings:
        return []
    parents = None
    claimed: set = set()
    chosen = []
    taken: set = set()  # ids of the fixes chosen: findings that share one are fixed together
    for finding in sorted(findings, key=lambda f: (f.fix.applicability is not Applicability.SAFE, f.sort_key)):
        if id(finding.fix) in taken:
            chosen.append(finding)
            continue
        nodes = finding.fix.nodes
        if nodes:
            if parents is None:
                parents = parent_map(module)
            if any(_overlaps(node, claimed, parents) for node in nodes):
                continue
            for node in nodes:
                claimed.add(node)
        taken.add(id(finding.fix))
        chosen.append(finding)
    return chosen


def _overlaps(node: cst.CSTNode, claimed: set, parents: dict) -> bool:
    probe = node
    while probe is not None:
        if probe in claimed:
            return True
        probe = parents.get(probe)
    stack = [node]
    while stack:
        current = stack.pop()
        if current in claimed:
            return True
        stack.extend(child_nodes(current))
    return False


class _Editor(cst.CSTTransformer):
    """Applies replacements (composing nested ones) and inserts statements before anchors."""

    def __init__(self, replacements: dict, before: dict) -> None:
        super().__init__()
        self.replacements = replacements
        self.before = before  # original statement -> [code, ...]

    def on_leave(self, original_node, updated_node):
        replacement = self.replacements.get(original_node)
        if replacement is not None:
            updated_node = replacement(updated_node) if callable(replacement) else replacement
        if isinstance(original_node, (cst.Module, cst.IndentedBlock)) and self.before:
            updated_node = self._insert(original_node, updated_node)
        return updated_node

    def _insert(self, original, updated):
        if not any(stmt in self.before for stmt in original.body):
            return updated
        body = []
        for old, new in zip(original.body, updated.body):
            inserted = [cst.parse_statement(code) for code in self.before.get(old, ())]
            if inserted:
                # Comments above the statement stay above the group the fix creates.
                inserted[0] = inserted[0].with_changes(leading_lines=new.leading_lines)
                new = new.with_changes(leading_lines=[])
            body.extend(inserted)
            body.append(new)
        return updated.with_changes(body=body)


def apply_fixes(module: cst.Module, fixes: list, settings: Settings) -> cst.Module:
    """One libcst transformation applying every fix (which must not overlap)."""
    replacements: dict = {}
    before: dict = {}
    imports: list = []
    after_imports: list = []
    before_torch: list = []
    parents = None
    for fix in fixes:
        replacements.update(fix.replacements)
        for anchor, code in fix.statements_before:
            if parents is None:
                parents = parent_map(module)
            statement = _statement_of(parents, anchor)
            if statement is not None and code not in before.setdefault(statement, []):
                before[statement].append(code)
        imports.extend(i for i in fix.imports if i not in imports)
        after_imports.extend(s for s in fix.statements_after_imports if s not in after_imports)
        before_torch.extend(s for s in fix.statements_before_torch if s not in before_torch)
    if replacements or before:
        module = module.visit(_Editor(replacements, before))
    module = insert_module_statements(module, imports, after_imports, before_torch)
    for fix in fixes:
        if fix.transform is not None:
            module = fix.transform(module, settings)
    return module


def _statement_of(parents: dict, node: cst.CSTNode):
    if isinstance(node, cst.BaseStatement) and isinstance(parents.get(node), (cst.Module, cst.IndentedBlock)):
        return node
    return enclosing_statement(parents, node)


# -- module-level insertions ------------------------------------------------------------------


def _new_bindings(code: str, table: ImportTable) -> bool:
    """Whether the import statement ``code`` binds a name the module does not bind already."""
    added = ImportTable.from_module(cst.parse_module(code)).aliases
    return any(table.aliases.get(local) != qualified for local, qualified in added.items())


def _imports_torch(stmt: cst.CSTNode) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    table = ImportTable()
    for small in stmt.body:
        if isinstance(small, cst.Import):
            table._add_import(small)
        elif isinstance(small, cst.ImportFrom):
            table._add_import_from(small)
    return table.imports_module("torch")


def insert_module_statements(module: cst.Module, imports: list, after_imports: list,
                             before_torch: list) -> cst.Module:
    """Add missing imports at the end of the leading imports, then ``after_imports`` once, and
    ``before_torch`` right before the first top-level torch import."""
    if not (imports or after_imports or before_torch):
        return module
    table = module_level_imports(module)
    body = list(module.body)
    existing = {module.code_for_node(stmt).strip() for stmt in body}
    if before_torch:
        at = next((i for i, stmt in enumerate(body) if _imports_torch(stmt)), imports_end(body))
        # Only what runs before torch is imported counts (an ``import os`` further down does not).
        earlier = {module.code_for_node(stmt).strip() for stmt in body[:at]}
        earlier_imports = module_level_imports(cst.Module(body=body[:at]))
        new = [cst.parse_statement(code) for code in before_torch
               if code not in earlier and not (code.startswith(("import ", "from ")) and not _new_bindings(
                   code, earlier_imports))]
        if new:
            if at < len(body):
                new[0] = new[0].with_changes(leading_lines=body[at].leading_lines)
                body[at] = body[at].with_changes(leading_lines=[])
            body[at:at] = new
            table = module_level_imports(module.with_changes(body=body))
    added_imports = []
    for code in imports:
        if _new_bindings(code, table):
            added_imports.append(cst.parse_statement(code))
            table = module_level_imports(cst.Module(body=[*body, *added_imports]))
    setup = [cst.parse_statement(code) for code in after_imports if code not in existing]
    end = imports_end(body)
    if setup:
        setup[0] = setup[0].with_changes(leading_lines=[cst.EmptyLine()])
        if end < len(body) and not body[end].leading_lines:
            body[end] = body[end].with_changes(leading_lines=[cst.EmptyLine()])
    if end == 0 and body and added_imports and not setup:
        body[0] = body[0].with_changes(leading_lines=[cst.EmptyLine(), *body[0].leading_lines])
    body[end:end] = [*added_imports, *setup]
    return module.with_changes(body=body)
