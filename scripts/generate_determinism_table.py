"""Regenerate ``reprolint/data/determinism.json`` from the installed torch's documentation.

RPL309 (``raises-under-determinism``) reads this table; the static linter never imports torch.
Run after a torch release:

    pip install -U torch && python scripts/generate_determinism_table.py

The source is the list under "The following normally-nondeterministic operations will throw a
RuntimeError when ``mode=True``" in ``torch.use_deterministic_algorithms.__doc__``. Each bullet
names an operation and, after it, the conditions under which it raises. The conditions are
turned into data the rule can test:

- ``differentiated``: "when attempting to differentiate ..." (the backward kernel raises);
- ``cuda``: the op raises only on a CUDA tensor;
- ``arguments``: a condition on an argument: ``in`` (``mode`` is one of the listed modes),
  ``equals`` (``accumulate=False``, ``reduce='prod'``) or ``given`` (``weights`` passed, a ``dim``
  passed so that ``median`` returns indices), with the argument's position and default read from
  the op's signature (``inspect.signature``, or the first docstring line of a builtin);
- ``undecided``: a condition no static reading of a call can decide (the input's dtype, a
  quantized tensor). The rule never reports such an entry; the text says why.

A class whose ``forward`` only returns a call of a ``torch.nn.functional`` function (read from
its source: ``AdaptiveAvgPool2d`` -> ``F.adaptive_avg_pool2d``, ``ReflectionPad2d`` ->
``F.pad(..., "reflect")``) also gets that function as ``functional``, with the literal arguments
its ``forward`` passes as extra argument conditions.

A condition phrase this script does not know is recorded as ``undecided`` and printed, so a new
torch release never silently widens the rule: read the new phrase and teach ``CLAUSES`` it.
"""

from __future__ import annotations

import ast
import inspect
import json
import pathlib
import re
import textwrap

OUT = pathlib.Path(__file__).resolve().parent.parent / "reprolint" / "data" / "determinism.json"

# Where the documentation is broader than what torch does, with the evidence: the entry is kept,
# marked undecided, so the rule does not report calls that do not raise.
NARROWER_THAN_DOCUMENTED = {
    "torch.nn.NLLLoss": (
        "raises only for spatial (N, C, H, W) inputs: among torch's CUDA loss kernels only "
        "NLLLoss2d.cu calls alertNotDeterministic; the input's rank is not known statically"),
}

# A phrase of a condition -> what it means. Tried in order on the remaining text.
CLAUSES = [
    (r"when attempting to differentiate a CUDA tensor", {"differentiated": True, "cuda": True}),
    (r"(?:when|and) called on (?:a )?CUDA tensor", {"cuda": True}),
    (r"when called on a CPU or CUDA tensor", {}),
    (r"and one of the following modes is used:((?:\s*-\s*``\w+``)+)", "modes"),
    (r"(?:when|and) ``(\w+)``\s*tensor is given", "given"),
    (r"(?:when|and) ``(\w+)=([^`]+)``", "equals"),
    # ``torch.median(input)`` returns values only; the overload with ``dim`` returns indices.
    (r"with indices output", {"argument": {"name": "dim", "given": True}}),
    (r"when dtype is floating point or complex", {"undecided": "the input's dtype"}),
    (r"when called with a quantized tensor", {"undecided": "whether the tensor is quantized"}),
]


def _bullets(doc: str) -> list:
    """(target, kind, condition text) of each bullet of the raising list."""
    start = re.search(r"operations\s+will\s+throw\s+a", doc).start()
    section = doc[start:]
    section = section[section.index("``mode=True``:") + len("``mode=True``:"):]
    end = re.search(r"\n\s*In addition,", section)
    section = section[: end.start()] if end else section
    items = re.split(r"\n\s*\* ", "\n" + textwrap.dedent(section))
    found = []
    for item in items:
        match = re.match(r":(class|func):`([\w.]+)`(.*)", item.strip(), re.S)
        if match:
            found.append((match.group(2), match.group(1), " ".join(match.group(3).split())))
    return found


def _parse_conditions(target: str, text: str) -> dict:
    entry = {"differentiated": False, "cuda": False, "arguments": [], "undecided": None}
    rest = text
    for pattern, meaning in CLAUSES:
        match = re.search(pattern, rest)
        if not match:
            continue
        rest = (rest[: match.start()] + rest[match.end():]).strip()
        if meaning == "modes":
            modes = re.findall(r"``(\w+)``", match.group(1))
            entry["arguments"].append({"name": "mode", "in": modes})
        elif meaning == "given":
            entry["arguments"].append({"name": match.group(1), "given": True})
        elif meaning == "equals":
            entry["arguments"].append({"name": match.group(1), "equals": ast.literal_eval(match.group(2))})
        else:
            meaning = dict(meaning)
            if "argument" in meaning:
                entry["arguments"].append(meaning.pop("argument"))
            if "undecided" in meaning:
                entry["undecided"] = meaning.pop("undecided")
            entry.update(meaning)
    rest = rest.strip(" .,")
    if rest:
        print(f"warning: {target}: condition not understood, left undecided: {rest!r}")
        entry["undecided"] = f"a condition the table does not model: {rest}"
    if target in NARROWER_THAN_DOCUMENTED:
        entry["undecided"] = NARROWER_THAN_DOCUMENTED[target]
    return entry


