"""The cheap first pass: decide from the text alone whether a file can produce a finding, so that
only files that can are parsed (libcst parses about 1 MB/s; this pass scans hundreds).

A file is parsed when at least one enabled rule passes all of its checks:

- ``Rule.triggers``: one of these substrings occurs in the file.
- ``Rule.requires_imports``: the file has an absolute ``import``/``from`` statement naming one of
  these packages. The semantic layer resolves names through import statements only
  (``reprolint.semantic.imports``), so a value it can only recognise by a qualified name under
  those packages (a diffusers pipeline, a ``torch.Generator`` it creates) cannot exist in a file
  that never imports them.

- ``Rule.could_report(facts)``, where a rule defines it: a question about the module's stdlib
  ``ast`` (``ModuleFacts``), asked only of files that pass the text checks.

The verdict is per rule (``rules_allowed``): only the rules that pass all their own checks run
on a parsed file.

All checks over-approximate (a match in a comment or a docstring still counts) and must never
under-approximate: the test suite lints every rule example, example script and test fixture with
the prefilter on and off and requires identical findings.
"""

from __future__ import annotations

import ast
import functools
import re
import warnings

from reprolint.semantic.catalog import PIPELINE_PACKAGES


@functools.lru_cache(maxsize=None)
def _import_pattern(package: str) -> "re.Pattern":
    name = re.escape(package)
    # A statement starts a line or follows ``;`` or a compound statement's ``:``
    # (``try: import x``). Python separates tokens only by spaces, tabs and form feeds.
    return re.compile(
        rf"(?:^|[;:])[ \t\f]*(?:from[ \t\f]+{name}\b|import[ \t\f][^\n]*\b{name}\b)",
        re.MULTILINE,
    )


def logical_text(source: str) -> str:
    """The source with every line ending as ``\\n`` and backslash continuations joined, so that
    one statement's ``import`` and its module name lie on one line for the patterns above."""
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    if "\\\n" in source:
        source = source.replace("\\\n", " ")
    return source


def imports_any(source: str, packages) -> bool:
    """True when ``source`` may import one of ``packages`` (or a submodule) absolutely."""
    candidates = [p for p in packages if p in source]
    if not candidates:
        return False
    text = logical_text(source)
    return any(_import_pattern(p).search(text) for p in candidates)


def rule_could_match(rule, source: str, import_memo: dict, project_names=()) -> bool:
    if project_names and stands_for_project_names(rule) and any(name in source for name in project_names):
        return True
    if not any(trigger in source for trigger in rule.triggers):
        return False
    packages = tuple(rule.requires_imports)
    if not packages:
        return True
    if packages not in import_memo:
        import_memo[packages] = imports_any(source, packages)
    return import_memo[packages]


def stands_for_project_names(rule) -> bool:
    """Rules for which a project's own names stand in: those gated on a diffusers import (a
    project's pipeline classes and helpers, the project index's ``pipeline_names``, stand for
    that import in the files that use them), and those that declare ``project_triggers`` (the
    project's helpers with those facts stand for the rule's triggers). The engine passes one set
    of names for both: a name of the other kind only lets a file past for nothing, never a
    finding lost."""
    return (bool(set(rule.requires_imports) & set(PIPELINE_PACKAGES)) or "Pipeline" in rule.triggers
            or bool(getattr(rule, "project_triggers", ())))


def candidates(rules, source: str, project_names=()) -> list:
    """The first stage: the rules whose text checks pass. ``project_names``: names the
    project defines that make pipelines or pass generators to them."""
    memo: dict = {}
    return [rule for rule in rules if rule_could_match(rule, source, memo, project_names)]


def rules_allowed(candidate_rules, source: str, tree=None, project_names=()) -> list:
    """The rules of ``candidate_rules`` (those the first stage left) whose own checks all pass:
    the only ones that can report on the module. Each rule's checks are sound on their own (the
    test suite checks every rule alone), so the others need not run even when the module is
    analysed for some rule."""
    if not candidate_rules:
        return []
    if not any(has_fact_check(rule) for rule in candidate_rules):
        return list(candidate_rules)
    facts = ModuleFacts.from_tree(tree) if tree is not None else ModuleFacts.from_source(source)
    if facts is None:
        return list(candidate_rules)
    uses_project = bool(project_names) and not facts.words.isdisjoint(project_names)
    return [rule for rule in candidate_rules
            if not has_fact_check(rule) or _rule_allows(rule, facts, uses_project)]


def _rule_allows(rule, facts, uses_project_pipelines: bool = False) -> bool:
    if uses_project_pipelines and stands_for_project_names(rule):
        return True
    if rule.requires_imports and not facts.imported_roots & set(rule.requires_imports):
        return False
    return rule.could_report is None or rule.could_report(facts)


def could_match(rules, source: str, tree=None, project_names=()) -> bool:
    """Whether any of ``rules`` could report something in ``source``."""
    return bool(rules_allowed(candidates(rules, source, project_names), source, tree, project_names))


