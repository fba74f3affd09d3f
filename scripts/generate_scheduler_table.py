"""Regenerate ``reprolint/data/schedulers.json`` from the installed diffusers' scheduler sources.

The static linter never imports diffusers; RPL110 and RPL112 read this table instead. Run after a
diffusers release:

    pip install -U diffusers && python scripts/generate_scheduler_table.py

How the table is derived, for each ``*Scheduler`` class in ``diffusers/schedulers`` (its ``step``
found through its diffusers base classes):

- a *draw site* is a statement of ``step`` that calls a random function (``randn_tensor``,
  ``torch.randn`` ...) or uses the ``generator`` parameter;
- the ``if`` tests enclosing a draw site are its *gates*. A test on a ``step`` parameter with a
  default (``eta > 0``, ``gamma > 0`` where ``gamma`` is computed from ``s_churn``) is an
  *argument* gate; a test on ``self.config.X`` / ``self.X`` for a constructor parameter ``X``
  (``self.config.algorithm_type in ["sde-dpmsolver", ...]``, ``self.config.stochastic_sampling``)
  is a *config* gate; any other test (``t > 0``, ``step_index``) depends on the run, not on a
  setting, and is ignored;
- a scheduler whose ``step`` draws noise but takes no ``generator`` and seeds its noise sampler
  from a constructor parameter (``noise_sampler_seed``) is listed under ``global_rng``.

The sources are read as text and parsed (``ast``), so schedulers whose optional dependencies
(torchsde, flax) are missing are covered too.
"""

from __future__ import annotations

import ast
import json
import pathlib
import warnings

OUT = pathlib.Path(__file__).resolve().parent.parent / "reprolint" / "data" / "schedulers.json"

RANDOM_FUNCTIONS = {
    "randn_tensor", "randn", "rand", "randint", "randn_like", "rand_like", "randint_like",
    "multinomial", "normal", "bernoulli", "poisson", "randperm",
}
# Constructor parameters that scale the noise of an otherwise unconditional draw; a value passed
# for them may switch the noise off (SA-Solver: ``tau_func=lambda t: 0`` samples the ODE).
NOISE_SCALE_PARAMETERS = {"tau_func"}


def _literal(node):
    try:
        return ast.literal_eval(node)
    except Exception:
        return None


class SchedulerSource:
    def __init__(self, node: ast.ClassDef, module: str):
        self.node = node
        self.module = module
        self.methods = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
        self.bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", None) for b in node.bases]


def collect_classes(root: pathlib.Path) -> dict:
    classes = {}
    for path in sorted(root.rglob("scheduling_*.py")):
        if "flax" in path.name:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, SchedulerSource(node, path.stem))
    return classes


def find_method(classes: dict, name: str, method: str):
    seen = set()
    while name in classes and name not in seen:
        seen.add(name)
        cls = classes[name]
        if method in cls.methods:
            return cls.methods[method]
        name = next((b for b in cls.bases if b in classes), None)
    return None


def parameters(func: ast.FunctionDef) -> dict:
    """Parameter name -> literal default (or ``...`` when it has none or a non-literal one)."""
    args = func.args.args + func.args.kwonlyargs
    defaults = [None] * (len(func.args.args) - len(func.args.defaults)) + list(func.args.defaults)
    defaults += list(func.args.kw_defaults)
    result = {}
    for arg, default in zip(args, defaults):
        result[arg.arg] = _literal(default) if default is not None else ...
    return result


def _names_in(node) -> set:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Attribute) and \
                isinstance(sub.value.value, ast.Name) and sub.value.value.id == "self" and sub.value.attr == "config":
            names.add(f"config.{sub.attr}")
        elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self":
            names.add(f"self.{sub.attr}")
    return names


def _is_draw(stmt) -> bool:
    for sub in ast.walk(stmt):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in RANDOM_FUNCTIONS:
                return True
        if isinstance(sub, ast.Name) and sub.id == "generator":
            return True
    return False


