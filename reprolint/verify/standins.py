"""Tiny, randomly initialised stand-ins for diffusers pipelines, built without any download.

When ``--verify`` runs a script whose checkpoint is not on this machine, the pipeline is replaced
by a stand-in *of the same class*: its components (UNet, VAE, scheduler, CLIP text encoders and
tokenizers) are built from small constructor configs, with weights drawn from a fixed private
seed. The stand-in is therefore the same on every run, and only the script's own randomness can
make two runs differ. Tokenizer vocabularies are generated into a temporary folder.

This module is imported only inside the verify child process (it imports torch and diffusers).
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Optional

import torch

# Weights come from this private seed, drawn from a private generator: building a stand-in never
# touches (and so never hides) the global random state the script under test relies on.
STAND_IN_SEED = 20240607
TEXT_LENGTH = 16  # tokenizer.model_max_length: every prompt is padded to this many tokens

SUPPORTED = (
    "DDPMPipeline",
    "DDIMPipeline",
    "StableDiffusionPipeline",
    "StableDiffusionImg2ImgPipeline",
    "StableDiffusionInpaintPipeline",
    "StableDiffusionControlNetPipeline",
    "StableDiffusionXLPipeline",
    "PixArtAlphaPipeline",
)
# Generic entry points: the checkpoint name decides which supported class they stand for.
GENERIC = ("DiffusionPipeline", "AutoPipelineForText2Image")
GENERIC_IMG2IMG = ("AutoPipelineForImage2Image",)
GENERIC_INPAINT = ("AutoPipelineForInpainting",)
# Models loaded on their own (`UNet2DConditionModel.from_pretrained(...)`): the same tiny parts
# the pipeline stand-ins are built from, so that they fit together.
MODELS = ("UNet2DConditionModel", "UNet2DModel", "AutoencoderKL", "ControlNetModel", "PixArtTransformer2DModel")


class NoStandIn(Exception):
    """No stand-in exists for this pipeline class."""


def resolve_class_name(class_name: str, checkpoint: Optional[str]) -> str:
    """The supported pipeline class a stand-in of ``class_name`` loaded from ``checkpoint`` is."""
    if class_name in SUPPORTED:
        return class_name
    name = (checkpoint or "").lower()
    if class_name in GENERIC_IMG2IMG:
        if "xl" in name:
            raise NoStandIn("StableDiffusionXLImg2ImgPipeline")
        return "StableDiffusionImg2ImgPipeline"
    if class_name in GENERIC_INPAINT:
        if "xl" in name:
            raise NoStandIn("StableDiffusionXLInpaintPipeline")
        return "StableDiffusionInpaintPipeline"
    if class_name in GENERIC:
        if "xl" in name:
            return "StableDiffusionXLPipeline"
        if "ddpm" in name or "cifar" in name or "celeba" in name or "church" in name or "bedroom" in name:
            return "DDPMPipeline"
        if "ddim" in name:
            return "DDIMPipeline"
        if "pixart" in name:
            return "PixArtAlphaPipeline"
        if "inpaint" in name:
            return "StableDiffusionInpaintPipeline"
        return "StableDiffusionPipeline"
    raise NoStandIn(class_name)


def _private_init(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Re-draw every parameter from a private generator, so the weights depend on ``seed`` only."""
    generator = torch.Generator("cpu").manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.2)
    return module.eval()


def _build(constructor, seed: int):
    # fork_rng: constructors initialise weights from the global generator; restore it afterwards
    # so that the script sees exactly the global state it would have had without the stand-in.
    with torch.random.fork_rng(devices=[]):
        return _private_init(constructor(), seed)


