"""The project index: what every module of the linted project tells the others.

Knowledge must not stop at the file boundary. ``from pipeline_custom import MyPipeline`` is a
pipeline when ``pipeline_custom.py`` derives ``MyPipeline`` from a diffusers pipeline; ``pipe =
load_pipeline()`` holds one when ``load_pipeline`` returns ``XPipeline.from_pretrained(...)``;
``seed_everything(args.seed)`` seeds when the project's ``seed_everything`` calls
``torch.manual_seed``.

Pass 1 (``summarise``) reads each module with the stdlib ``ast`` (several times cheaper than
libcst) into a ``ModuleSummary`` of plain, JSON-able data: classes and their bases, what each
function returns (the qualified name of the call it returns), which of its parameters reach a
``generator=``, which functions seed the global RNG or set up determinism, and whether the module
is an entry point. Summaries are cached by content hash and travel to pool workers as they are.

Pass 2 is the semantic analysis of each file, which asks the index (``ProjectIndex``) about the
qualified names its imports resolve to. Every answer follows re-exports, bases and helper chains
inside the project, and is None (unknown: the rules stay silent) when a name leaves it.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import warnings
from typing import Iterable, Optional

from reprolint.prefilter import dotted_name as _dotted
from reprolint.semantic import catalog

# A module whose text has none of these cannot hold a fact another module asks about.
SUMMARY_TRIGGERS = ("ipeline", "seed", "determinis", "generator=", "__main__", "Predictor", "launch(",
                    "from_pretrained", "from_single_file")
SUMMARY_VERSION = 1
_MAX_DEPTH = 8  # helper chains and class hierarchies followed at most this deep

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
            return _empty(module_name)
    return _Summariser(module_name, is_package).run(tree)


def _empty(module_name: str) -> dict:
    return {"name": module_name, "aliases": {}, "classes": {}, "functions": {}, "entry_point": False}


def could_have_summary(source: str) -> bool:
    return any(trigger in source for trigger in SUMMARY_TRIGGERS)


class _Summariser:
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

    def run(self, tree: ast.Module) -> dict:
        for stmt in _statements(tree.body, into_definitions=True):
            kind = type(stmt)
            if kind is ast.Import:
                for alias in stmt.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".", 1)[0]
                        self.aliases[top] = top
            elif kind is ast.ImportFrom:
                base = self._absolute(stmt.module, stmt.level)
                if base is None:
                    continue
                for alias in stmt.names:
                    if alias.name != "*":
                        self.aliases[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        for stmt in tree.body:
            if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                self.aliases[stmt.name] = f"{self.module}.{stmt.name}"
        classes, functions = {}, {}
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef):
                classes[stmt.name] = [q for q in (self.qualify(b) for b in stmt.bases) if q]
                for item in stmt.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        summary = self._function(item)
                        if summary:
                            functions[f"{stmt.name}.{item.name}"] = summary
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                summary = self._function(stmt)
                if summary:
                    functions[stmt.name] = summary
        exported = {local: q for local, q in self.aliases.items() if q != f"{self.module}.{local}"}
        return {"name": self.module, "aliases": exported, "classes": classes, "functions": functions,
                "entry_point": self._entry_point(tree, classes)}

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

    def _function(self, func) -> Optional[dict]:
        params = [a.arg for a in func.args.posonlyargs + func.args.args]
        all_params = set(params) | {a.arg for a in func.args.kwonlyargs}
        bound: dict = {}  # local name -> qualified callee of the call it was last bound to
        returns = None
        generator_params, calls = set(), set()
        seeds = determinism = gpu = False
        for stmt in _statements(func.body, into_definitions=False):
            kind = type(stmt)
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
                if callee is not None:
                    calls.add(callee)
                    if callee in catalog.TORCH_GLOBAL_SEEDING_CALLS:
                        seeds = True
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
        if seeds:
            summary["seeds"] = True
        if determinism:
            summary["determinism"] = True
        # Calls to other project functions, for helpers that seed through helpers.
        project_calls = sorted(c for c in calls if not c.startswith(_EXTERNAL_ROOTS))
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


def _spine_calls(stmt):
    """The calls at the top of a statement's expressions (see ``_Summariser``)."""
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