def _draw_sites(body, enclosing=()):
    """(statement, tests of the ifs around it) for every drawing simple statement."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            if _is_draw(stmt.test):
                yield stmt, enclosing
            yield from _draw_sites(stmt.body, enclosing + (stmt.test,))
            yield from _draw_sites(stmt.orelse, enclosing + (("not", stmt.test),))
        elif isinstance(stmt, (ast.For, ast.While, ast.With, ast.Try)):
            yield from _draw_sites(stmt.body, enclosing)
            yield from _draw_sites(getattr(stmt, "orelse", []), enclosing)
            for handler in getattr(stmt, "handlers", []):
                yield from _draw_sites(handler.body, enclosing)
        elif _is_draw(stmt):
            yield stmt, enclosing


def _value_names(node) -> set:
    """The names a value is computed from, leaving out the conditions that select it:
    ``gamma = min(s_churn / n, c) if s_tmin <= sigma <= s_tmax else 0.0`` depends on ``s_churn``
    for its size; ``s_tmin``/``s_tmax`` only pick the timesteps where it applies."""
    if isinstance(node, ast.IfExp):
        return _value_names(node.body) | _value_names(node.orelse)
    if isinstance(node, ast.Compare):
        return set()
    names = set()
    if isinstance(node, (ast.Name, ast.Attribute)):
        return _names_in(node)
    for child in ast.iter_child_nodes(node):
        names |= _value_names(child)
    return names


def _local_dependencies(func: ast.FunctionDef) -> dict:
    """Local name -> the names its assignments read (one level; expanded by the caller)."""
    deps: dict = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    deps.setdefault(target.id, set()).update(_value_names(node.value))
    return deps


def _expand(names: set, deps: dict) -> set:
    result, frontier = set(), set(names)
    while frontier:
        name = frontier.pop()
        if name in result:
            continue
        result.add(name)
        frontier |= deps.get(name, set()) - result
    return result


def _test_kind(test):
    """How a setting must look for the gate to open: ``>0``, ``truthy`` or ``{"in": [...]}``."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, (ast.Gt, ast.NotEq)) and _literal(right) == 0:
            return ">0"
        if isinstance(op, ast.In) and isinstance(_literal(right), (list, tuple, set)):
            return {"in": sorted(_literal(right))}
        if isinstance(op, ast.Eq) and isinstance(_literal(right), str):
            return {"in": [_literal(right)]}
    if isinstance(test, (ast.Name, ast.Attribute)):
        return "truthy"
    return None


def _gates(tests, step_params: dict, init_params: dict, deps: dict):
    """The setting gates among the tests around a draw site; None if one cannot be read."""
    gates = []
    for test in tests:
        if isinstance(test, tuple):  # an else branch: too clever to read, treat as ungated
            continue
        parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
        for part in parts:
            names = _expand(_names_in(part), deps)
            if "generator" in names or "variance_noise" in names:
                continue
            args = sorted(n for n in names if n in step_params and step_params[n] not in (..., None)
                          and isinstance(step_params[n], (int, float)) and not isinstance(step_params[n], bool))
            configs = sorted({n.split(".", 1)[1] for n in names if "." in n} & set(init_params))
            if not args and not configs:
                continue  # a runtime condition (t > 0, step_index), not a setting
            kind = _test_kind(part)
            if kind is None:
                return None
            for name in args:
                gates.append({"source": "argument", "name": name, "test": kind, "default": step_params[name]})
            for name in configs:
                default = init_params[name]
                gates.append({"source": "config", "name": name, "test": kind,
                              "default": None if default is ... else default})
    return gates


def analyse(classes: dict, name: str):
    step = find_method(classes, name, "step")
    init = find_method(classes, name, "__init__")
    if step is None:
        return None
    step_params = parameters(step)
    init_params = parameters(init) if init is not None else {}
    deps = _local_dependencies(step)
    sites = list(_draw_sites(step.body))
    uses_sampler_seed = any(isinstance(n, ast.Attribute) and n.attr == "noise_sampler_seed" for n in ast.walk(step))
    if "generator" not in step_params:
        if uses_sampler_seed and "noise_sampler_seed" in init_params:
            return {"global_rng_unless": "noise_sampler_seed"}
        return None
    if not sites:
        return None
    alternatives = []
    for _, tests in sites:
        gates = _gates(tests, step_params, init_params, deps)
        if gates is None:
            return {"draws": "unknown"}
        alternatives.append(gates)
    scales = sorted(NOISE_SCALE_PARAMETERS & {n.split(".", 1)[1] for n in _names_in(step) if "." in n}
                    & set(init_params))
    if any(not gates for gates in alternatives):
        entry = {"draws": "always"}
        if scales:
            entry["unless_config_set"] = scales
    else:
        unique = []
        for gates in alternatives:
            if gates not in unique:
                unique.append(gates)
        entry = {"draws": "when", "any_of": unique}
    noise_args = [p for p in ("variance_noise", "noise") if p in step_params]
    if noise_args:
        entry["noise_argument"] = noise_args[0]
    return entry


def main() -> None:
    warnings.filterwarnings("ignore")
    import diffusers

    root = pathlib.Path(diffusers.__file__).parent / "schedulers"
    classes = collect_classes(root)
    exported = {n for n in dir(diffusers) if n.endswith("Scheduler")}
    stochastic, global_rng, deterministic = {}, {}, []
    for name in sorted(classes):
        if not name.endswith("Scheduler") or name not in exported:
            continue
        entry = analyse(classes, name)
        if entry is None:
            deterministic.append(name)
        elif "global_rng_unless" in entry:
            global_rng[name] = entry["global_rng_unless"]
        else:
            stochastic[name] = entry
    table = {
        "generated_from": f"diffusers {diffusers.__version__}",
        "stochastic_step": stochastic,
        "global_rng": global_rng,
        "deterministic_step": deterministic,
    }
    OUT.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(stochastic)} stochastic, {len(global_rng)} global-RNG, "
          f"{len(deterministic)} deterministic")


if __name__ == "__main__":
    main()
