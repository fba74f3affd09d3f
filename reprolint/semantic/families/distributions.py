"""diffusers' latent distributions: ``DiagonalGaussianDistribution(...)`` (diffusers' class or a
project's copy of it) and ``vae.encode(x).latent_dist``, whose ``.sample(generator=...)`` draws
noise; also ``vae.encode(x)[0].sample()`` and ``vae.encode(x).sample()``, the same draw written
through diffusers' output tuple or a VAE whose ``encode`` returns the distribution."""

from __future__ import annotations

import libcst as cst

from reprolint.semantic import catalog
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.families.base import ANY_VALUE, UNHANDLED, CallSite
from reprolint.semantic.values import Distribution


def constructed(flow, site: CallSite):
    return Distribution(site.fact.node)


def latent_distribution(flow, node, base):
    return Distribution(node)


def sample(flow, site: CallSite):
    """Recorded for the rules (``model.distribution_samples``); what it passes as
    ``generator=`` is then a generator use like any unclaimed call's."""
    if flow.first_time("distribution-sample", site.fact.node):
        flow.model.distribution_samples.append(site.fact)
    return UNHANDLED


def claim(qualified: str):
    """A project's copy of the class (kohya's, LDM's, SGM's VAEs keep one): a class of that name."""
    is_copy = (qualified.rpartition(".")[2] == catalog.DIAGONAL_GAUSSIAN_NAME
               and qualified not in catalog.DIAGONAL_GAUSSIAN_CLASSES)  # diffusers' own: NAMES
    return constructed if is_copy else None


def on_unclaimed_call(flow, site: CallSite) -> None:
    fact = site.fact
    if fact.method == "sample" and not fact.arguments and not fact.star_kwargs and _samples_a_vae_encoding(fact.node):
        if flow.first_time("distribution-sample", fact.node):
            flow.model.distribution_samples.append(fact)


def _samples_a_vae_encoding(node: cst.Call) -> bool:
    """``vae.encode(x).sample()`` (a VAE whose ``encode`` returns the distribution) or
    ``vae.encode(x)[0].sample()`` (diffusers' output tuple, whose first item is ``latent_dist``)."""
    receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
    if (isinstance(receiver, cst.Subscript) and len(receiver.slice) == 1
            and isinstance(receiver.slice[0].slice, cst.Index)
            and isinstance(receiver.slice[0].slice.value, cst.Integer)
            and receiver.slice[0].slice.value.value == "0"):
        receiver = receiver.value
    if not (isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute)
            and receiver.func.attr.value == "encode"):
        return False
    encoder = (dotted_name(receiver.func.value) or "").lower()
    return "vae" in encoder or "autoencoder" in encoder


NAMES = {name: constructed for name in catalog.DIAGONAL_GAUSSIAN_CLASSES}
METHODS = {(Distribution, "sample"): sample}
ATTRIBUTES = {(ANY_VALUE, catalog.LATENT_DISTRIBUTION_ATTRIBUTE): latent_distribution}
