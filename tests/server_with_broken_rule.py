"""``reprolint server`` with one rule (RPL103) broken on purpose, for the test that an internal
error in one rule is logged to the client while the other rules still report."""

from reprolint.rules.rpl103_seed_not_generator import SeedNotGenerator


def _broken_check(self, model):
    raise RuntimeError("a bug planted by the test")
    yield  # a generator, like the real check


SeedNotGenerator.check = _broken_check

if __name__ == "__main__":
    from reprolint.server import start_io

    start_io()
