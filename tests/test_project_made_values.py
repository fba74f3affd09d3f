"""The project index's facts about generators and distributions that project code makes and
keeps, and DataLoaders its helpers feed through ``**kwargs`` (``reprolint.semantic.project_facts``):
read from each module in pass 1, asked across modules in pass 2."""

from __future__ import annotations

import textwrap

from reprolint.semantic import project, project_facts
from reprolint.semantic.project_summary import summarise


def _summary(code: str, name: str = "helpers") -> dict:
    return summarise(textwrap.dedent(code), name, False)


def _index(tmp_path, modules: dict) -> project.ProjectIndex:
    paths = []
    for name, code in modules.items():
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(code), encoding="utf-8")
        paths.append(str(path))
    return project.build(paths, [str(tmp_path)])


HELPERS = """
    import torch
    from torch.utils.data import DataLoader

    DEVICE = "cuda"

    def on_gpu(seed):
        return torch.Generator(device="cuda:0").manual_seed(seed)

    def on_cpu(seed):
        generator = torch.Generator()
        generator.manual_seed(seed)
        return generator

    def unseeded_on_either(ok):
        return torch.Generator("cuda" if ok else "cpu")

    def on_a_named_device(seed):
        return torch.Generator(DEVICE).manual_seed(seed)

    def on_rank(rank):
        return torch.Generator(f"cuda:{rank}")

    def maybe(seed):
        return torch.Generator("mps").manual_seed(seed) if seed is not None else None

    def latents(vae, x):
        dist = vae.encode(x).latent_dist
        return dist

    def loader(dataset, **kwargs):
        return DataLoader(dataset, shuffle=True, **kwargs)

    def seeded_loader(dataset, **kwargs):
        return DataLoader(dataset, generator=torch.Generator(), **kwargs)

    def fixed_loader(dataset, **options):
        return DataLoader(dataset, num_workers=0, **options)
"""


def test_a_returned_generator_has_its_device_and_whether_it_is_seeded():
    functions = _summary(HELPERS)["functions"]
    returned = {name: facts.get(project_facts.RETURNS_GENERATOR) for name, facts in functions.items()}
    assert returned["on_gpu"] == {"device": ["cuda:0"], "seeded": True, "line": 8}
    assert returned["on_cpu"] == {"device": ["cpu"], "seeded": True, "line": 11}
    assert returned["unseeded_on_either"] == {"device": ["cpu", "cuda"], "seeded": False, "line": 16}
    # A device held in a name is not read (unknown: the rules stay silent).
    assert returned["on_a_named_device"]["device"] is None
    assert returned["on_rank"]["device"] == ["cuda:?"]
    assert returned["maybe"] == {"device": ["mps"], "seeded": True, "line": 25}
    assert returned.get("latents") is None


def test_a_returned_distribution_through_a_local_name():
    functions = _summary(HELPERS)["functions"]
    assert functions["latents"][project_facts.RETURNS_DISTRIBUTION] is True
    assert project_facts.RETURNS_DISTRIBUTION not in functions["on_gpu"]


def test_a_dataloader_fed_by_the_functions_own_kwargs_without_worker_seeding():
    functions = _summary(HELPERS)["functions"]
    assert functions["loader"][project_facts.FORWARDS_TO_DATALOADER] == {
        "line": 32, "shuffle": True, "sampler": False, "num_workers": None}
    assert project_facts.FORWARDS_TO_DATALOADER not in functions.get("seeded_loader", {})
    assert functions["fixed_loader"][project_facts.FORWARDS_TO_DATALOADER]["num_workers"] == 0


STATE = """
    import torch

    class State:
        def __init__(self, seed):
            self.generator = torch.Generator(device="cuda").manual_seed(seed)
            self.other = None

    class Lazy:
        def reset(self):
            self.generator = torch.Generator("mps")

        def reseed(self, seed):
            self.generator.manual_seed(seed)

    class Derived(Lazy):
        pass

    class Portable(State):
        def __init__(self, seed):
            super().__init__(seed)
            self.generator = torch.Generator().manual_seed(seed)

    def make(seed):
        return on_gpu(seed)

    from helpers import on_gpu
"""


def test_a_class_keeps_generators_on_self_in_any_method_seeded_in_any_method(tmp_path):
    index = _index(tmp_path, {"helpers": HELPERS, "state": STATE})
    held = index.held_generators("state.State")
    assert held == {"generator": {"device": ["cuda"], "seeded": True, "line": 6,
                                  "where": "`state.State.__init__`, line 6"}}
    # Made in ``reset``, seeded in ``reseed``; a subclass keeps what its base makes.
    for name in ("state.Lazy", "state.Derived"):
        assert index.held_generators(name)["generator"]["device"] == ["mps"]
        assert index.held_generators(name)["generator"]["seeded"] is True
    # A subclass's own assignment wins over its base's.
    assert index.held_generators("state.Portable")["generator"]["device"] == ["cpu"]
    assert index.held_generators("state.make") == {}
    assert index.held_generators("torch.Generator") == {}


def test_a_returned_generator_is_followed_through_the_helper_whose_result_a_function_returns(tmp_path):
    index = _index(tmp_path, {"helpers": HELPERS, "state": STATE})
    made = index.returned_generator("state.make")
    assert made["device"] == ["cuda:0"] and made["seeded"] is True
    assert made["where"] == "`helpers.on_gpu`, line 8"
    assert index.returned_generator("state.State") is None
    assert index.returns_distribution("helpers.latents")
    assert not index.returns_distribution("helpers.on_gpu")


def test_names_of_what_makes_generators_let_files_using_them_past_the_prefilter(tmp_path):
    index = _index(tmp_path, {"helpers": HELPERS, "state": STATE})
    assert {"State", "Lazy", "on_gpu", "make", "latents", "loader"} <= index.pipeline_names
    assert "seeded_loader" not in index.pipeline_names


def test_the_digest_changes_when_a_kept_generator_changes_device(tmp_path):
    before = _index(tmp_path, {"helpers": HELPERS, "state": STATE}).digest
    after = _index(tmp_path, {"helpers": HELPERS, "state": STATE.replace('device="cuda"', 'device="cpu"')}).digest
    assert before != after


TRAINER = """
    import torch

    class Trainer:
        def fit(self):
            accelerator = self.accelerator
            device = accelerator.device
            generator = torch.Generator(device=device)
            if self.args.seed is not None:
                generator = generator.manual_seed(self.args.seed)
            self.state.generator = generator
            self.eval_generator = torch.Generator(device=self.state.accelerator.device)
"""


def test_a_generator_kept_through_an_attribute_chain_on_the_accelerators_device(tmp_path):
    index = _index(tmp_path, {"trainer": TRAINER})
    held = index.held_generators("trainer.Trainer")
    assert held["state.generator"]["device"] == [project_facts.ACCELERATOR_DEVICE]
    assert held["state.generator"]["seeded"] is True  # ``generator = generator.manual_seed(seed)``
    assert held["eval_generator"] == {"device": [project_facts.ACCELERATOR_DEVICE], "seeded": False, "line": 12,
                                      "where": "`trainer.Trainer.fit`, line 12"}
