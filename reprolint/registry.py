"""Rule selection: ``--select``/``--ignore`` take codes, prefixes, kebab-case names or ``ALL``.

Selection works on the catalogue (``reprolint.rules.catalogue.RuleInfo``: code, name, defaults),
so that it imports no rule; ``RuleInfo.load()`` gives a rule's class.
"""

from __future__ import annotations

import difflib
from typing import Optional

from reprolint.rules.catalogue import current_rules

ALL_RULES = current_rules()
RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
RULES_BY_NAME = {rule.name: rule for rule in ALL_RULES}


class UnknownSelector(ValueError):
    pass


# Letters typed for the digits they look like: `RPL1O1` is RPL101, `RPLl02` is RPL102.
_LOOKALIKE_DIGITS = str.maketrans("OIL", "011")


def suggest_selector(selector: str) -> Optional[str]:
    """The code, prefix or rule name ``selector`` most likely meant, or None: `RPL1O1` ->
    RPL101, `generator-reuse` -> generator-reused, `RPL11` -> RPL110."""
    text = selector.strip()
    upper = text.upper()
    if upper.startswith("RPL"):
        repaired = "RPL" + upper[3:].translate(_LOOKALIKE_DIGITS)
        if repaired != upper and any(code.startswith(repaired) for code in RULES_BY_CODE):
            return repaired
    codes = difflib.get_close_matches(upper, RULES_BY_CODE, n=1, cutoff=0.8)
    if codes:
        return codes[0]
    names = difflib.get_close_matches(text.lower().replace("_", "-"), RULES_BY_NAME, n=1, cutoff=0.6)
    return names[0] if names else None


def did_you_mean(selector: str) -> str:
    """`` (did you mean `RPL101`?)`` for a misspelt selector, or nothing."""
    suggestion = suggest_selector(selector)
    return f" (did you mean `{suggestion}`?)" if suggestion else ""


def expand_selector(selector: str) -> list:
    """The rules one selector names. A prefix names every rule under it, default-off included."""
    text = selector.strip()
    if not text:
        return []
    if text.upper() == "ALL":
        return list(ALL_RULES)
    if text in RULES_BY_NAME:
        return [RULES_BY_NAME[text]]
    upper = text.upper()
    matched = [rule for rule in ALL_RULES if rule.code.startswith(upper)]
    if matched and upper.startswith("RPL"):
        return matched
    raise UnknownSelector(
        f"unknown rule selector `{selector}`{did_you_mean(selector)}: expected a code (RPL101), a prefix (RPL1), "
        "a rule name (pipeline-call-without-generator) or ALL; see `reprolint rule --all`"
    )


def resolve_rule(selector: str):
    """One rule's class by code or name, case-insensitively for codes; None if there is none."""
    info = RULES_BY_NAME.get(selector) or RULES_BY_CODE.get(selector.upper())
    return info.load() if info is not None else None


def select_rules(select=(), ignore=(), extend_select=()) -> list:
    """The enabled rules' catalogue entries, in code order."""
    if select:
        chosen = {rule for selector in select for rule in expand_selector(selector)}
    else:
        chosen = {rule for rule in ALL_RULES if rule.default}
    chosen |= {rule for selector in extend_select for rule in expand_selector(selector)}
    chosen -= {rule for selector in ignore for rule in expand_selector(selector)}
    return sorted(chosen, key=lambda rule: rule.code)


def select_fixable(fixable=("ALL",), unfixable=()) -> frozenset:
    """The codes of the rules whose fixes are offered: ``fixable`` less ``unfixable``."""
    chosen = {rule.code for selector in fixable for rule in expand_selector(selector)}
    chosen -= {rule.code for selector in unfixable for rule in expand_selector(selector)}
    return frozenset(chosen)


def complete_selectors(ctx, param, incomplete: str) -> list:
    """Shell completion of a rule selector: codes and names (``ALL`` too); in a comma-separated
    list (``--select RPL101,gen<TAB>``), of its last item."""
    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    candidates = ["ALL", *RULES_BY_CODE, *RULES_BY_NAME]
    return [prefix + candidate for candidate in candidates if candidate.lower().startswith(last.lower())]
