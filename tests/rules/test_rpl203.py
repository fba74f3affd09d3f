"""RPL203 trainer-without-seed: Lightning trainers and accelerate training scripts."""

import pytest

from tests.conftest import lint


# The unset-``deterministic`` finding holds before Lightning 2.0 only (docs/configuration.md,
# "Target versions"); the other cases do not depend on the release.
OLD_LIGHTNING = "lightning==1.9"


def lines(code: str, target_version: str = OLD_LIGHTNING) -> list:
    return [f.start.line for f in lint(code, "RPL203", target_version=target_version)]


FLAG = {
    "pytorch-lightning": ("import pytorch_lightning as pl\ntrainer = pl.Trainer(max_epochs=1)\ntrainer.fit(m)\n", [2]),
    "from-import": ("from lightning.pytorch import Trainer\n\ndef main():\n    Trainer().fit(m)\n", [4]),
    "seeded-after": (
        "import lightning as L\n\ndef main():\n    trainer = L.Trainer()\n    L.seed_everything(0)\n"
        "    trainer.fit(m)\n", [4]),
    "determinism-elsewhere": (
        "import lightning as L\nfrom diffusers.utils.torch_utils import enable_full_determinism\n"
        "enable_full_determinism()\nL.seed_everything(0)\ntrainer = L.Trainer(max_epochs=1)\n", [5]),
    "accelerate-loss-backward": (
        "from accelerate import Accelerator\naccelerator = Accelerator()\n"
        "for batch in loader:\n    loss = model(batch)\n    loss.backward()\n", [2]),
}
CLEAN = {
    "seed-everything-first": "import lightning as L\nL.seed_everything(7)\nL.Trainer(deterministic=True).fit(m)\n",
    "torch-manual-seed": "import torch\nimport lightning as L\ntorch.manual_seed(0)\nL.Trainer().fit(m)\n",
    "seeding-helper-call": (
        "import lightning as L\nfrom myproj.utils import seed_everything\nseed_everything(3)\nL.Trainer().fit(m)\n"),
    "seeded-in-another-function": (
        "import lightning as L\n\ndef setup():\n    L.seed_everything(0)\n\n"
        "def main():\n    setup()\n    L.Trainer().fit(m)\n"),
    "deterministic-given-with-determinism": (
        "import torch\nimport lightning as L\ntorch.use_deterministic_algorithms(True)\nL.seed_everything(0)\n"
        "L.Trainer(deterministic=True)\n"),
    "trainer-kwargs": (
        "import torch\nimport lightning as L\ntorch.use_deterministic_algorithms(True)\nL.seed_everything(0)\n"
        "L.Trainer(**config)\n"),
    "accelerate-inference": "from accelerate import Accelerator\naccelerator = Accelerator()\nmodel = accelerator.prepare(model)\n",
    "accelerate-set-seed": (
        "from accelerate import Accelerator\nfrom accelerate.utils import set_seed\nset_seed(0)\n"
        "accelerator = Accelerator()\naccelerator.backward(loss)\n"),
    "transformers-trainer": "from transformers import Trainer\nTrainer(model=m).train()\n",
    "unrelated-trainer-class": "class Trainer:\n    pass\nTrainer()\n",
}


@pytest.mark.parametrize("name", FLAG)
def test_rpl203_flags(name):
    code, expected = FLAG[name]
    assert lines(code) == expected


def test_rpl203_leaves_an_unset_deterministic_alone_from_lightning_2():
    assert lines(FLAG["determinism-elsewhere"][0], target_version="lightning==2.0") == []


@pytest.mark.parametrize("name", CLEAN)
def test_rpl203_stays_silent(name):
    assert lines(CLEAN[name]) == []


def test_rpl203_determinism_message_names_where_it_was_asked():
    findings = lint(FLAG["determinism-elsewhere"][0], "RPL203", target_version=OLD_LIGHTNING)
    assert "asks for determinism (line 3)" in findings[0].message and "deterministic=True" in findings[0].message
