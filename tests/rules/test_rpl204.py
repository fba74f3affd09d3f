"""RPL204 resume-without-rng-state: must-flag and must-not-flag cases beyond the rule's own examples."""

import pytest

from tests.conftest import codes

LOOP = """
for batch in loader:
    loss = model(batch).mean()
    loss.backward()
    optimizer.step()
"""


@pytest.mark.parametrize("resume,flagged", [
    # nanoGPT's train.py
    ("checkpoint = torch.load(ckpt_path, map_location=device)\noptimizer.load_state_dict(checkpoint['optimizer'])", True),
    ("optimizer.load_state_dict(torch.load(args.resume)['optimizer'])", True),
    ("optimizer.load_state_dict(torch.load(args.resume))", True),
    ("state = torch.load(path)\noptimizer.load_state_dict(state.get('optimizer'))", True),
    # improved-diffusion's train_util: a project loader
    ("state_dict = dist_util.load_state_dict(path, map_location='cpu')\noptimizer.load_state_dict(state_dict)", True),
    ("optimizer.load_state_dict(checkpoint['opt'])", True),
    # not an optimizer, or not from a file
    ("model.load_state_dict(torch.load(args.resume))", False),
    ("lr_scheduler.load_state_dict(torch.load(args.resume)['lr_scheduler'])", False),
    ("optimizer.load_state_dict(other_optimizer.state_dict())", False),
])
def test_what_counts_as_resuming(resume, flagged):
    code = "import torch\nfrom improved_diffusion import dist_util\n" + resume + "\n" + LOOP
    assert bool(codes(code, "RPL204")) is flagged


@pytest.mark.parametrize("restore", [
    "torch.set_rng_state(checkpoint['rng'])",
    "torch.cuda.set_rng_state_all(checkpoint['cuda_rng'])",
    "np.random.set_state(checkpoint['np_rng'])",
    "random.setstate(checkpoint['py_rng'])",
    "generator.set_state(checkpoint['generator'])",
    "accelerator.load_state(args.resume)",
    "utils.restore_rng_states(checkpoint)",
])
def test_any_restored_random_state_keeps_it_silent(restore):
    code = ("import random\nimport numpy as np\nimport torch\n"
            "checkpoint = torch.load(args.resume)\noptimizer.load_state_dict(checkpoint['optimizer'])\n"
            + restore + "\n" + LOOP)
    assert codes(code, "RPL204") == []


def test_optimizer_bound_to_a_torch_optim_class_under_another_name():
    code = """
        import torch
        from torch.optim import AdamW

        class Trainer:
            def __init__(self, model):
                self.model = model
                self.opt = AdamW(model.parameters(), lr=1e-4)

            def load(self, path):
                data = torch.load(path)
                self.model.load_state_dict(data["model"])
                self.opt.load_state_dict(data["opt"])

            def train_step(self, batch):
                self.model(batch).mean().backward()
                self.opt.step()
    """
    assert codes(code, "RPL204") == [("RPL204", 12)]


def test_accelerate_scripts_are_told_about_save_state_and_the_data_order():
    code = """
        import torch
        from accelerate import Accelerator

        accelerator = Accelerator()
        data = torch.load(path)
        opt.load_state_dict(data["opt"])
        for batch in loader:
            accelerator.backward(model(batch).mean())
    """
    from tests.conftest import lint

    (finding,) = lint(code, "RPL204")
    assert "accelerator.save_state/load_state" in finding.message
    # the newest accelerate (no pin): skip_first_batches, and the seedable sampler where it now lives
    assert "accelerator.skip_first_batches to resume inside an epoch" in finding.message
    assert "DataLoaderConfiguration(use_seedable_sampler=True)" in finding.message


def test_no_training_no_finding():
    code = """
        import torch

        checkpoint = torch.load("last.pt")
        optimizer.load_state_dict(checkpoint["optimizer"])
        print(optimizer.param_groups[0]["lr"])
    """
    assert codes(code, "RPL204") == []
