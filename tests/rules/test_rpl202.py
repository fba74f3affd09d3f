"""RPL202 unseeded-entry-point: must-flag and must-not-flag cases beyond the rule's own examples."""

from tests.conftest import codes


def test_entry_point_seeded_by_named_or_lookalike_helper_is_silent():
    code = """
        import torch
        from myproj.utils import seed_all

        if __name__ == "__main__":
            seed_all(0)
            x = torch.randn(3)
    """
    assert codes(code, "RPL202") == []
    assert codes(code, "RPL202", seeding_helpers=("myproj.utils.seed_all",)) == []


def test_top_level_example_inputs_do_not_make_an_entry_point():
    code = """
        import torch

        example_args = (torch.randn(3, 2),)
    """
    assert codes(code, "RPL202") == []


def test_generator_manual_seed_is_not_global_seeding():
    code = """
        import torch
        from diffusers import DiffusionPipeline

        g = torch.Generator().manual_seed(0)
        pipe = DiffusionPipeline.from_pretrained("m")
        image = pipe("p").images[0]
    """
    assert codes(code, "RPL202") == [("RPL202", 6)]
