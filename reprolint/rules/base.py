"""The shape every rule has: metadata, documentation, examples, and one ``check`` method.

A rule only asks the semantic model questions and reports. Its docstring is its documentation
(``reprolint rule RPL101`` prints it; ``docs/rules/RPL101.md`` is generated from it) and its
``VALID``/``INVALID`` examples are run as tests.
"""

from __future__ import annotations

import inspect
from typing import Callable, ClassVar, Iterable, Iterator, Optional

import libcst as cst

from reprolint.findings import Applicability, Finding, Fix, Position
from reprolint.rules.observation import observed_spans
from reprolint.rules.verification import Verification
from reprolint.semantic.model import SemanticModel
from reprolint.settings import Settings



# Paragraphs of rule pages that several rules share because they share the fact behind them: a
# docstring line ``{seeded-global-rng}`` stands for the paragraph.
SHARED_DOC_PARAGRAPHS = {
    "{seeded-global-rng}": (
        "Silent where torch's global generator was seeded on every path before the call\n"
        "(`torch.manual_seed`, `set_seed`, `seed_everything`, a seeding helper of the project or of the\n"
        "`seeding-helpers` setting, also in the function's callers): the draw is then the same from run\n"
        "to run. Constructing a class whose `__init__` (its own or a base's, in any module) seeds counts\n"
        "too, for the code after it and for the instance's methods. A seeding call on some paths only\n"
        "(`if args.seed is not None: set_seed(args.seed)`) counts where the module's argparse option\n"
        "passes that test by default (`add_argument(\"--seed\", type=int, default=42)`; a nonzero default\n"
        "for `if args.seed:`; also through `seed = args.seed` bound once), not where it defaults to None.\n"
        "A `torch.seed()` after it undoes the seeding. RPL101, RPL109, RPL110 and RPL111 share this one\n"
        "notion."
    ),
}

class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]  # one line, for listings
    default: ClassVar[bool] = True
    fix_safety: ClassVar[Optional[Applicability]] = None
    # Substrings one of which a file must contain for this rule to have anything to report.
    # Used by the engine's prefilter; keep them conservative: a miss drops a true finding.
    triggers: ClassVar[tuple] = ()
    # Packages one of which a file must import (``import x``/``from x...``) for this rule to have
    # anything to report; empty means no such requirement. Also a prefilter input: declare one
    # only when every finding needs a value the analyzer recognises by a name under them.
    requires_imports: ClassVar[tuple] = ()
    # Optionally a method ``def could_report(self, facts) -> bool`` over the module's stdlib-ast
    # facts (``reprolint.prefilter.ModuleFacts``), False only when no finding is possible; the
    # second stage of the prefilter. An instance method, as ``check``, so it may read
    # ``self.settings``. Keep it an over-approximation of what ``check`` can report.
    could_report: ClassVar[Optional[Callable]] = None
    # Project facts (``reprolint.semantic.project_facts``) whose project functions stand for the
    # rule's own triggers and checks: in a file that names one (a call of a project helper that
    # switches deterministic algorithms on), the prefilter passes the rule, as a project's own
    # pipeline names do for the rules that need a diffusers import.
    project_triggers: ClassVar[tuple] = ()
    # The kinds of file the rule reads: "python" (modules, notebooks, Markdown blocks, through
    # ``check``) and/or "dependencies" (requirements files, pyproject.toml, environment.yml,
    # through ``check_dependencies``; see ``reprolint.dependencies``). Dependency files are
    # discovered and read only in runs that enable such a rule.
    file_kinds: ClassVar[tuple] = ("python",)
    # How ``--verify`` shows the rule's effect (``reprolint.rules.verification``); None: a pair
    # of runs cannot reveal it, and its findings are not verified.
    verification: ClassVar[Optional[Verification]] = None
    VALID: ClassVar[list] = []
    INVALID: ClassVar[list] = []

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def check(self, model: SemanticModel) -> Iterator[Finding]:
        raise NotImplementedError

    def check_dependencies(self, document) -> Iterator[Finding]:
        """Findings in one ``reprolint.dependencies.DependencyFile``, for rules whose
        ``file_kinds`` include "dependencies"."""
        return iter(())

    @classmethod
    def documentation(cls) -> str:
        """The rule's page: its docstring, with each ``{paragraph-name}`` line replaced by the
        paragraph several rules share (``SHARED_DOC_PARAGRAPHS``), written once."""
        lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
        return "\n".join(SHARED_DOC_PARAGRAPHS.get(line.strip(), line) for line in lines)

    def report(self, model: SemanticModel, node: cst.CSTNode, message: str,
               fix: Optional[Fix] = None, observed: Iterable = ()) -> Finding:
        """The finding on ``node``; ``observed``: for a rule whose verification observes
        ``Observe.NAMED_BY_RULE``, the call nodes whose outputs show it."""
        span = model.position(node)
        finding = Finding(
            code=self.code,
            name=self.name,
            message=message,
            path=model.path,
            start=Position(span.start.line, span.start.column + 1),
            end=Position(span.end.line, span.end.column + 1),
            fix=fix,
        )
        if self.verification is not None:
            finding.verify_targets = observed_spans(model, node, self.verification.observe, observed)
        return finding


class Example:
    """A VALID or INVALID code sample; ``expect`` lists the (line, column) of each finding.

    ``fixed``, for an INVALID example of a rule with a fix, is the whole sample after this
    rule's fixes (unsafe ones included), as Fixit's ``expected_replacement``; the example test
    checks it. Cases too long for an example go in ``tests/fixes/<CODE>/``.
    ``path``: the file name the sample is linted as (a dependency file's, for rules reading
    those); ``files``: other files of the sample's project (relative path -> text), written
    beside it when the rule looks at the project around the file.
    """

    def __init__(self, code: str, expect: Optional[list] = None, note: str = "",
                 fixed: Optional[str] = None, path: str = "example.py", files: Optional[dict] = None) -> None:
        self.code = inspect.cleandoc(code) + "\n"
        self.expect = expect
        self.note = note
        self.fixed = None if fixed is None else inspect.cleandoc(fixed) + "\n"
        self.path = path
        self.files = {name: inspect.cleandoc(text) + "\n" for name, text in (files or {}).items()}
