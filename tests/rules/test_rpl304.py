"""RPL304 dataloader-unseeded-workers: must-flag and must-not-flag cases beyond the rule's own examples."""

import pytest

from tests.conftest import codes


@pytest.mark.parametrize("args,flagged", [
    ("ds, shuffle=True, num_workers=4", True),
    ("ds, shuffle=True, num_workers=n", True),
    ("ds, shuffle=True", False),
    ("ds, shuffle=True, num_workers=0", False),
    ("ds, shuffle=False, num_workers=4", False),
    ("ds, shuffle=flag, num_workers=4", False),
    ("ds, sampler=s, num_workers=4", True),
    ("ds, shuffle=True, num_workers=4, worker_init_fn=f", False),
    ("ds, shuffle=True, num_workers=4, **loader_kwargs", False),
])
def test_dataloader_worker_seeding(args, flagged):
    code = f"""
        from torch.utils.data import DataLoader

        loader = DataLoader({args})
    """
    assert bool(codes(code, "RPL304")) is flagged


def test_dataloader_silent_under_seed_everything_workers():
    code = """
        import lightning

        lightning.seed_everything(0, workers=True)
        from torch.utils.data import DataLoader
        loader = DataLoader(ds, shuffle=True, num_workers=4)
    """
    assert codes(code, "RPL304") == []


@pytest.mark.parametrize("sampler,message", [
    # DiT's train.py: the order is the sampler's own; only the workers' seeds are global.
    ("DistributedSampler(ds, shuffle=True, seed=args.global_seed)", "the sampler shuffles with its own seed"),
    ("RandomSampler(ds)", "the order and every worker's seed"),
    ("RandomSampler(ds, generator=g)", "the sampler shuffles with its own seed"),
    ("DistributedSampler(ds, shuffle=False)", None),
    ("SequentialSampler(ds)", None),
    ("make_sampler(ds)", "the order and every worker's seed"),  # unknown: may shuffle
])
def test_the_message_says_where_a_samplers_order_comes_from(sampler, message):
    """Regression: a DistributedSampler's loader was said to take its order from the global
    generator, and a non-shuffling one (a validation loader) was flagged at all."""
    from tests.conftest import lint

    found = lint(f"""
        from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, SequentialSampler

        sampler = {sampler}
        loader = DataLoader(ds, batch_size=8, sampler=sampler, num_workers=4)
    """, "RPL304")
    assert [message in f.message for f in found] == ([] if message is None else [True])
