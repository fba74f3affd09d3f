"""Stand-in resolution and construction, and the verdict cache's key."""

from __future__ import annotations

import pytest

from reprolint.findings import Finding, Position
from reprolint.verify.cache import VerdictCache, cache_folder, verdict_key


def test_generic_classes_resolve_from_the_checkpoint_name():
    from reprolint.verify.standins import NoStandIn, resolve_class_name

    assert resolve_class_name("DiffusionPipeline", "stabilityai/stable-diffusion-xl-base-1.0") == \
        "StableDiffusionXLPipeline"
    assert resolve_class_name("AutoPipelineForText2Image", "stable-diffusion-v1-5/stable-diffusion-v1-5") == \
        "StableDiffusionPipeline"
    assert resolve_class_name("DiffusionPipeline", "google/ddpm-cifar10-32") == "DDPMPipeline"
    assert resolve_class_name("AutoPipelineForImage2Image", "runwayml/sd") == "StableDiffusionImg2ImgPipeline"
    assert resolve_class_name("DDIMPipeline", None) == "DDIMPipeline"
    with pytest.raises(NoStandIn, match="FluxPipeline"):
        resolve_class_name("FluxPipeline", "black-forest-labs/FLUX.1-dev")


@pytest.mark.slow
def test_img2img_stand_in_is_deterministic_and_leaves_the_global_rng_alone():
    torch = pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from reprolint.verify import standins

    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    pipe = standins.build("StableDiffusionImg2ImgPipeline")
    assert torch.rand(1) == expected_next  # building drew nothing from the global generator
    assert type(pipe).__name__ == "StableDiffusionImg2ImgPipeline"
    again = standins.build("StableDiffusionImg2ImgPipeline")
    for (name, a), (_, b) in zip(pipe.unet.state_dict().items(), again.unet.state_dict().items()):
        assert torch.equal(a, b), name
    image = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    out = [pipe("a red barn", image=image, num_inference_steps=2, strength=1.0, output_type="np",
                generator=torch.Generator("cpu").manual_seed(5)).images for _ in range(2)]
    assert out[0].shape == (1, 16, 16, 3)
    assert (out[0] == out[1]).all()


def _finding(line=3, message="m"):
    return Finding("RPL101", "pipeline-call-without-generator", message, "x.py", Position(line, 1),
                   Position(line, 9))


def test_cache_key_changes_with_the_script_the_finding_and_the_versions():
    environment = {"torch": "2.13.0", "diffusers": "0.42.1", "cuda": None}
    base = verdict_key("hash1", _finding(), {"devices": []}, environment)
    assert base == verdict_key("hash1", _finding(), {"devices": []}, dict(environment))
    assert base != verdict_key("hash2", _finding(), {"devices": []}, environment)
    assert base != verdict_key("hash1", _finding(line=4), {"devices": []}, environment)
    assert base != verdict_key("hash1", _finding(), {"devices": ["cuda"]}, environment)
    assert base != verdict_key("hash1", _finding(), {"devices": []}, {**environment, "cuda": "13.0"})
    assert base != verdict_key("hash1", _finding(), {"devices": []}, {**environment, "torch": "2.14.0"})


def test_cache_folder_is_git_ignored_and_no_cache_reads_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("REPROLINT_CACHE_DIR", str(tmp_path / "c"))
    assert cache_folder() == str(tmp_path / "c")
    assert (tmp_path / "c" / ".gitignore").read_text() == "*\n"
    cache = VerdictCache(enabled=True)
    cache.put("k", {"status": "confirmed"})
    assert cache.get("k") == {"status": "confirmed"}
    assert VerdictCache(enabled=False).get("k") is None
