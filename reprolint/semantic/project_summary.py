"""Pass 1 of the project index: each module read with the stdlib ``ast`` (several times cheaper
than libcst) into a summary of plain, JSON-able data: classes and their bases, what each function
returns, which of its parameters reach a ``generator=``, the typed facts of what it does (seeds,
determinism switches, backward), and whether the module is an entry point. ``reprolint.semantic
.project`` builds the index from these and answers the other modules' questions."""

from __future__ import annotations

import ast
import warnings
from typing import Optional

from reprolint.prefilter import dotted_name as _dotted
from reprolint.semantic import catalog
from reprolint.semantic.project_facts import statement_facts
from reprolint.semantic.seed_guards import ast_guards, note_option

# A module whose text has none of these cannot hold a fact another module asks about.
SUMMARY_TRIGGERS = ("ipeline", "seed", "determinis", "generator=", "__main__", "Predictor", "launch(",
                    "from_pretrained", "from_single_file", "backward", "CUBLAS_WORKSPACE_CONFIG")
SUMMARY_VERSION = 4  # 2: typed determinism facts, backward, imported modules; 3: raising determinism;
# 4: seed guards, forwarded parameters, seed options
MAX_DEPTH = 8  # helper chains and class hierarchies followed at most this deep

# Methods that return their receiver (``XPipeline.from_pretrained(...).to("cuda")``).
_SELF_RETURNING = catalog.PIPELINE_SELF_RETURNING
# Low-level draws that take a generator: threading one through them is the correct pattern, so a
# parameter that only reaches these is not "passed to a pipeline".
_LOW_LEVEL_DRAW_METHODS = frozenset({"step", "sample", "randn", "rand", "randint", "randn_like", "normal_",
                                     "randperm", "multinomial", "bernoulli", "uniform_"})
_APP_PACKAGES = frozenset({"gradio", "streamlit", "cog"})
_APP_LAUNCH_METHODS = frozenset({"launch", "queue", "run", "serve"})


# ---------------------------------------------------------------------- pass 1: summaries

def summarise(source: str, module_name: str, is_package: bool, tree: Optional[ast.Module] = None) -> dict:
    """The summary of one module (a dict, so it caches and pickles as it is)."""
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return empty_summary(module_name)
    return Summariser(module_name, is_package).run(tree)


def empty_summary(module_name: str) -> dict:
    return {"name": module_name, "aliases": {}, "classes": {}, "functions": {}, "entry_point": False,
            "imports": []}


def could_have_summary(source: str) -> bool:
    return any(trigger in source for trigger in SUMMARY_TRIGGERS)


