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
import re
import warnings
from typing import Iterable, Optional

from reprolint.semantic import catalog
from reprolint.semantic.project_summary import (  # noqa: F401 - pass 1, also asked for from here
    EXTERNAL_ROOTS, MAX_DEPTH, SUMMARY_VERSION, Summariser, could_have_summary, empty_summary,
    summarise)


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
        self._facts_cache: dict = {}
        # Answers that do not depend on where a view stands, shared by every view.
        self._shared: dict = {}

    def view_from(self, path: str) -> "ProjectIndex":
        """The index as the module at ``path`` sees it: where two modules answer to one name
        (``scripts/utils.py`` and ``tools/utils.py``), the one beside it wins, as Python's
        ``sys.path[0]`` (the script's folder) makes it."""
        view = copy.copy(self)
        view._from_dir = os.path.dirname(os.path.abspath(path))
        view._facts_cache = {}
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
                               or summary.get("imports")
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

    def names_doing(self, facts: frozenset) -> frozenset:
        """Names of the project's functions that do one of ``facts`` (through the functions they
        call), as a file that calls one names it: a function's own name, a method's class name."""
        key = ("names", facts)
        cached = self._facts_cache.get(key)
        if cached is None:
            names = set()
            for summary in self.summaries.values():
                module = summary["name"]
                for function in summary["functions"]:
                    if not facts.isdisjoint(self.facts_of(f"{module}.{function}")):
                        names.add(function.split(".", 1)[0])
            cached = self._facts_cache[key] = frozenset(names)
        return cached

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
        if depth > MAX_DEPTH or not qualname:
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
        if not qualname or depth > MAX_DEPTH:
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
        if depth > MAX_DEPTH:
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

    def method_generator_params(self, class_qualname: Optional[str], method: str) -> list:
        """What a call of ``method`` on an instance of a project class may run, for the
        parameters it hands a pipeline as ``generator=``: [(parameters after ``self``, those
        that reach a ``generator=``, qualified name)] of the definition the class has or
        inherits, and of every override in the project's subclasses (a base class's
        ``self.sample_images(pipe, g)`` runs the subclass's)."""
        key = ("method-generator-params", class_qualname, method, self._from_dir)
        cached = self._shared.get(key)
        if cached is None:
            cached = self._shared[key] = self._method_generator_params(class_qualname, method)
        return cached

    def _method_generator_params(self, class_qualname: Optional[str], method: str) -> list:
        found = []
        canonical = self._canonical_class(class_qualname)
        if canonical is None:
            return found
        inherited = self._defining(canonical, method, 0)
        candidates = ([inherited] if inherited else []) + [
            f"{sub}.{method}" for sub in self._subclasses_of(canonical)]
        for qualname in dict.fromkeys(candidates):
            params, consumed = self.generator_params(qualname)
            if consumed and params:
                found.append((params[1:], consumed, qualname))
        return found

    def _canonical_class(self, qualname: Optional[str]) -> Optional[str]:
        located = self._lookup(qualname) if qualname else None
        if located is None or located[1] not in located[0]["classes"]:
            return None
        return f"{located[0]['name']}.{located[1]}"

    def _defining(self, canonical: str, method: str, depth: int) -> Optional[str]:
        """The qualified name of ``method`` as the class defines or inherits it (only methods
        with a summary are seen)."""
        located = self._lookup(canonical)
        if located is None or depth > MAX_DEPTH:
            return None
        summary, local = located
        if f"{local}.{method}" in summary["functions"]:
            return f"{summary['name']}.{local}.{method}"
        for base in summary["classes"].get(local, ()):
            base_name = self._canonical_class(base)
            found = self._defining(base_name, method, depth + 1) if base_name else None
            if found:
                return found
        return None

    def _subclasses_of(self, canonical: str) -> list:
        """Every project class deriving from the class, directly or not."""
        children = self._shared.get("subclasses")
        if children is None:
            children = {}
            for summary in self.summaries.values():
                for local, bases in summary["classes"].items():
                    for base in bases:
                        base_name = self._canonical_class(base)
                        if base_name:
                            children.setdefault(base_name, []).append(f"{summary['name']}.{local}")
            self._shared["subclasses"] = children
        found, pending = [], [canonical]
        while pending and len(found) < 64:
            for child in children.get(pending.pop(), ()):
                if child not in found:
                    found.append(child)
                    pending.append(child)
        return found

    def seeds_global_rng(self, qualname: Optional[str]) -> bool:
        """Whether calling a project function, or constructing a project class, may seed torch's
        global RNG (under a test of its arguments or not)."""
        return self.global_seeding(qualname) is not None

    def constructor(self, qualname: Optional[str], depth: int = 0) -> Optional[str]:
        """The ``__init__`` that constructing the project class ``qualname`` runs: its own, or
        that of the first base (in the project) that defines one. None for anything else."""
        located = self._lookup(qualname) if qualname and depth <= MAX_DEPTH else None
        if located is None:
            return None
        summary, local = located
        if local not in summary["classes"]:
            return None
        if local in summary.get("inits", ()):
            return f"{summary['name']}.{local}.__init__"
        for base in summary["classes"][local]:
            found = self.constructor(base, depth + 1)
            if found is not None:
                return found
        return None

    def global_seeding(self, qualname: Optional[str], depth: int = 0):
        """How calling a project function (or constructing a project class) seeds torch's global
        RNG: None when it does not; ``[]`` on every call; otherwise the guards under which it
        does (``seed_guards``), each ``(parameter index, parameter name, attribute, kind)`` in
        the function's own positional parameters (``self`` counted): it seeds when one holds.
        A helper that seeds under a test of its own parameters, called with arguments that are
        not this function's parameters, counts as seeding on every call (a seeding helper)."""
        if not qualname or depth > MAX_DEPTH or qualname.startswith(EXTERNAL_ROOTS):
            return None
        key = ("seeding", qualname)
        if key in self._facts_cache:
            return self._facts_cache[key]
        self._facts_cache[key] = None  # a cycle of calls adds nothing
        result = self._global_seeding(qualname, depth)
        self._facts_cache[key] = result
        return result

    def _global_seeding(self, qualname: str, depth: int):
        function = self._function(qualname)
        if function is None:
            init = self.constructor(qualname)
            return self.global_seeding(init, depth + 1) if init and init != qualname else None
        if function.get("seeds"):
            return []
        params = function["params"]
        guarded = function.get("seed_guards", {})
        alternatives = []
        for callee in dict.fromkeys([*guarded, *function.get("calls", ())]):
            if callee in catalog.TORCH_GLOBAL_SEEDING_CALLS:
                inner = []
            else:
                inner = self.global_seeding(callee, depth + 1)
                if inner is None:
                    continue
                inner = self._passed_through(inner, function.get("forwards", {}).get(callee, ()), params)
            if callee not in guarded:
                if not inner:
                    return []  # an unguarded call of a helper that seeds on every call
                alternatives.extend(inner)
                continue
            for guard in guarded[callee]:
                name, attr, kind = guard
                alternatives.append((params.index(name) if name in params else -1, name, attr, kind))
        return alternatives or None

    @staticmethod
    def _passed_through(guards: list, forwarded, params: list) -> list:
        """A callee's guards, in the caller's parameters where the caller passes its own
        parameter on (``super().__init__(args)``); ``[]`` (seeds on every call) where one guard
        tests something the caller does not pass on: the helper convention."""
        translated = []
        for index, name, attr, kind in guards:
            own = next((mine for theirs, mine in forwarded if theirs == index or theirs == name), None)
            if own is None:
                return []
            translated.append((params.index(own) if own in params else -1, own, attr, kind))
        return translated

    def options_of(self, path: str) -> dict:
        """The seed-named argparse options a module declares, with their defaults."""
        summary = self.summaries.get(path)
        return summary.get("options", {}) if summary else {}

    def sets_up_determinism(self, qualname: Optional[str]) -> bool:
        return self._reaches(qualname, "determinism", 0, set())

    def _reaches(self, qualname: Optional[str], fact: str, depth: int, seen: set) -> bool:
        if not qualname or depth > MAX_DEPTH or qualname in seen:
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

    # -- typed facts (``reprolint.semantic.project_facts``)

    def facts_of(self, qualname: Optional[str]) -> frozenset:
        """What a project function does, through the project functions it calls; for a class,
        what its methods do. Empty when the name leaves the project."""
        if not qualname or qualname.startswith(EXTERNAL_ROOTS):
            return frozenset()
        key = ("facts", qualname)
        cached = self._facts_cache.get(key)
        if cached is None:
            found: set = set()
            self._collect_facts(qualname, found, 0, set())
            found_class = self._lookup(qualname)
            if found_class is not None and found_class[1] in found_class[0]["classes"]:
                self._collect_class_facts(qualname, found, 0)
            cached = self._facts_cache[key] = frozenset(found)
        return cached

    def _collect_facts(self, qualname: Optional[str], found: set, depth: int, seen: set) -> None:
        if not qualname or depth > MAX_DEPTH or qualname in seen:
            return
        seen.add(qualname)
        function = self._function(qualname)
        if function is None:
            return
        found.update(function.get("facts", ()))
        for callee in function.get("calls", ()):
            self._collect_facts(callee, found, depth + 1, seen)

    def _collect_class_facts(self, qualname: str, found: set, depth: int) -> None:
        located = self._lookup(qualname)
        if located is None or depth > MAX_DEPTH:
            return
        summary, local = located
        for name in summary["functions"]:
            owner, _, method = name.partition(".")
            if owner == local and method:
                self._collect_facts(f"{summary['name']}.{name}", found, 0, set())
        for base in summary["classes"].get(local, ()):
            self._collect_class_facts(base, found, depth + 1)

    def is_imported(self, path: str) -> bool:
        """Whether another module of the project imports the module at ``path``: a library,
        whatever its ``__main__`` block holds. Test modules do not count (a test that imports a
        training script to test it leaves it a script)."""
        imported = self._shared.get("imported_paths")
        if imported is None:
            imported = set()
            for importer, summary in self.summaries.items():
                if _is_test_module(importer, summary["name"]):
                    continue  # a test importing a training script to test it leaves it a script
                folder = os.path.dirname(os.path.abspath(importer))
                for name in summary.get("imports", ()):
                    paths = [p for p in self.by_name.get(name, ()) if p != importer]
                    if len(paths) > 1:
                        # Several ``main.py`` answer to ``main``: a script imports the one beside
                        # it (``sys.path[0]``); any other reading is a guess.
                        paths = [p for p in paths if os.path.dirname(os.path.abspath(p)) == folder]
                        if len(paths) != 1:
                            continue
                    imported.update(paths)
            self._shared["imported_paths"] = imported
        return path in imported


