"""INTERIM fixer for ``--verify``'s "with the fix" step, used only while ``reprolint.fix`` is not
installed. To be deleted once the fix package is on main (``session._fix_function`` prefers it).

Same interface as ``reprolint.fix.fix_source``. Rewrites, per finding:

- RPL101: add ``generator=torch.Generator("cpu").manual_seed(<fix seed>)`` to the call;
- RPL102: re-seed the reused generator at the call: ``generator=g.manual_seed(g.initial_seed())``;
- RPL103: ``generator=seed`` -> ``generator=torch.Generator("cpu").manual_seed(seed)``;
- RPL104: ``torch.manual_seed(s)`` -> ``torch.Generator("cpu").manual_seed(s)`` (same stream);
  ``torch.default_generator`` -> ``torch.Generator("cpu").manual_seed(<fix seed>)``;
- RPL106: create the generator on ``"cpu"``;
- RPL107: has no fix in the rule catalogue, and none here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

FIXED_CODES = ("RPL101", "RPL102", "RPL103", "RPL104", "RPL106")


@dataclass
class InterimFixOutcome:
    source: str
    applied: list = field(default_factory=list)
    remaining: list = field(default_factory=list)


def _cpu_generator(seed: cst.BaseExpression) -> cst.Call:
    return cst.Call(
        func=cst.Attribute(cst.Call(func=cst.parse_expression("torch.Generator"),
                                    args=[cst.Arg(cst.SimpleString('"cpu"'))]), cst.Name("manual_seed")),
        args=[cst.Arg(seed)],
    )


class _Rewriter(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, findings: list, seed: int) -> None:
        super().__init__()
        self.seed = seed
        self.by_span = {}
        for finding in findings:
            key = (finding.start.line, finding.start.column - 1, finding.end.line, finding.end.column - 1)
            self.by_span.setdefault(key, []).append(finding)
        self.applied: list = []

    def _findings_at(self, node) -> list:
        r = self.get_metadata(PositionProvider, node)
        return self.by_span.get((r.start.line, r.start.column, r.end.line, r.end.column), [])

    def leave_Call(self, original, updated):
        for finding in self._findings_at(original):
            if finding.code == "RPL101":
                args = list(updated.args)
                if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
                    args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                args.append(cst.Arg(_cpu_generator(cst.Integer(str(self.seed))), keyword=cst.Name("generator"),
                                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
                updated = updated.with_changes(args=args)
            elif finding.code == "RPL102":
                args = []
                for arg in updated.args:
                    if arg.keyword is not None and arg.keyword.value == "generator":
                        reseeded = cst.Call(func=cst.Attribute(arg.value, cst.Name("manual_seed")), args=[
                            cst.Arg(cst.Call(func=cst.Attribute(arg.value, cst.Name("initial_seed"))))])
                        arg = arg.with_changes(value=reseeded)
                    args.append(arg)
                updated = updated.with_changes(args=args)
            elif finding.code == "RPL104" and updated.args:
                updated = _cpu_generator(updated.args[0].value)
            elif finding.code == "RPL106":
                args = []
                for index, arg in enumerate(updated.args):
                    if (arg.keyword is None and index == 0) or (arg.keyword is not None and arg.keyword.value == "device"):
                        arg = arg.with_changes(value=cst.SimpleString('"cpu"'))
                    args.append(arg)
                if not updated.args:
                    args = [cst.Arg(cst.SimpleString('"cpu"'))]
                updated = updated.with_changes(args=args)
            else:
                continue
            self.applied.append(finding)
        return updated

    def on_leave(self, original, updated):
        if not isinstance(original, cst.BaseExpression):
            return super().on_leave(original, updated)
        for finding in self._findings_at(original):
            if finding.code == "RPL104" and isinstance(original, cst.Attribute):
                self.applied.append(finding)
                return _cpu_generator(cst.Integer(str(self.seed)))
            if finding.code == "RPL103" and finding.message.startswith("`generator="):
                self.applied.append(finding)
                return _cpu_generator(updated)
        return super().on_leave(original, updated)


def fix_source(source: str, path: str, settings=None, unsafe: bool = True) -> InterimFixOutcome:
    from reprolint.engine import Linter
    from reprolint.settings import Settings

    settings = settings or Settings()
    findings = [f for f in Linter(settings).lint_source(source, path).findings if f.code in FIXED_CODES]
    if not findings:
        return InterimFixOutcome(source)
    rewriter = _Rewriter(findings, getattr(settings, "fix_seed", 0))
    module = MetadataWrapper(cst.parse_module(source)).visit(rewriter)
    if rewriter.applied and not _imports_torch(module):
        module = _add_import_torch(module)
    fixed = module.code
    remaining = Linter(settings).lint_source(fixed, path).findings
    return InterimFixOutcome(fixed, rewriter.applied, remaining)


def _add_import_torch(module: cst.Module) -> cst.Module:
    """``import torch`` after the docstring and ``from __future__`` imports."""
    body = list(module.body)
    index = 0
    while index < len(body) and isinstance(body[index], cst.SimpleStatementLine) and any(
            isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString)
            or isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name)
            and small.module.value == "__future__" for small in body[index].body):
        index += 1
    body.insert(index, cst.parse_statement("import torch\n"))
    return module.with_changes(body=body)


def _imports_torch(module: cst.Module) -> bool:
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Import) and any(
                        cst.Module([]).code_for_node(alias.name) == "torch" and alias.asname is None
                        for alias in small.names):
                    return True
    return False
