"""Seeding under a test of the seed (``if args.seed is not None:``) and seeding in a class's
``__init__`` (RULES.md, "Round three", project flows): the global RNG counts as seeded where the
entry point's argparse default passes the test, for every rule that reads it (RPL101, RPL109,
RPL110, RPL111, RPL115, RPL203), and not where the default is None."""

from __future__ import annotations

import ast
import textwrap

import pytest

from reprolint.engine import Linter
from reprolint.semantic import seed_guards
from reprolint.semantic.project import ProjectIndex, summarise
from reprolint.settings import Settings
from tests.conftest import codes

TRAINER = """
    import argparse, torch
    from diffusers import AutoencoderKL

    class Trainer:
        def __init__(self, args):
            {guard}
                torch.manual_seed(args.seed)
            self.vae = AutoencoderKL.from_pretrained("x")

        def cache(self, x):
            return self.vae.encode(x).latent_dist.sample()

    def main():
        p = argparse.ArgumentParser(); p.add_argument("--seed", type=int{default})
        args = p.parse_args()
        t = Trainer(args)
        t.cache(torch.zeros(1, 3, 8, 8))

    if __name__ == "__main__":
        main()
    """


def trainer(guard: str, default: str) -> str:
    return textwrap.dedent(TRAINER).replace("{guard}", guard).replace("{default}", default)


@pytest.mark.parametrize("guard,default", [
    ("if args.seed is not None:", ", default=42"),
    ("if args.seed is not None:", ", default=0"),
    ("if args.seed is not None:", ", required=True"),
    ("if args.seed:", ", default=42"),
    # `--seed 0` would fail the test, but the value is not known: a seeding constructor, as a
    # seeding helper under such a test always was.
    ("if args.seed:", ", required=True"),
    ("if True:", ", default=None"),  # unconditional: the constructor always seeds
])
def test_a_constructor_seeding_under_a_test_the_default_passes_seeds_its_methods(guard, default):
    assert codes(trainer(guard, default), "RPL111") == []


@pytest.mark.parametrize("guard,default", [
    ("if args.seed is not None:", ", default=None"),
    ("if args.seed is not None:", ""),  # argparse's own default is None
    ("if args.seed:", ", default=0"),
    ("if args.seed:", ", default=None"),
])
def test_a_run_without_the_option_draws_unseeded(guard, default):
    assert codes(trainer(guard, default), "RPL111") == [("RPL111", 11)]


def test_before_this_fix_the_constructor_was_not_followed():
    # The reproduction: RPL111 was reported although --seed defaults to 42.
    source = trainer("if args.seed is not None:", ", default=42")
    assert "t = Trainer(args)" in source
    assert codes(source.replace("t = Trainer(args)", "t = Trainer(args); torch.seed()"), "RPL111") == [
        ("RPL111", 11)]


def test_the_rest_of_the_entry_point_is_seeded_after_the_constructor():
    source = trainer("if args.seed is not None:", ", default=42") + textwrap.dedent("""
        def generate():
            parser = argparse.ArgumentParser(); parser.add_argument("--seed", type=int, default=42)
            Trainer(parser.parse_args())
            from diffusers import DiffusionPipeline
            pipe = DiffusionPipeline.from_pretrained("x")
            return pipe("a cat").images[0], torch.randn(1, generator=None)
        """)
    assert codes(source, "RPL101") == []


def test_methods_run_unseeded_where_one_construction_is_unseeded():
    source = """
        import torch
        from diffusers import AutoencoderKL

        class Sampler:
            def __init__(self, seed=None):
                if seed is not None:
                    torch.manual_seed(seed)
                self.vae = AutoencoderKL.from_pretrained("x")

            def cache(self, x):
                return self.vae.encode(x).latent_dist.sample()

        def main():
            return Sampler(42).cache(None)
        """
    assert codes(source, "RPL111") == []
    # ``Sampler(None)`` fails the test: that instance's methods draw unseeded.
    other = textwrap.dedent(source) + "\ndef other():\n    return Sampler(None).cache(None)\n"
    assert codes(other, "RPL111") == [
        ("RPL111", 11)]


def test_a_method_called_from_another_method_of_a_seeded_instance_is_seeded():
    source = trainer("if args.seed is not None:", ", default=42").replace(
        "    def cache(self, x):", "    def train(self, x):\n        return self.cache(x)\n\n    def cache(self, x):")
    assert codes(source, "RPL111") == []


