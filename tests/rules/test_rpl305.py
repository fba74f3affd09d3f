"""RPL305 nondeterministic-backend: must-flag and must-not-flag cases beyond the rule's own examples."""

import pytest

from tests.conftest import codes


def test_nondeterministic_backend_needs_determinism_setup_in_module():
    code = """
        import torch
        from myproj import make_deterministic

        make_deterministic()
        unet.enable_xformers_memory_efficient_attention()
        torch.set_float32_matmul_precision("highest")
    """
    assert codes(code, "RPL305") == []
    assert codes(code, "RPL305", determinism_helpers=("myproj.make_deterministic",)) == [("RPL305", 5)]


FLASH_TRAINING = """
import torch
{imports}

torch.use_deterministic_algorithms(True)

class Attention(torch.nn.Module):
    def forward(self, q, k, v, cu_seqlens, max_seqlen):
        return {call}

for batch in loader:
    model(batch).mean().backward()
"""


@pytest.mark.parametrize("imports,call,flagged", [
    ("from flash_attn import flash_attn_func", "flash_attn_func(q, k, v, causal=True)", True),
    ("from flash_attn import flash_attn_func", "flash_attn_func(q, k, v, deterministic=False)", True),
    ("from flash_attn import flash_attn_func", "flash_attn_func(q, k, v, deterministic=True)", False),
    ("from flash_attn import flash_attn_func", "flash_attn_func(q, k, v, deterministic=self.deterministic)", False),
    ("from flash_attn import flash_attn_func", "flash_attn_func(q, k, v, **self.attn_kwargs)", False),
    ("from flash_attn.flash_attn_interface import flash_attn_varlen_func",
     "flash_attn_varlen_func(q, k, v, cu_seqlens, cu_seqlens, max_seqlen, max_seqlen)", True),
    ("import flash_attn", "flash_attn.flash_attn_qkvpacked_func(q)", True),
    ("from flash_attn_interface import flash_attn_func", "flash_attn_func(q, k, v)", True),
    ("from my_kernels import flash_attn_func", "flash_attn_func(q, k, v)", False),
])
def test_flash_attention_in_training_code(imports, call, flagged):
    code = FLASH_TRAINING.format(imports=imports, call=call)
    assert bool(codes(code, "RPL305")) is flagged


def test_flash_attention_needs_training_and_asked_for_determinism():
    training = FLASH_TRAINING.format(imports="from flash_attn import flash_attn_func", call="flash_attn_func(q, k, v)")
    inference = training.replace("model(batch).mean().backward()", "model(batch)")
    assert codes(inference, "RPL305") == [], "forward only: flash-attention's forward is deterministic"
    undeterministic = training.replace("torch.use_deterministic_algorithms(True)", "")
    assert codes(undeterministic, "RPL305") == [], "no determinism asked for"
