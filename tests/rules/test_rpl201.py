"""RPL201 seed-truthiness: must-flag and must-not-flag cases beyond the rule's own examples."""

import pytest

from tests.conftest import codes


# A seed-named name is a seed only with evidence (RULES.md, RPL201): it reaches a seeding sink,
# or it is int-typed. SINK passes every seed-named name used below to one.
SINK = "\ntorch.manual_seed(self.seed + cfg.train.seed + args.random_seed + SEED_VALUE)"


@pytest.mark.parametrize("line,flagged", [
    ("if self.seed: pass" + SINK, True),
    ("if cfg.train.seed and verbose: pass" + SINK, True),
    ("x = make(seed) if args.random_seed else None" + SINK, True),
    ("seed = args.seed or 42", True),
    ("seed = args.seed or 0", False),
    ("if args.seed is not None: pass" + SINK, False),
    ("if seed and seed > 0: pass" + SINK, False),
    ("if args.use_seed: pass", False),
    ("if seed_worker: pass", False),
    ("if self.seed_generator: pass", False),
    ("seed = 'abc'\nif seed: pass", False),
    ("from x import seed\nif seed: pass", False),
    ("x = pick(seed_indices) if seed_indices else None", False),
    ("x = base + self.seed_offset if self.seed_offset else base", False),
    ("if SEED_VALUE: pass" + SINK, True),
    ("seed = [s for s in pool]\nif seed: pass", False),
    # No evidence that these hold seeds: never flagged.
    ("if self.seed: pass", False),
    ("if args.random_seed: pass", False),
    # int-typed without a sink
    ("def f(seed: int = None):\n    if not seed:\n        seed = pick()", True),
    ("def f(seed: Optional[int] = None):\n    return 1 if seed else 2", True),
    ("parser.add_argument('--seed', type=int, default=None)\nif args.seed: pass", True),
    ("SEED = 1234\nif SEED: pass", True),
    # bool-typed: never a seed, even next to a sink
    ("def f(seed, randomize_seed: bool):\n    if randomize_seed:\n        torch.manual_seed(randomize_seed)",
     False),
    ("def f(seed, randomize_seed=True):\n    if randomize_seed:\n        seed = pick()", False),
    ("parser.add_argument('--random_seed', action='store_true')\nif args.random_seed: pass" + SINK, False),
])
def test_seed_truthiness(line, flagged):
    assert bool(codes(line, "RPL201")) is flagged


def test_seed_truthiness_reported_once_in_a_loop():
    code = """
        for i in range(3):
            if args.seed:
                torch.manual_seed(args.seed)
    """
    assert codes(code, "RPL201") == [("RPL201", 2)]


@pytest.mark.parametrize("code,flagged", [
    ("seed = seed if seed > 0 else random.randint(0, 2**32 - 1)", True),
    ("seed = args.seed if args.seed > 0 else int(time.time())", True),
    ("seed = random.randint(0, 2**32 - 1) if seed == 0 else seed", True),
    ("seed = seed if 0 < seed else random.randint(0, 100)", True),
    ("if seed <= 0:\n    seed = random.randint(0, 2**32 - 1)", True),
    ("if seed < 1:\n    seed = np.random.randint(0, 2**31)", True),
    ("if seed > 0:\n    pass\nelse:\n    seed = random.randint(0, 100)", True),
    # the -1 sentinel: 0 is a seed like any other
    ("seed = seed if seed >= 0 else random.randint(0, 2**32 - 1)", False),
    ("if seed == -1:\n    seed = random.randint(0, 2**32 - 1)", False),
    ("if seed < 0:\n    seed = random.randint(0, 2**32 - 1)", False),
    ("seed = random.randint(0, 100) if seed != -1 else seed", False),
    # 0 singled out, but nothing replaces the seed
    ("if seed > 0:\n    torch.manual_seed(seed)", False),
    ("seed = seed if seed > 0 else 42", False),
    ("if seed <= 0:\n    raise ValueError('seed must be positive')", False),
    # not a seed
    ("steps = steps if steps > 0 else random.randint(1, 10)", False),
])
def test_zero_means_random(code, flagged):
    source = "import random\nimport time\nimport numpy as np\nimport torch\n" + code + "\n"
    assert bool([c for c in codes(source, "RPL201") if c[0] == "RPL201"]) is flagged