_EXTERNAL_ROOTS = ("torch.", "diffusers.", "transformers.", "accelerate.", "numpy.", "random.", "os.",
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

def module_names(path: str, roots: Iterable[str] = ()) -> tuple:
    """The dotted names ``path`` can be imported by, best first, and whether it is a package.

    The first comes from its packages (``__init__.py`` up the folders: ``src/pkg/mod.py`` is
    ``pkg.mod``, as the ``src/`` layout installs it); then names relative to each folder between
    it and a linted root (``from Adapter.Sampling import x`` from the repository's top, where
    ``Adapter`` has no ``__init__.py``), as a script run from there imports it.
    """
    absolute = os.path.abspath(path)
    folder, filename = os.path.split(absolute)
    stem = filename[:-len(".py")] if filename.endswith(".py") else os.path.splitext(filename)[0]
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, name = os.path.split(folder)
        parts.insert(0, name)
        if not name:
            break
    names = [".".join(parts)] if parts else []
    top_folder = folder
    for root in roots:
        root = os.path.abspath(root)
        if os.path.isfile(root):
            root = os.path.dirname(root)
        if not (top_folder + os.sep).startswith(root.rstrip(os.sep) + os.sep) and top_folder != root:
            continue
        relative = os.path.relpath(top_folder, root)
        prefix = [] if relative == "." else relative.split(os.sep)
        while prefix:
            names.append(".".join(prefix + parts))
            prefix = prefix[1:]
    return tuple(dict.fromkeys(n for n in names if n)), is_package


# ---------------------------------------------------------------------- pass 2: the index

class ProjectIndex:
    """The summaries of a project's modules, and the questions the analyzer asks of them."""

    def __init__(self, summaries: Optional[dict] = None, names: Optional[dict] = None) -> None:
        self.summaries: dict = summaries or {}  # path -> summary
        self.by_name: dict = {}  # dotted module name -> [path]
        self.primary_name: dict = {}  # path -> its best dotted name
        for path, candidates in (names or {}).items():
            self.add_names(path, candidates)
        # path -> what pass 1's ``on_tree`` said of the module (the engine's prefilter verdict)
        self.hints: dict = {}
        self._digest: Optional[str] = None
        self._pipeline_names: Optional[frozenset] = None
        self._from_dir: Optional[str] = None

    def view_from(self, path: str) -> "ProjectIndex":
        """The index as the module at ``path`` sees it: where two modules answer to one name
        (``scripts/utils.py`` and ``tools/utils.py``), the one beside it wins, as Python's
        ``sys.path[0]`` (the script's folder) makes it."""
        view = copy.copy(self)
        view._from_dir = os.path.dirname(os.path.abspath(path))
        return view

    @classmethod
    def for_module(cls, source: str, path: str, tree: Optional[ast.Module] = None) -> "ProjectIndex":
        """The index of a lone module: what it tells about itself (its own helpers, its own
        pipeline classes), for a file linted on its own or from standard input."""
        names, is_package = module_names(path) if path and path != "-" else (("__main__",), False)
        names = names or ("__main__",)
        index = cls()
        index.summaries[path] = summarise(source, names[0], is_package, tree)
        index.add_names(path, names)
        return index

    def add_names(self, path: str, candidates) -> None:
        candidates = list(candidates)
        if candidates:
            self.primary_name.setdefault(path, candidates[0])
        for name in candidates:
            paths = self.by_name.setdefault(name, [])
            if path not in paths:
                paths.append(path)

    @property
    def digest(self) -> str:
        """Changes when any summary changes: lint results that used the index are keyed by it."""
        if self._digest is None:
            # Sorted by path: two scripts may share a module name (``a/train.py``, ``b/train.py``).
            text = json.dumps([(path, self.primary_name.get(path, ""), summary)
                               for path, summary in sorted(self.summaries.items())
                               if summary["classes"] or summary["functions"] or summary["aliases"]
                               or summary["entry_point"]], sort_keys=True)
            self._digest = hashlib.sha256(f"{SUMMARY_VERSION}:{text}".encode()).hexdigest()[:20]
        return self._digest

    @property
    def pipeline_names(self) -> frozenset:
        """Names the project defines that make pipelines or hand generators to them: in a file
        that uses one, the pipeline rules may report without a diffusers import (the prefilter)."""
        if self._pipeline_names is None:
            names = set()
            for path, summary in self.summaries.items():
                module = summary["name"]
                if module.split(".", 1)[0] in catalog.PIPELINE_PACKAGES:
                    continue  # linting diffusers itself: its pipelines are known by name already
                for cls in summary["classes"]:
                    if self.pipeline_base(f"{module}.{cls}"):
                        names.add(cls)
                for function in summary["functions"]:
                    qualname = f"{module}.{function}"
                    if self.returned_pipeline(qualname) or self.generator_params(qualname)[1]:
                        # A method is reached through its class's name (a constructor call, an
                        # annotation): the method's own name (``step``, ``forward``) is in
                        # every file and would let the whole tree past the prefilter.
                        names.add(function.split(".", 1)[0])
            self._pipeline_names = frozenset(names)
        return self._pipeline_names

    def module_name(self, path: str) -> Optional[str]:
        return self.primary_name.get(path)

    def summary_for(self, path: str) -> Optional[dict]:
        return self.summaries.get(path)

    def absolute(self, qualname: Optional[str], from_path: str) -> Optional[str]:
        """``.utils.seed_all`` (a relative import, as ``ImportTable`` records it) made absolute
        from the importing module; other names unchanged."""
        if not qualname or not qualname.startswith("."):
            return qualname
        own = self.primary_name.get(from_path)
        if own is None:
            return None
        is_package = os.path.basename(from_path) == "__init__.py"
        parts = own.split(".") if is_package else own.split(".")[:-1]
        level = len(qualname) - len(qualname.lstrip("."))
        if level > len(parts):  # beyond the top-level package: Python refuses it too
            return None
        base = parts[:len(parts) - (level - 1)]
        rest = qualname[level:]
        return ".".join(base + ([rest] if rest else []))

    # -- resolution

    def _lookup(self, qualname: str, depth: int = 0):
        """(summary, local name) of the definition ``qualname`` names, following re-exports."""
        if depth > _MAX_DEPTH or not qualname:
            return None
        module, _, local = qualname.rpartition(".")
        while module:
            paths = self.by_name.get(module)
            if paths:
                if len(paths) > 1 and self._from_dir is not None:
                    paths = [p for p in paths if os.path.dirname(os.path.abspath(p)) == self._from_dir] or paths
                if len(paths) > 1:
                    return None  # two modules answer to this name: don't guess
                summary = self.summaries.get(paths[0])
                if summary is None:
                    return None
                if local in summary["classes"] or local in summary["functions"] or \
                        local.partition(".")[0] in summary["classes"]:
                    return summary, local
                head, _, tail = local.partition(".")
                target = summary["aliases"].get(head)
                if target is not None and target != qualname:
                    return self._lookup(f"{target}.{tail}" if tail else target, depth + 1)
                return None
            module, _, head = module.rpartition(".")
            local = f"{head}.{local}"
        return None

    def pipeline_base(self, qualname: Optional[str], depth: int = 0) -> Optional[str]:
        """The diffusers pipeline class a project class derives from, or None."""
        if not qualname or depth > _MAX_DEPTH:
            return None
        if catalog.is_pipeline_class_name(qualname):
            return qualname
        found = self._lookup(qualname)
        if found is None:
            return None
        summary, local = found
        for base in summary["classes"].get(local, ()):
            result = self.pipeline_base(base, depth + 1)
            if result:
                return result
        return None

    def _function(self, qualname: Optional[str]) -> Optional[dict]:
        found = self._lookup(qualname) if qualname else None
        if found is None:
            return None
        summary, local = found
        return summary["functions"].get(local)

    def returned_pipeline(self, qualname: Optional[str], depth: int = 0) -> Optional[str]:
        """The pipeline class a project function returns (``return XPipeline.from_pretrained(...)``,
        also through other project functions), or None."""
        if depth > _MAX_DEPTH:
            return None
        function = self._function(qualname)
        returned = function.get("returns") if function else None
        if not returned:
            return None
        owner, _, last = returned.rpartition(".")
        if last in catalog.PIPELINE_CONSTRUCTORS:
            return self.pipeline_base(owner)
        return self.pipeline_base(returned) or self.returned_pipeline(returned, depth + 1)

    def places_on_gpu(self, qualname: Optional[str]) -> bool:
        """Whether a project function that returns a pipeline puts it on a GPU first."""
        function = self._function(qualname)
        return bool(function and function.get("gpu"))

    def generator_params(self, qualname: Optional[str]) -> tuple:
        """(positional parameter names, names of those that reach a ``generator=``)."""
        function = self._function(qualname)
        if not function or not function.get("generator_params"):
            return (), ()
        return tuple(function["params"]), tuple(function["generator_params"])

    def seeds_global_rng(self, qualname: Optional[str]) -> bool:
        return self._reaches(qualname, "seeds", 0, set())

    def sets_up_determinism(self, qualname: Optional[str]) -> bool:
        return self._reaches(qualname, "determinism", 0, set())

    def _reaches(self, qualname: Optional[str], fact: str, depth: int, seen: set) -> bool:
        if not qualname or depth > _MAX_DEPTH or qualname in seen:
            return False
        seen.add(qualname)
        function = self._function(qualname)
        if function is None:
            return False
        if function.get(fact):
            return True
        return any(self._reaches(callee, fact, depth + 1, seen) for callee in function.get("calls", ()))

    def is_entry_point(self, path: str) -> bool:
        summary = self.summaries.get(path)
        return bool(summary and summary["entry_point"])


UNREADABLE = "unreadable"  # what summarise_file returns for a file it cannot read


def summarise_file(job: tuple):
    """(path, module name, is package, on_tree) -> (the module's summary or None, what
    ``on_tree(source, tree)`` returned or None), or UNREADABLE. ``on_tree``, when given, sees the
    stdlib tree of every module parsed here, so that the linting pass need not parse it again.
    A top-level function, so that a process pool can run it."""
    path, name, is_package, on_tree, *content = job
    try:
        if content and content[0] is not None:  # read already (a FIFO is read once)
            data = content[0]
        else:
            with open(path, "rb") as handle:
                data = handle.read()
        source = data.decode("utf-8", errors="replace")
    except OSError:
        return UNREADABLE
    if not could_have_summary(source):
        return None, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _empty(name), None
    return summarise(source, name, is_package, tree), (on_tree(source, tree) if on_tree is not None else None)


def build(files: Iterable[str], roots: Iterable[str], cache=None, mapper=map, on_tree=None,
          contents: Optional[dict] = None) -> ProjectIndex:
    """Pass 1 over ``files`` (Python sources only). ``cache``: a store of summaries by path and
    file stamp (``reprolint.cache.SummaryStore``: ``get(path, stamp)``, ``put``, ``save``).
    ``mapper(function, jobs)``: how the files the cache does not answer are summarised (the file
    loop passes a process pool's map), results in the order of the jobs. ``on_tree(source,
    tree)``: see ``summarise_file``; its results land in ``index.hints`` by path. ``contents``:
    the bytes of files already read (FIFOs, which can be read only once), by path; not cached."""
    contents = contents or {}
    roots = tuple(roots)
    index = ProjectIndex()
    jobs, stamps = [], []
    for path in files:
        if not path.endswith((".py", ".pyi")):
            continue
        names, is_package = module_names(path, roots)
        if not names:
            continue
        index.add_names(path, names)
        stamp = None
        if path in contents:
            jobs.append((path, names[0], is_package, on_tree, contents[path]))
            stamps.append(None)
            continue
        if cache is not None:
            try:
                info = os.stat(path)
            except OSError:
                continue
            stamp = [info.st_size, info.st_mtime_ns, names[0], SUMMARY_VERSION]
            known, summary = cache.get(path, stamp)
            if known:
                if summary is not None:
                    index.summaries[path] = summary
                continue
        jobs.append((path, names[0], is_package, on_tree))
        stamps.append(stamp)
    for (path, *_), stamp, result in zip(jobs, stamps, mapper(summarise_file, jobs)):
        if result == UNREADABLE:
            continue
        summary, hint = result
        if hint is not None:
            index.hints[path] = hint
        if summary is not None:
            index.summaries[path] = summary
        if cache is not None and stamp is not None:
            cache.put(path, stamp, summary)
    if cache is not None:
        cache.save()
    return index
