from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Observe, Verification


class VaeSampleWithoutGenerator(Rule):
    """
    ## What it does
    Flags `<x>.latent_dist.sample()` called without a generator, and the same draw written
    otherwise: `vae.encode(x)[0].sample()` (diffusers' output tuple, whose first item is the
    distribution), `vae.encode(x).sample()` (a VAE whose `encode` returns the distribution, as
    kohya's and LDM's do), and `DiagonalGaussianDistribution(...).sample()`, diffusers' class or a
    project's copy of it (a class of that name), also where a function of the project returns
    the distribution (`def encode_latents(vae, x): return vae.encode(x).latent_dist`, in this
    module or another, then `encode_latents(vae, x).sample()`).
    {seeded-global-rng}

    ## Why is this bad?
    Sampling the VAE's latent distribution adds Gaussian noise. Without a generator that noise
    comes from torch's global random state, so encoding the same image twice gives different
    latents (and different img2img or training results).

    ## Example
    ```python
    latents = vae.encode(pixel_values).latent_dist.sample()
    ```

    ## Use instead
    ```python
    latents = vae.encode(pixel_values).latent_dist.sample(generator=generator)
    # or, where no noise is wanted:
    latents = vae.encode(pixel_values).latent_dist.mode()
    ```

    ## Fix safety
    No automatic fix: whether to seed the sample or take the mode is the author's decision.

    ## Evidence
    - huggingface/diffusers#9981.
    """

    code = "RPL111"
    name = "vae-sample-without-generator"
    summary = "VAE `latent_dist.sample()` without a generator"
    triggers = ("latent_dist", "DiagonalGaussianDistribution", "encode(")
    verification = Verification(observe=Observe.FLAGGED_CALL)

    def could_report(self, facts) -> bool:
        # Every finding is a `<distribution>.sample()` call passing no generator, by keyword or position.
        return "sample" in facts.bare_calls

    def check(self, model):
        for call in model.distribution_samples:
            if call.passes("generator") is not False or call.positional(0) is not None or call.star_args:
                continue
            if model.draws_from_seeded_global_rng(call.node):
                continue
            written = "latent_dist.sample()" if ".latent_dist." in model.code(call.node) else model.code(call.node)
            if len(written) > 50:
                written = "….sample()"
            yield self.report(
                model, call.node,
                f"`{written}` samples the VAE's latent distribution without a generator: it draws from "
                "torch's global random state; pass `generator=` (or use `.mode()` for the deterministic latent)",
            )

    VALID = [
        Example(
            """
            latents = vae.encode(pixel_values).latent_dist.sample(generator=generator)
            """
        ),
        Example(
            """
            latents = vae.encode(pixel_values).latent_dist.mode()
            """
        ),
    ]
    INVALID = [
        Example(
            """
            latents = vae.encode(pixel_values)[0].sample()
            """,
            expect=[(1, 11)],
        ),
        Example(
            """
            from library.model_util import DiagonalGaussianDistribution

            def encode(vae, images):
                posterior = DiagonalGaussianDistribution(vae.quant_conv(vae.encoder(images)))
                return posterior.sample() * 0.18215
            """,
            expect=[(5, 12)],
            note="a project's copy of the class",
        ),
        Example(
            """
            latents = vae.encode(batch["pixel_values"].to(weight_dtype)).latent_dist.sample()
            latents = latents * vae.config.scaling_factor
            """,
            expect=[(1, 11)],
        ),
        Example(
            """
            posterior = vae.encode(image).latent_dist
            z = posterior.sample()
            """,
            expect=[(2, 5)],
        ),
    ]