class Summariser:
    """One module's summary, from its statements only.

    Hot: pass 1 runs on every module of the project, so it never visits every node of a tree.
    It walks statements (into compound statements and function bodies), and of each statement's
    expression only the *spine*: the calls a statement makes at its top (``pipe(...).images[0]``,
    ``torch.Generator(d).manual_seed(s)``, the element of a comprehension, the branches of a
    conditional). That is where helpers return pipelines, pass generators on and seed.
    """

    def __init__(self, module_name: str, is_package: bool) -> None:
        self.module = module_name
        self.package = module_name if is_package else module_name.rpartition(".")[0]
        self.aliases: dict = {}  # local name -> qualified name (imports and definitions)
        # Modules this one imports, anywhere (``from x.y import z``: ``x.y`` and ``x.y.z``): the
        # project's library modules are those another module imports.
        self.imported: set = set()

    def run(self, tree: ast.Module) -> dict:
        options: dict = {}  # seed-named argparse option -> its default (``seed_guards``)
        for stmt in _statements(tree.body, into_definitions=True):
            kind = type(stmt)
            if kind is ast.Expr:
                value = stmt.value
                if type(value) is ast.Call and type(value.func) is ast.Attribute and value.func.attr in (
                        "add_argument", "set_defaults"):
                    note_option(options, value)
            elif kind is ast.Import:
                for alias in stmt.names:
                    self.imported.add(alias.name)
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".", 1)[0]
                        self.aliases[top] = top
            elif kind is ast.ImportFrom:
                base = self._absolute(stmt.module, stmt.level)
                if base is None:
                    continue
                if base:
                    self.imported.add(base)
                for alias in stmt.names:
                    if alias.name != "*":
                        self.imported.add(f"{base}.{alias.name}" if base else alias.name)
                        self.aliases[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        for stmt in tree.body:
            if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                self.aliases[stmt.name] = f"{self.module}.{stmt.name}"
        classes, functions = {}, {}
        inits = []  # classes that define their own ``__init__`` (an empty one has no summary)
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef):
                classes[stmt.name] = [q for q in (self.qualify(b) for b in stmt.bases) if q]
                for item in stmt.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        if item.name == "__init__":
                            inits.append(stmt.name)
                        summary = self._function(item, owner=stmt.name, bases=classes[stmt.name])
                        if summary:
                            functions[f"{stmt.name}.{item.name}"] = summary
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                summary = self._function(stmt)
                if summary:
                    functions[stmt.name] = summary
        exported = {local: q for local, q in self.aliases.items() if q != f"{self.module}.{local}"}
        summary = {"name": self.module, "aliases": exported, "classes": classes, "functions": functions,
                   "entry_point": self._entry_point(tree, classes),
                   "imports": sorted(self.imported)}
        if inits:
            summary["inits"] = inits
        if options:
            summary["options"] = options
        return summary

    def _absolute(self, module: Optional[str], level: int) -> Optional[str]:
        if not level:
            return module
        parts = self.package.split(".") if self.package else []
        if level > len(parts):  # beyond the top-level package: Python refuses it too
            return None
        base = parts[:len(parts) - (level - 1)]
        if module:
            base.append(module)
        return ".".join(base)

    def qualify(self, node) -> Optional[str]:
        name = _dotted(node)
        if name is None:
            return None
        root, _, rest = name.partition(".")
        target = self.aliases.get(root)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def _function(self, func, owner: Optional[str] = None, bases: tuple = ()) -> Optional[dict]:
        params = [a.arg for a in func.args.posonlyargs + func.args.args]
        all_params = set(params) | {a.arg for a in func.args.kwonlyargs}
        bound: dict = {}  # local name -> qualified callee of the call it was last bound to
        returns = None
        generator_params, calls = set(), set()
        seeding = _SeedingSites(all_params)
        determinism = gpu = False
        facts: set = set()  # typed facts: see ``project_facts``
        for stmt in _statements(func.body, into_definitions=False):
            kind = type(stmt)
            facts |= statement_facts(stmt, self.qualify)
            if kind is ast.If:
                seeding.note_test(stmt)
            if kind is ast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name:
                callee = self._returned_callee(stmt.value, bound)
                if callee is not None:
                    bound[stmt.targets[0].id] = callee
                else:
                    bound.pop(stmt.targets[0].id, None)
            elif kind is ast.Return and stmt.value is not None and returns is None:
                returns = self._returned_callee(stmt.value, bound)
            for call in _spine_calls(stmt):
                func_node = call.func
                method = func_node.attr if type(func_node) is ast.Attribute else None
                callee = self.qualify(func_node)
                if (callee is None and owner and method and type(func_node.value) is ast.Name
                        and func_node.value.id == "self"):
                    callee = f"{self.module}.{owner}.{method}"  # another method of the class
                elif callee is None and bases and method and _is_super_call(func_node.value):
                    callee = f"{bases[0]}.{method}"  # ``super().__init__(...)``: the first base's
                if callee is not None:
                    calls.add(callee)
                    seeding.note_call(stmt, call, callee)
                    if _sets_up_determinism(callee, call):
                        determinism = True
                if _places_on_gpu(call, method):
                    gpu = True
                if method in _LOW_LEVEL_DRAW_METHODS or (callee or "") in catalog.TORCH_RANDOM_FUNCTIONS:
                    continue
                for keyword in call.keywords:
                    if (keyword.arg == "generator" and type(keyword.value) is ast.Name
                            and keyword.value.id in all_params):
                        generator_params.add(keyword.value.id)
        summary: dict = {"params": params}
        if returns:
            summary["returns"] = returns
            if gpu:
                summary["gpu"] = True
        if generator_params:
            summary["generator_params"] = sorted(generator_params)
        seeding.add_to(summary)
        if determinism:
            summary["determinism"] = True
        if facts:
            summary["facts"] = sorted(facts)
        # Calls to other project functions, for helpers that seed through helpers.
        project_calls = sorted(c for c in calls if not c.startswith(EXTERNAL_ROOTS))
        if project_calls:
            summary["calls"] = project_calls[:32]
        return summary if len(summary) > 1 else None

    def _returned_callee(self, value, bound: dict) -> Optional[str]:
        """``XPipeline.from_pretrained(...)`` (through ``.to(...)`` chains) or a name bound to one."""
        while (type(value) is ast.Call and type(value.func) is ast.Attribute
               and value.func.attr in _SELF_RETURNING):
            value = value.func.value
        if type(value) is ast.Name:
            return bound.get(value.id)
        if type(value) is ast.Call:
            return self.qualify(value.func)
        return None

    def _entry_point(self, tree: ast.Module, classes: dict) -> bool:
        for stmt in tree.body:
            if type(stmt) is ast.If and _is_main_guard(stmt.test):
                return True
        roots = {q.split(".", 1)[0] for q in self.aliases.values()}
        if not roots & _APP_PACKAGES:
            return False
        if any(base.startswith("cog.") for bases in classes.values() for base in bases):
            return True
        for stmt in _statements(tree.body, into_definitions=False):
            for call in _spine_calls(stmt):
                if type(call.func) is ast.Attribute and call.func.attr in _APP_LAUNCH_METHODS:
                    return True
        return False