def _bytes_to_unicode() -> dict:
    """GPT-2's reversible byte -> printable character table, which CLIP's BPE works on."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(
        range(ord("\xae"), ord("\xff") + 1))
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, codes)))


def _tokenizer_files(folder: str) -> str:
    """Write a byte-level BPE vocabulary (every byte, alone and word-final) and no merges."""
    symbols = list(_bytes_to_unicode().values())
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in symbols + [s + "</w>" for s in symbols]:
        vocab.setdefault(symbol, len(vocab))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as handle:
        json.dump(vocab, handle)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as handle:
        handle.write("#version: 0.2\n")
    return folder


def _tokenizer():
    from transformers import CLIPTokenizer

    with tempfile.TemporaryDirectory(prefix="reprolint-tokenizer-") as folder:
        _tokenizer_files(folder)
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as handle:
            vocab = json.load(handle)
        return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=TEXT_LENGTH)


def _text_config(projection_dim: int = 8):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=8, intermediate_size=16,
        num_attention_heads=2, num_hidden_layers=1, vocab_size=600,
        max_position_embeddings=TEXT_LENGTH, projection_dim=projection_dim,
    )


# Stand-in images are at least this many pixels a side: enough for the report's heat map to show
# where two runs differ. The latent pipelines reach it as real checkpoints do, through a VAE that
# scales by 8 (four blocks): the denoiser works on 8 x 8 latents, so the larger image costs only
# the decoder's few convolutions, not a larger UNet.
IMAGE_SIZE = 64
LATENT_SIZE = 8
VAE_BLOCKS = 4  # vae_scale_factor = 2 ** (VAE_BLOCKS - 1) = IMAGE_SIZE // LATENT_SIZE


def _vae():
    from diffusers import AutoencoderKL

    return _build(lambda: AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(4, 4, 8, 8),
        down_block_types=("DownEncoderBlock2D",) * VAE_BLOCKS, up_block_types=("UpDecoderBlock2D",) * VAE_BLOCKS,
        layers_per_block=1, norm_num_groups=2, sample_size=IMAGE_SIZE,
    ), STAND_IN_SEED + 1)


def _cond_unet(cross_attention_dim: int, xl: bool = False, in_channels: int = 4):
    from diffusers import UNet2DConditionModel

    extra = {}
    if xl:
        # SDXL conditions on pooled text (projection_dim) and 6 micro-conditioning numbers.
        extra = dict(addition_embed_type="text_time", addition_time_embed_dim=4,
                     projection_class_embeddings_input_dim=6 * 4 + 8, use_linear_projection=True)
    return _build(lambda: UNet2DConditionModel(
        sample_size=LATENT_SIZE, in_channels=in_channels, out_channels=4, layers_per_block=1,
        block_out_channels=(8, 16), norm_num_groups=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=cross_attention_dim, attention_head_dim=2, **extra,
    ), STAND_IN_SEED + 2)


def _controlnet():
    from diffusers import ControlNetModel

    # The conditioning embedding halves the control image once per channel count after the first,
    # as the VAE does: 64 x 64 pixels -> 8 x 8 latents.
    return _build(lambda: ControlNetModel(
        in_channels=4, block_out_channels=(8, 16), layers_per_block=1, norm_num_groups=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), cross_attention_dim=8,
        attention_head_dim=2, conditioning_embedding_out_channels=(4, 4, 8, 8),
    ), STAND_IN_SEED + 6)


# PixArt's resolution binning knows sample sizes 32, 64 and 128 only: 32 latents are its 256 px
# class, as in the real PixArt-256 (the same scale-8 VAE).
PIXART_SAMPLE_SIZE = 32


def _pixart_transformer():
    from diffusers import PixArtTransformer2DModel

    return _build(lambda: PixArtTransformer2DModel(
        sample_size=PIXART_SAMPLE_SIZE, in_channels=4, out_channels=8, num_layers=1, patch_size=4,
        num_attention_heads=2, attention_head_dim=4, cross_attention_dim=8, caption_channels=8,
        norm_type="ada_norm_single", use_additional_conditions=False,
    ), STAND_IN_SEED + 7)


def _t5_encoder():
    from transformers import T5Config, T5EncoderModel

    return _build(lambda: T5EncoderModel(T5Config(
        d_model=8, d_ff=16, d_kv=4, num_layers=1, num_heads=2, vocab_size=600, pad_token_id=1,
        eos_token_id=1, decoder_start_token_id=0,
    )), STAND_IN_SEED + 8)


def build_model(class_name: str):
    """A stand-in model of ``class_name`` (one of MODELS), on the CPU."""
    builders = {"UNet2DConditionModel": lambda: _cond_unet(8), "UNet2DModel": _unet2d, "AutoencoderKL": _vae,
                "ControlNetModel": _controlnet, "PixArtTransformer2DModel": _pixart_transformer}
    if class_name not in builders:
        raise NoStandIn(class_name)
    model = builders[class_name]()
    model._reprolint_stand_in = class_name
    return model


def _unet2d():
    from diffusers import UNet2DModel

    # Pixel space: the UNet itself works at IMAGE_SIZE, so it is kept narrow (2 and 4 channels) and
    # its middle block has no self-attention (over 32 x 32 positions it would cost more than the rest
    # of the model): a step costs about what the old 8 x 8 stand-in's did.
    return _build(lambda: UNet2DModel(
        sample_size=IMAGE_SIZE, in_channels=3, out_channels=3, layers_per_block=1,
        block_out_channels=(2, 4), norm_num_groups=2, add_attention=False,
        down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"),
    ), STAND_IN_SEED + 3)


def build(class_name: str, checkpoint: Optional[str] = None, components: Optional[dict] = None):
    """A stand-in pipeline of ``class_name`` (or of the class it resolves to), on the CPU.
    ``components``: the parts the script passed itself (``controlnet=``, ``unet=``,
    ``scheduler=``), used instead of the stand-in's own."""
    import diffusers

    resolved = resolve_class_name(class_name, checkpoint)
    given = {name: value for name, value in (components or {}).items()
             if isinstance(value, (torch.nn.Module, diffusers.SchedulerMixin))}
    if resolved in ("DDPMPipeline", "DDIMPipeline"):
        scheduler_class = diffusers.DDPMScheduler if resolved == "DDPMPipeline" else diffusers.DDIMScheduler
        pipe = getattr(diffusers, resolved)(unet=_unet2d(), scheduler=scheduler_class())
    elif resolved == "StableDiffusionXLPipeline":
        from transformers import CLIPTextModel, CLIPTextModelWithProjection

        text_encoder = _build(lambda: CLIPTextModel(_text_config()), STAND_IN_SEED + 4)
        text_encoder_2 = _build(lambda: CLIPTextModelWithProjection(_text_config(8)), STAND_IN_SEED + 5)
        pipe = diffusers.StableDiffusionXLPipeline(
            vae=_vae(), text_encoder=text_encoder, text_encoder_2=text_encoder_2,
            tokenizer=_tokenizer(), tokenizer_2=_tokenizer(), unet=_cond_unet(16, xl=True),
            scheduler=diffusers.EulerDiscreteScheduler(),
        )
    elif resolved == "PixArtAlphaPipeline":
        # A CLIP tokenizer stands in for T5's (the pipeline only tokenizes and decodes with it).
        pipe = diffusers.PixArtAlphaPipeline(
            tokenizer=_tokenizer(), text_encoder=given.get("text_encoder") or _t5_encoder(),
            vae=given.get("vae") or _vae(), transformer=given.get("transformer") or _pixart_transformer(),
            scheduler=given.get("scheduler") or diffusers.DPMSolverMultistepScheduler(),
        )
    else:
        from transformers import CLIPTextModel

        text_encoder = _build(lambda: CLIPTextModel(_text_config()), STAND_IN_SEED + 4)
        extra = {}
        if resolved == "StableDiffusionControlNetPipeline":
            extra["controlnet"] = given.get("controlnet") or _controlnet()
        in_channels = 9 if resolved == "StableDiffusionInpaintPipeline" else 4  # latents, mask, masked image
        pipe = getattr(diffusers, resolved)(
            vae=given.get("vae") or _vae(), text_encoder=text_encoder, tokenizer=_tokenizer(),
            unet=given.get("unet") or _cond_unet(8, in_channels=in_channels),
            scheduler=given.get("scheduler") or diffusers.PNDMScheduler(skip_prk_steps=True, steps_offset=1),
            safety_checker=None, feature_extractor=None, requires_safety_checker=False, **extra,
        )
    pipe.set_progress_bar_config(disable=True)
    pipe._reprolint_stand_in = resolved
    return pipe
