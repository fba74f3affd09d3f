"""RPL108 batch-shares-generator: must-flag and must-not-flag cases beyond the rule's own examples."""

from tests.conftest import codes


def test_batch_of_one_prompt_or_received_generator_is_not_flagged():
    code = """
        import torch
        from diffusers import DiffusionPipeline

        pipe = DiffusionPipeline.from_pretrained("m")
        g = torch.Generator("cpu").manual_seed(0)
        pipe(["only one"], generator=g)

        def run(pipe: DiffusionPipeline, generator):
            return pipe("x", num_images_per_prompt=4, generator=generator)
    """
    assert codes(code, "RPL108") == []