def _statements(body, into_definitions: bool):
    """Every statement of a block in source order, into compound statements; into function and
    class bodies only with ``into_definitions``."""
    stack = list(reversed(body))
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, definitions) and not into_definitions:
            continue
        children = []
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(stmt, name, None)
            if type(block) is list:
                children.extend(child for child in block if isinstance(child, (ast.stmt, ast.excepthandler,
                                                                                ast.match_case)))
        stack.extend(reversed(children))


class _SeedingSites:
    """What a function's summary says of how it seeds torch's global RNG: ``seeds`` (on every
    call), ``seed_guards`` (only under a test of a parameter, ``seed_guards``) and ``forwards``
    (the parameters it passes on to project functions, to follow a guard through
    ``super().__init__(args)``)."""

    def __init__(self, params: set) -> None:
        self.params = params
        self.guard_params = params - {"self", "cls"}
        self.guard_ifs: list = []  # (``if`` statement, guard of its body, of its else)
        self.sites: list = []  # (statement, callee) of the seeding and project calls
        self.seeding: set = set()
        self.forwards: dict = {}  # project callee -> [[its parameter (index or keyword), ours]]

    def note_test(self, stmt: ast.If) -> None:
        if self.guard_params:
            body_guard, else_guard = ast_guards(stmt.test, self.guard_params)
            if body_guard or else_guard:
                self.guard_ifs.append((stmt, body_guard, else_guard))

    def note_call(self, stmt, call: ast.Call, callee: str) -> None:
        if callee in catalog.TORCH_GLOBAL_SEEDING_CALLS:
            self.seeding.add(callee)
            self.sites.append((stmt, callee))
            return
        if callee.startswith(EXTERNAL_ROOTS):
            return
        self.sites.append((stmt, callee))
        if callee not in self.forwards:
            receiver = call.func.value if type(call.func) is ast.Attribute else None
            bound_method = receiver is not None and (_is_super_call(receiver) or (
                type(receiver) is ast.Name and receiver.id == "self"))
            passed = _forwarded_params(call, self.params, 1 if bound_method else 0)
            if passed:
                self.forwards[callee] = passed

    def add_to(self, summary: dict) -> None:
        guards = _seed_guards(self.guard_ifs, self.sites) if self.guard_ifs and self.sites else {}
        if guards:
            summary["seed_guards"] = guards
        if self.seeding - guards.keys():
            summary["seeds"] = True  # on every call
        if self.forwards:
            summary["forwards"] = self.forwards


def _seed_guards(guard_ifs: list, callee_sites: list) -> dict:
    """{callee: [guard, ...]} for the seeding calls and project calls a function makes only
    under a test of a parameter (``if args.seed is not None:``, see ``seed_guards``); a callee
    also called outside such a test is left out (it runs on every call). Only the guarded
    blocks are walked again."""
    guard_of: dict = {}  # id(statement) -> the outermost guard it runs under
    for stmt, body_guard, else_guard in guard_ifs:  # outer ``if`` statements come first
        for block, guard in ((stmt.body, body_guard), (stmt.orelse, else_guard)):
            if guard is not None:
                for inner in _statements(block, into_definitions=False):
                    guard_of.setdefault(id(inner), guard)
    guarded: dict = {}
    unguarded: set = set()
    for stmt, callee in callee_sites:
        guard = guard_of.get(id(stmt))
        if guard is None:
            unguarded.add(callee)
        elif guard not in guarded.setdefault(callee, []):
            guarded[callee].append(guard)
    return {callee: guards for callee, guards in guarded.items() if callee not in unguarded}


