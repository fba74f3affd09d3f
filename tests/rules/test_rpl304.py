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
