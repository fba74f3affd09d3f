"""RPL305 nondeterministic-backend: must-flag and must-not-flag cases beyond the rule's own examples."""

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