def _is_test_module(path: str, module_name: str) -> bool:
    """A pytest module, or one in a ``tests``/``test`` package of the project (its dotted name
    says so, not folders above the linted root)."""
    name = os.path.basename(path)
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or bool({"tests", "test"} & set(module_name.split(".")[:-1])))


UNREADABLE = "unreadable"  # what summarise_file returns for a file it cannot read


_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([\w., \t]+)|import[ \t]+([\w., \t]+))",
                          re.M)


def imports_only(source: str, module_name: str, is_package: bool) -> list:
    """What a module with nothing else to tell imports, read by a regular expression (no parse):
    enough for ``ProjectIndex.is_imported`` (a launcher that only imports the training script)."""
    summariser = Summariser(module_name, is_package)
    found = set()
    for match in _IMPORT_LINE.finditer(source):
        base, names, plain = match.groups()
        if plain is not None:
            found.update(part.split(" as ")[0].strip() for part in plain.split(",") if part.strip())
            continue
        level = len(base) - len(base.lstrip("."))
        absolute = summariser._absolute(base.lstrip(".") or None, level)
        if not absolute:
            continue
        found.add(absolute)
        found.update(f"{absolute}.{part.split(' as ')[0].strip()}" for part in names.split(",") if part.strip())
    return sorted(found)


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
        imported = imports_only(source, name, is_package)
        return ({**empty_summary(name), "imports": imported} if imported else None), None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return empty_summary(name), None
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
