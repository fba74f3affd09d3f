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
    image = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    out = [pipe("a red barn", image=image, num_inference_steps=2, strength=1.0, output_type="np",
                generator=torch.Generator("cpu").manual_seed(5)).images for _ in range(2)]
    assert out[0].shape == (1, 64, 64, 3)
    assert (out[0] == out[1]).all()


# The image each stand-in makes when the script gives no size: at least 64 x 64, so that the
# report's heat map has room to show where two runs differ. PixArt's 32 latents are its 256 px class.
DEFAULT_SIZES = {"StableDiffusionPipeline": 64, "StableDiffusionImg2ImgPipeline": 64,
                 "StableDiffusionInpaintPipeline": 64, "StableDiffusionControlNetPipeline": 64,
                 "StableDiffusionXLPipeline": 64, "DDPMPipeline": 64, "DDIMPipeline": 64,
                 "PixArtAlphaPipeline": 256}


@pytest.mark.slow
@pytest.mark.parametrize("class_name", sorted(DEFAULT_SIZES))
def test_every_stand_in_makes_images_of_at_least_64_pixels_a_side(class_name):
    torch = pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from reprolint.verify import standins

    assert set(DEFAULT_SIZES) == set(standins.SUPPORTED)
    pipe = standins.build(class_name)
    size = DEFAULT_SIZES[class_name]
    arguments = {"num_inference_steps": 2, "output_type": "np", "generator": torch.Generator().manual_seed(0)}
    if class_name not in ("DDPMPipeline", "DDIMPipeline"):
        arguments["prompt"] = "a red barn"
    picture = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    if class_name in ("StableDiffusionImg2ImgPipeline", "StableDiffusionInpaintPipeline",
                      "StableDiffusionControlNetPipeline"):
        arguments["image"] = picture
    if class_name == "StableDiffusionInpaintPipeline":
        arguments["mask_image"] = torch.ones(1, 1, size, size)
    images = pipe(**arguments).images
    assert images.shape == (1, size, size, 3)
    assert images.std() > 0  # decoded from the run, not a flat fill


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
