"""diffusers' latent distributions: ``DiagonalGaussianDistribution(...)`` and
``vae.encode(x).latent_dist``, whose ``.sample(generator=...)`` draws noise."""

from __future__ import annotations

from reprolint.semantic import catalog
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


NAMES = {name: constructed for name in catalog.DIAGONAL_GAUSSIAN_CLASSES}
METHODS = {(Distribution, "sample"): sample}
ATTRIBUTES = {(ANY_VALUE, catalog.LATENT_DISTRIBUTION_ATTRIBUTE): latent_distribution}