@pytest.mark.parametrize("test,default,seeded", [
    ("args.seed is not None", "42", True),
    ("args.seed is not None", "None", False),
    ("args.seed", "42", True),
    ("args.seed", "0", False),
    ("not args.seed", "42", False),  # the seeding is in the else branch below
])
def test_an_inline_seeding_under_a_test_of_an_option(test, default, seeded):
    source = f"""
        import argparse, torch
        from diffusers import AutoencoderKL, DiffusionPipeline

        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--seed", type=int, default={default})
            args = parser.parse_args()
            if {test}:
                torch.manual_seed(args.seed)
            vae = AutoencoderKL.from_pretrained("x")
            pipe = DiffusionPipeline.from_pretrained("y")
            latents = vae.encode(torch.zeros(1)).latent_dist.sample()
            return pipe("a cat", latents=torch.randn(1, 4, 8, 8)).images[0]

        if __name__ == "__main__":
            main()
        """
    if test.startswith("not "):
        source = source.replace("                torch.manual_seed(args.seed)",
                                "                pass\n            else:\n                torch.manual_seed(args.seed)")
    found = codes(source, "RPL111,RPL109,RPL101")
    assert (found == []) is (seeded or test.startswith("not ")), found


@pytest.mark.parametrize("default,seeded", [("42", True), ("None", False)])
def test_an_inline_seeding_under_a_test_of_a_local_copy_of_the_option(default, seeded):
    """``seed = args.seed`` once, then ``if seed is not None:`` reads the option's default too."""
    source = f"""
        import argparse, torch
        from diffusers import AutoencoderKL

        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--seed", type=int, default={default})
            args = parser.parse_args()
            seed = args.seed
            if seed is not None:
                torch.manual_seed(seed)
            vae = AutoencoderKL.from_pretrained("x")
            return vae.encode(torch.zeros(1)).latent_dist.sample()

        if __name__ == "__main__":
            main()
        """
    assert (codes(source, "RPL111") == []) is seeded


def test_a_seeding_helper_given_an_option_that_defaults_to_none_does_not_seed():
    source = """
        import argparse, torch
        from diffusers import AutoencoderKL

        def seed_if_given(seed):
            if seed is not None:
                torch.manual_seed(seed)

        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--seed", type=int, default={default})
            args = parser.parse_args()
            seed_if_given(args.seed)
            vae = AutoencoderKL.from_pretrained("x")
            return vae.encode(torch.zeros(1)).latent_dist.sample()
        """
    assert codes(source.replace("{default}", "None"), "RPL111") == [("RPL111", 14)]
    assert codes(source.replace("{default}", "7"), "RPL111") == []
    # Called with something that is no option: a seeding helper, as it always was.
    assert codes(source.replace("{default}", "None").replace("seed_if_given(args.seed)", "seed_if_given(3)"),
                 "RPL111") == []
    assert codes(source.replace("{default}", "None").replace("seed_if_given(args.seed)", "seed_if_given(None)"),
                 "RPL111") == [("RPL111", 14)]


@pytest.mark.parametrize("default", ["42", "None"])
def test_rpl203_takes_a_seeding_constructor_of_another_module_for_set_seed(tmp_path, default):
    # Before, the constructor was no seeding call and RPL203 reported the Accelerator. With
    # ``default=None`` the seeding is optional, which RPL203 leaves to the user (as it does for
    # ``if args.seed is not None: set_seed(args.seed)`` written inline).
    (tmp_path / "setup.cfg").write_text("")
    (tmp_path / "trainer_lib.py").write_text(textwrap.dedent("""\
        import torch

        class Trainer:
            def __init__(self, args):
                if args.seed is not None:
                    torch.manual_seed(args.seed)
                self.model = torch.nn.Linear(2, 2)
        """))
    (tmp_path / "train.py").write_text(textwrap.dedent(f"""\
        import argparse, torch
        from accelerate import Accelerator
        from trainer_lib import Trainer

        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--seed", type=int, default={default})
            args = parser.parse_args()
            trainer = Trainer(args)
            accelerator = Accelerator()
            model = accelerator.prepare(trainer.model)
            for batch in range(3):
                accelerator.backward(model(torch.zeros(2)).sum())
        """))
    report = Linter(Settings(select=("RPL203",))).lint_paths([str(tmp_path)])
    assert [f.code for f in report.findings] == []
    (tmp_path / "trainer_lib.py").write_text("import torch\n\nclass Trainer:\n    pass\n")
    report = Linter(Settings(select=("RPL203",))).lint_paths([str(tmp_path)])
    assert [f.code for f in report.findings] == ["RPL203"]


# -- the facts behind it


def summary_of(source: str, name: str = "trainer") -> dict:
    return summarise(textwrap.dedent(source), name, False)


