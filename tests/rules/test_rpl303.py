"""RPL303 cudnn-benchmark: must-flag and must-not-flag cases beyond the rule's own examples."""

from tests.conftest import codes


def test_backend_switches_resolve_through_imports():
    code = """
        import torch.backends.cudnn as cudnn
        from torch.backends import cuda

        cudnn.benchmark = True
        cuda.matmul.allow_tf32 = True
        cudnn.deterministic = False
        benchmark = True
    """
    assert codes(code, "RPL303,RPL305,RPL306") == [("RPL303", 4), ("RPL306", 6)]
