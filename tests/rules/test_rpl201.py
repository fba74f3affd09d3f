"""RPL201 seed-truthiness: must-flag and must-not-flag cases beyond the rule's own examples."""

import pytest

from tests.conftest import codes


@pytest.mark.parametrize("line,flagged", [
    ("if self.seed: pass", True),
    ("if cfg.train.seed and verbose: pass", True),
    ("x = make(seed) if args.random_seed else None", True),
    ("seed = args.seed or 42", True),
    ("seed = args.seed or 0", False),
    ("if args.seed is not None: pass", False),
    ("if seed and seed > 0: pass", False),
    ("if args.use_seed: pass", False),
    ("if seed_worker: pass", False),
    ("if self.seed_generator: pass", False),
    ("seed = 'abc'\nif seed: pass", False),
    ("from x import seed\nif seed: pass", False),
    ("x = pick(seed_indices) if seed_indices else None", False),
    ("x = base + self.seed_offset if self.seed_offset else base", False),
    ("if SEED_VALUE: pass", True),
    ("seed = [s for s in pool]\nif seed: pass", False),
])
def test_seed_truthiness(line, flagged):
    assert bool(codes(line, "RPL201")) is flagged


def test_seed_truthiness_reported_once_in_a_loop():
    code = """
        for i in range(3):
            if args.seed:
                pass
    """
    assert codes(code, "RPL201") == [("RPL201", 2)]