def _resolve(target: str):
    import importlib

    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(target)


def _parameters(obj, is_method: bool) -> list:
    """(name, default or ``inspect.Parameter.empty``, positional) of the op's parameters, without
    ``self``: from the signature, or from the first line of a builtin's docstring."""
    try:
        callee = obj.__init__ if inspect.isclass(obj) else obj
        signature = inspect.signature(callee)
        params = list(signature.parameters.values())
        if inspect.isclass(obj) or (params and params[0].name == "self"):
            params = params[1:]
        return [(p.name, p.default, p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)) for p in params]
    except (TypeError, ValueError):
        pass
    # A builtin documents each overload as a line ``name(args) -> result``; the parameters are
    # their union, first overload first (``median(input)``, then ``median(input, dim=-1, ...)``).
    short = obj.__name__
    found = []
    for line in (obj.__doc__ or "").splitlines():
        line = line.strip().removeprefix(".. function:: ")
        if not (line.startswith(f"{short}(") and " -> " in line):
            continue
        tree = ast.parse(f"def {line.split(' -> ')[0]}: pass")
        args = tree.body[0].args
        defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
        overload = [(arg.arg, _literal(default), True) for arg, default in zip(args.args, defaults)]
        overload += [(arg.arg, _literal(default), False) for arg, default in zip(args.kwonlyargs, args.kw_defaults)]
        if is_method and overload and overload[0][0] == "input":
            overload = overload[1:]
        known = {name for name, _, _ in found}
        found += [param for param in overload if param[0] not in known]
    return found


def _literal(node):
    """A default written in a docstring signature, or ``empty`` when it is absent or not a
    literal (``memory_format=torch.preserve_format``)."""
    try:
        return inspect.Parameter.empty if node is None else ast.literal_eval(node)
    except ValueError:
        return inspect.Parameter.empty


def _with_signature(arguments: list, params: list) -> list:
    """Each argument condition with the argument's position (None for keyword-only or unknown)
    and default (absent when it has none), as the rule needs them to read a call."""
    completed = []
    positions = [name for name, _, positional in params if positional]
    defaults = {name: default for name, default, _ in params}
    for condition in arguments:
        condition = dict(condition)
        name = condition["name"]
        condition["position"] = positions.index(name) if name in positions else None
        default = defaults.get(name, inspect.Parameter.empty)
        if default is not inspect.Parameter.empty:
            condition["default"] = default
        completed.append(condition)
    return completed


def _functional(cls) -> tuple:
    """(``torch.nn.functional.<name>``, literal positional arguments) when the class's
    ``forward`` only returns one functional call; (None, ()) otherwise."""
    forward = next((klass.__dict__["forward"] for klass in cls.__mro__ if "forward" in klass.__dict__), None)
    if forward is None:
        return None, ()
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    except (OSError, TypeError):
        return None, ()
    body = [s for s in tree.body[0].body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or not isinstance(body[0].value, ast.Call):
        return None, ()
    func = body[0].value.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "F"):
        return None, ()
    literals = tuple((index, arg.value) for index, arg in enumerate(body[0].value.args)
                     if isinstance(arg, ast.Constant))
    return f"torch.nn.functional.{func.attr}", literals


def build_table() -> dict:
    import torch

    entries = []
    for target, kind, text in _bullets(torch.use_deterministic_algorithms.__doc__):
        entry = {"target": target, "kind": "class" if kind == "class" else (
            "method" if target.startswith("torch.Tensor.") else "function")}
        entry.update(_parse_conditions(target, text))
        obj = _resolve(target)
        entry["arguments"] = _with_signature(entry["arguments"], _parameters(obj, entry["kind"] == "method"))
        if entry["kind"] == "class" and not entry["arguments"]:
            functional, literals = _functional(obj)
            if functional is not None:
                params = _parameters(_resolve(functional), False)
                extra = [{"name": params[index][0], "equals": value} for index, value in literals]
                entry["functional"] = {"target": functional, "arguments": _with_signature(extra, params)}
        entry["documented"] = text
        entries.append(entry)
    return {"generated_from": f"torch {torch.__version__.split('+')[0]}", "raises": entries}


def main() -> None:
    table = build_table()
    OUT.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    undecided = sum(1 for e in table["raises"] if e["undecided"])
    print(f"wrote {OUT}: {len(table['raises'])} raising operations ({undecided} undecidable statically), "
          f"from {table['generated_from']}")


if __name__ == "__main__":
    main()