# ---------------------------------------------------------------------- second stage: stdlib ast

class ModuleFacts:
    """What the stdlib ``ast`` (several times faster than libcst) tells about a module, for rules
    whose text checks pass often but whose findings need specific code (``Rule.could_report``).

    Every fact over-approximates what the semantic layer could derive. Annotations are left out
    of ``words``: the analyzer reads them only for pipeline types, which the pipeline rules gate
    by import instead.
    """

    def __init__(self) -> None:
        self.words: set = set()  # Name ids, attribute names and imported names, outside annotations
        self.call_methods: set = set()  # ``m`` of every ``x.m(...)`` call
        self.keywords: set = set()  # keyword argument names of every call
        self.keyword_values: dict = {}  # keyword name -> [argument expressions]
        self.stored_names: set = set()  # last component of every assigned name or attribute
        self.string_prefixes: list = []  # leading text of string constants that may be values
        self.imported_roots: set = set()  # top-level packages of absolute imports
        # Called names (``f`` of ``f(...)``, ``m`` of ``x.m(...)``, and what an import aliased
        # to them) of calls with no ``generator=`` keyword; ``bare_calls`` also pass nothing
        # positionally. A rule about a draw "without a generator" can only fire on these.
        self.ungenerated_calls: set = set()
        self.bare_calls: set = set()
        self.iterates_set_like = False  # a loop or comprehension iterates a set (or may: a name bound to one)
        self.main_guard = False  # a top-level ``if __name__ == "__main__":``
        self._imported_as: dict = {}
        self._iterated_names: set = set()
        self._set_bound_names: set = set()
        self._name_copies: dict = {}  # name -> the names assigned from it (``b = a``)

    @classmethod
    def from_source(cls, source: str) -> "ModuleFacts | None":
        """None when the stdlib parser rejects the file; the full analysis then decides."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escapes etc.: libcst has its own say
                tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        return cls.from_tree(tree)

    @classmethod
    def from_tree(cls, tree) -> "ModuleFacts":
        """One pass over the tree. Hot: it runs on most files a big tree holds, so it dispatches
        on the exact node type and never visits what carries no fact (contexts, annotations)."""
        facts = cls()
        facts.main_guard = any(type(stmt) is ast.If and _is_main_guard_test(stmt.test) for stmt in tree.body)
        words, stored, methods = facts.words, facts.stored_names, facts.call_methods
        keywords, keyword_values, strings = facts.keywords, facts.keyword_values, facts.string_prefixes
        Name, Attribute, Constant, Call, Load = ast.Name, ast.Attribute, ast.Constant, ast.Call, ast.Load
        AST = ast.AST
        child_fields = _CHILD_FIELDS
        named = (ast.MatchAs, ast.MatchStar, ast.ExceptHandler)
        roots = facts.imported_roots
        ungenerated, bare, imported_as = facts.ungenerated_calls, facts.bare_calls, facts._imported_as
        stack = [tree]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            kind = type(node)
            if kind is Name:
                words.add(node.id)
                if type(node.ctx) is not Load:
                    stored.add(node.id)
                continue
            if kind is Attribute:
                words.add(node.attr)
                if type(node.ctx) is not Load:
                    stored.add(node.attr)
                push(node.value)
                continue
            if kind is Constant:
                if type(node.value) is str:
                    strings.append(node.value[:16])
                continue
            if kind is Call:
                func = node.func
                called = None
                if type(func) is Attribute:
                    called = func.attr
                    methods.add(called)
                elif type(func) is Name:
                    called = func.id
                passes_generator = False
                for keyword in node.keywords:
                    if keyword.arg is not None:
                        keywords.add(keyword.arg)
                        keyword_values.setdefault(keyword.arg, []).append(keyword.value)
                        passes_generator = passes_generator or keyword.arg == "generator"
                if called is not None and not passes_generator:
                    ungenerated.add(called)
                    if not node.args:
                        bare.add(called)
                if _is_type_test(node):
                    # ``isinstance(g, torch.Generator)``: a type named only to test against is
                    # evaluated and dropped; it creates and binds nothing.
                    push(node.func)
                    push(node.args[0])
                    continue
            elif kind is ast.alias:
                words.add(node.name.rsplit(".", 1)[-1])
                if node.asname:
                    words.add(node.asname)
                    imported_as[node.asname] = node.name.rsplit(".", 1)[-1]
                continue
            elif kind is ast.For or kind is ast.AsyncFor or kind is ast.comprehension:
                direct, names = _set_sources(_unwrapped_iterable(node.iter))
                facts.iterates_set_like = facts.iterates_set_like or direct
                facts._iterated_names.update(names)
            elif kind is ast.Assign or kind is ast.AnnAssign:
                direct, names = _set_sources(node.value) if node.value is not None else (False, ())
                if direct or names:
                    targets = [t.id for t in (node.targets if kind is ast.Assign else (node.target,)) if type(t) is Name]
                    if direct:
                        facts._set_bound_names.update(targets)
                    for name in names:
                        facts._name_copies.setdefault(name, set()).update(targets)
            elif kind in named and node.name:
                stored.add(node.name)
            elif kind is ast.Import:
                roots.update(alias.name.split(".", 1)[0] for alias in node.names)
            elif kind is ast.ImportFrom and not node.level and node.module:
                roots.add(node.module.split(".", 1)[0])
            elif kind is ast.Compare:
                # A string compared with (``device.type == "cuda"``) is never bound to anything.
                for operand in (node.left, *node.comparators):
                    if type(operand) is not Constant:
                        push(operand)
                continue
            if kind is ast.arg:  # the analyzer reads annotations only for pipeline types
                continue
            fields = child_fields.get(kind)
            if fields is None:
                fields = child_fields[kind] = _child_fields(kind)
            for field in fields:
                value = getattr(node, field, None)
                if type(value) is list:
                    for item in value:
                        if isinstance(item, AST):
                            push(item)
                elif isinstance(value, AST):
                    push(value)
        for called in [c for c in ungenerated if c in imported_as]:
            ungenerated.add(imported_as[called])
        for called in [c for c in bare if c in imported_as]:
            bare.add(imported_as[called])
        if facts._iterated_names and facts._set_bound_names:
            facts.iterates_set_like = _reaches(facts._set_bound_names, facts._name_copies, facts._iterated_names)
        return facts

    def has_string_starting(self, prefix: str) -> bool:
        return any(text.startswith(prefix) for text in self.string_prefixes)

    def keyword_arguments(self, name: str) -> list:
        return self.keyword_values.get(name, [])


# Calls that iterate their argument in its own order (``enumerate(s)`` iterates ``s``'s order).
ORDER_KEEPING_WRAPPERS = frozenset({"enumerate", "list", "tuple", "iter"})
SET_OPERATORS = (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)


# Fields that never hold a node (names, contexts, numbers, flags), and annotations, which the
# analyzer reads only for pipeline types (gated by import instead).
_LEAF_FIELDS = frozenset({"ctx", "id", "name", "asname", "arg", "attr", "module", "level", "kind", "n", "s",
                          "type_comment", "is_async", "conversion", "simple", "returns", "annotation"})
_CHILD_FIELDS: dict = {}  # node class -> the fields that may hold nodes


def _child_fields(kind: type) -> tuple:
    return tuple(field for field in kind._fields if field not in _LEAF_FIELDS)


def _unwrapped_iterable(node):
    while (type(node) is ast.Call and type(node.func) is ast.Name and node.func.id in ORDER_KEEPING_WRAPPERS
           and node.args and type(node.args[0]) is not ast.Starred):
        node = node.args[0]
    return node


def _set_sources(node) -> tuple:
    """(whether ``node`` may be a set by itself, the names it is a set if they are): a set
    display or comprehension, ``set(...)`` and ``frozenset(...)`` are; ``a | b`` is one if ``a`` or
    ``b`` is, ``a - b`` if ``a`` is (what RPL307's ``string_set`` accepts)."""
    kind = type(node)
    if kind is ast.Set or kind is ast.SetComp:
        return True, ()
    if kind is ast.Call:
        return type(node.func) is ast.Name and node.func.id in ("set", "frozenset"), ()
    if kind is ast.Name:
        return False, (node.id,)
    if kind is ast.BinOp and type(node.op) in SET_OPERATORS:
        direct, names = _set_sources(node.left)
        if type(node.op) is ast.Sub:
            return direct, names
        right_direct, right_names = _set_sources(node.right)
        return direct or right_direct, names + right_names
    return False, ()


def _reaches(starts: set, edges: dict, goals: set) -> bool:
    """Whether a name of ``goals`` is one of ``starts`` or copied from one, through ``edges``."""
    seen, stack = set(starts), list(starts)
    while stack:
        name = stack.pop()
        if name in goals:
            return True
        for copy in edges.get(name, ()):
            if copy not in seen:
                seen.add(copy)
                stack.append(copy)
    return False


def _is_type_test(call) -> bool:
    if not (type(call.func) is ast.Name and call.func.id in ("isinstance", "issubclass")):
        return False
    if len(call.args) != 2 or call.keywords:
        return False
    types = call.args[1]
    names = types.elts if type(types) is ast.Tuple else [types]
    return all(dotted_name(name) is not None for name in names)


def _is_main_guard_test(test) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if type(test) is not ast.Compare or len(test.comparators) != 1:
        return False
    sides = (test.left, test.comparators[0])
    return (any(type(side) is ast.Name and side.id == "__name__" for side in sides)
            and any(type(side) is ast.Constant and side.value == "__main__" for side in sides))


def dotted_name(node) -> "str | None":
    """``a.b.c`` for a Name/Attribute chain, else None (the stdlib-ast twin of
    ``reprolint.semantic.imports.dotted_name``)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def has_fact_check(rule) -> bool:
    return bool(rule.requires_imports) or getattr(rule, "could_report", None) is not None
