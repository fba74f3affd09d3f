"""flash-attention calls whose backward is nondeterministic: ``deterministic`` is False by default
(flash-attention's README: "deterministic: bool. Whether to use the deterministic implementation
of the backward pass, which is slightly slower and uses more memory").

Read off the model's calls; additive to the flow analysis.
"""

from __future__ import annotations

from reprolint.semantic.values import Const, possible_values

FLASH_ATTENTION_FUNCTIONS = frozenset({"flash_attn_func", "flash_attn_varlen_func", "flash_attn_qkvpacked_func"})
FLASH_ATTENTION_PACKAGES = ("flash_attn",)  # flash_attn, flash_attn.flash_attn_interface, flash_attn_interface (v3)


def nondeterministic_calls(model) -> list:
    """Calls of flash-attention's functions that do not pass ``deterministic=True``: not passed
    (the default is False) or passed a literal false value. A value that is not a literal, or a
    ``**kwargs`` that may carry it, is not known and not listed."""
    found = []
    for call in model.calls:
        qualname = call.qualname or ""
        if not qualname.startswith(FLASH_ATTENTION_PACKAGES) or qualname.rsplit(".", 1)[-1] not in FLASH_ATTENTION_FUNCTIONS:
            continue
        passed = call.passes("deterministic")
        if passed is None or call.star_args:
            continue
        if passed:
            options = possible_values(call.keyword("deterministic").value)
            if not options or not all(isinstance(o, Const) and not o.value for o in options):
                continue
        found.append(call)
    return found
