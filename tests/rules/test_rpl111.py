"""RPL111 vae-sample-without-generator: must-flag and must-not-flag cases beyond the rule's own examples."""

from tests.conftest import codes


def test_diagonal_gaussian_distribution_constructor():
    code = """
        from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution

        dist = DiagonalGaussianDistribution(moments)
        z = dist.sample()
        z = dist.sample(generator=g)
    """
    assert codes(code, "RPL111") == [("RPL111", 4)]
