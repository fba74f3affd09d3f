"""The rule catalogue: each ``rplNNN_<name>.py`` module of this package defines one rule, and the
package finds them by scanning itself, so adding a rule is adding its module and nothing else
(the steps: docs/contributing.md)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

RULE_MODULE_PREFIX = "rpl"


def rules_in_package(package_name: str) -> tuple:
    """The rule classes defined by the ``rpl*`` modules of the package ``package_name``, in code
    order. A module defining no rule, or two rules sharing a code or a name, is an error."""
    from reprolint.rules.base import Rule

    package = importlib.import_module(package_name)  # this package itself: already in sys.modules
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda info: info.name):
        if not info.name.startswith(RULE_MODULE_PREFIX):
            continue
        module = importlib.import_module(f"{package_name}.{info.name}")
        defined = [value for value in vars(module).values()
                   if inspect.isclass(value) and issubclass(value, Rule) and value.__module__ == module.__name__]
        if not defined:
            raise TypeError(f"{module.__name__} defines no Rule subclass")
        found.extend(defined)
    for attribute in ("code", "name"):
        seen: dict = {}
        for rule in found:
            other = seen.setdefault(getattr(rule, attribute), rule)
            if other is not rule:
                raise TypeError(f"{other.__module__} and {rule.__module__} both define {attribute} "
                                f"{getattr(rule, attribute)!r}")
    return tuple(sorted(found, key=lambda rule: rule.code))


def __getattr__(name: str):
    # The rule classes import libcst: they load on first use, not with the package, so that a
    # run answered from the cache never imports them (``reprolint.rules.catalogue`` tells the
    # codes and names meanwhile).
    if name in ("Example", "Rule"):
        from reprolint.rules import base

        return getattr(base, name)
    if name in ("ALL_RULES", "RULES_BY_CODE", "RULES_BY_NAME"):
        rules = rules_in_package(__name__)
        globals().update(ALL_RULES=rules, RULES_BY_CODE={rule.code: rule for rule in rules},
                         RULES_BY_NAME={rule.name: rule for rule in rules})
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ALL_RULES", "RULES_BY_CODE", "RULES_BY_NAME", "Example", "Rule", "rules_in_package"]