def test_the_summary_records_the_seed_options_and_the_guards_of_a_seeding():
    summary = summary_of("""
        import argparse, torch

        class Base:
            def __init__(self, args, seed=None):
                if args.seed is not None:
                    torch.manual_seed(args.seed)
                if seed:
                    torch.cuda.manual_seed(seed)

        class Sub(Base):
            def __init__(self, args):
                super().__init__(args)

        class Plain(Base):
            def __init__(self):
                pass

        parser = argparse.ArgumentParser()
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--data-seed", type=int)
        parser.add_argument("--noise_seed", default="7")
        parser.add_argument("--deterministic", action="store_true")
        """)
    assert summary["options"] == {"seed": 42, "data_seed": None, "noise_seed": seed_guards.UNKNOWN_DEFAULT}
    init = summary["functions"]["Base.__init__"]
    assert init["seed_guards"] == {"torch.manual_seed": [["args", "seed", "not-none"]]}
    assert "seeds" not in init
    assert summary["functions"]["Sub.__init__"]["forwards"] == {"trainer.Base.__init__": [[1, "args"]]}
    assert summary["inits"] == ["Base", "Sub", "Plain"]
    index = ProjectIndex({"trainer.py": summary}, {"trainer.py": ["trainer"]})
    assert index.constructor("trainer.Sub") == "trainer.Sub.__init__"
    assert index.global_seeding("trainer.Base") == [(1, "args", "seed", "not-none")]
    # Through ``super().__init__(args)``: the guard in the subclass's own parameter.
    assert index.global_seeding("trainer.Sub") == [(1, "args", "seed", "not-none")]
    assert index.global_seeding("trainer.Plain") is None  # its own __init__ does not call the base's
    assert index.seeds_global_rng("trainer.Sub")


def test_an_unguarded_seeding_seeds_on_every_call():
    summary = summary_of("""
        import torch

        def seed_all(seed):
            torch.manual_seed(seed)
            if seed is not None:
                torch.manual_seed(seed)

        def setup(args):
            if args.verbose and args.seed is not None:
                seed_all(args.seed)
        """)
    index = ProjectIndex({"trainer.py": summary}, {"trainer.py": ["trainer"]})
    assert index.global_seeding("trainer.seed_all") == []
    assert index.global_seeding("trainer.setup") == []  # a test the guards do not read: as before


@pytest.mark.parametrize("test,body,orelse", [
    ("seed is not None", ["seed", "", "not-none"], None),
    ("seed is None", None, ["seed", "", "not-none"]),
    ("args.seed", ["args", "seed", "truthy"], None),
    ("not args.seed", None, ["args", "seed", "truthy"]),
    ("other.seed is not None", None, None),
    ("seed > 0", None, None),
])
def test_guards_read_from_a_test(test, body, orelse):
    assert seed_guards.ast_guards(ast.parse(test, mode="eval").body, {"seed", "args"}) == (body, orelse)


@pytest.mark.parametrize("kind,value,verdict", [
    ("not-none", 42, True), ("not-none", 0, True), ("not-none", None, False),
    ("not-none", seed_guards.REQUIRED, True), ("not-none", seed_guards.UNKNOWN_DEFAULT, None),
    ("truthy", 42, True), ("truthy", 0, False), ("truthy", None, False),
    ("truthy", seed_guards.REQUIRED, None), ("truthy", True, None),
])
def test_what_passes_a_guard(kind, value, verdict):
    assert seed_guards.passes(kind, value) is verdict


NETWORK_TRAINER = """
    import torch
    from accelerate.utils import set_seed
    from diffusers import AutoencoderKL

    class NetworkTrainer:
        def encode_images_to_latents(self, vae, images):
            return vae.encode(images).latent_dist.sample()

        def process_batch(self, vae, batch):
            return self.encode_images_to_latents(vae, batch)

        def train(self, args):
            set_seed(args.seed)
            vae = AutoencoderKL.from_pretrained("x")
            for batch in range(3):
                self.process_batch(vae, batch)
    """


def test_a_method_called_only_after_the_seeding_of_another_method_draws_seeded():
    # kohya's trainer: ``train()`` seeds, then reaches the latent sampling through two methods.
    assert codes(NETWORK_TRAINER, "RPL111") == []
    assert codes(NETWORK_TRAINER.replace("set_seed(args.seed)", "pass"), "RPL111") == [("RPL111", 7)]
    called_unseeded = NETWORK_TRAINER + "\n        def preview(self, vae):\n            return self.process_batch(vae, None)\n"
    assert codes(called_unseeded, "RPL111") == [("RPL111", 7)]