def _forwarded_params(call: ast.Call, params: set, offset: int) -> list:
    """[[callee parameter (its index among the callee's positional parameters, ``self`` counted,
    or its keyword), the caller's parameter passed there]] for the plain parameter names a call
    passes on (``super().__init__(args)``, ``seed_all(seed=seed)``)."""
    passed = []
    for index, arg in enumerate(call.args):
        if type(arg) is ast.Starred:
            break
        if type(arg) is ast.Name and arg.id in params:
            passed.append([index + offset, arg.id])
    for keyword in call.keywords:
        if keyword.arg and type(keyword.value) is ast.Name and keyword.value.id in params:
            passed.append([keyword.arg, keyword.value.id])
    return passed


def _is_super_call(node) -> bool:
    return type(node) is ast.Call and type(node.func) is ast.Name and node.func.id == "super"


def _spine_calls(stmt):
    """The calls at the top of a statement's expressions (see ``Summariser``)."""
    kind = type(stmt)
    if kind in (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Await):
        roots = [stmt.value] if getattr(stmt, "value", None) is not None else []
    elif kind in (ast.If, ast.While):
        roots = [stmt.test]
    elif kind in (ast.For, ast.AsyncFor):
        roots = [stmt.iter]
    elif kind in (ast.With, ast.AsyncWith):
        roots = [item.context_expr for item in stmt.items]
    else:
        return
    while roots:
        node = roots.pop()
        kind = type(node)
        if kind is ast.Call:
            yield node
            roots.append(node.func)
        elif kind in (ast.Attribute, ast.Subscript, ast.Await, ast.Starred):
            roots.append(node.value)
        elif kind in (ast.ListComp, ast.GeneratorExp, ast.SetComp):
            roots.append(node.elt)
        elif kind is ast.IfExp:
            roots.extend((node.body, node.orelse))
        elif kind in (ast.Tuple, ast.List):
            roots.extend(node.elts)
        elif kind is ast.BoolOp:
            roots.extend(node.values)


EXTERNAL_ROOTS = ("torch.", "diffusers.", "transformers.", "accelerate.", "numpy.", "random.", "os.",
                   "lightning.", "pytorch_lightning.", "PIL.", "gradio.", "logging.", "math.")


def _places_on_gpu(call: ast.Call, method: Optional[str]) -> bool:
    """``.cuda()``, ``.to("cuda...")``, an offload method, or ``device_map=`` in a loading call."""
    if method == "cuda" or method in catalog.OFFLOAD_METHODS:
        return True
    if method == "to" and call.args and isinstance(call.args[0], ast.Constant) and isinstance(
            call.args[0].value, str):
        return catalog.is_cuda_device_string(call.args[0].value)
    if method in catalog.LOADING_METHODS:
        for keyword in call.keywords:
            if keyword.arg in ("device_map", "device") and isinstance(keyword.value, ast.Constant) and \
                    isinstance(keyword.value.value, str):
                value = keyword.value.value
                if catalog.is_cuda_device_string(value) or value in ("auto", "balanced", "balanced_low_0"):
                    return True
    return False


def _sets_up_determinism(callee: str, call: ast.Call) -> bool:
    if callee in catalog.ENABLE_FULL_DETERMINISM:
        return True
    if callee in catalog.USE_DETERMINISTIC_ALGORITHMS:
        mode = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "mode"), None)
        return isinstance(mode, ast.Constant) and mode.value is True
    if callee in catalog.SET_SEED_WITH_DETERMINISTIC or callee in catalog.LIGHTNING_TRAINERS:
        flag = next((k.value for k in call.keywords if k.arg == "deterministic"), None)
        return isinstance(flag, ast.Constant) and flag.value not in (False, None)
    return False


def _is_main_guard(test) -> bool:
    return (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
            and {_dotted(test.left), _dotted(test.comparators[0])} & {"__name__"}
            and any(isinstance(side, ast.Constant) and side.value == "__main__"
                    for side in (test.left, test.comparators[0])))


# ---------------------------------------------------------------------- module names
