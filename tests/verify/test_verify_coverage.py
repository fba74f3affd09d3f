"""--verify on the rules whose check is not two plain runs: a batch image made alone (RPL105,
RPL108), a call made twice in one process (RPL114), seed 0 (RPL201), two PYTHONHASHSEEDs
(RPL307), and the script's own seed kept while the process seed changes (RPL113); and the
unseeded entry point (RPL202), on its first draw or its training steps."""

from __future__ import annotations

import shutil

import pytest

from reprolint.settings import Settings
from tests.verify.conftest import SCRIPTS, verdict, verify_paths

pytestmark = pytest.mark.slow


def test_rpl105_the_last_image_of_an_aliased_batch_cannot_be_made_alone(verified):
    result = verdict(verified, "sd_generator_list_aliased.py", "RPL105")
    assert result["status"] == "confirmed", result["summary"]
    assert result["summary"].startswith(
        "drift confirmed on cpu: the last image of the batch, regenerated alone from its generator, differs: max|Δ|=")
    comparison = result["devices"]["cpu"]["comparison"]
    assert comparison["image"] and comparison["occurrences"] == 1 and comparison["max_abs"] > 0.01
    # One generator per image (seed + i): image 3 alone is image 3 of the batch, up to the rounding
    # of kernels blocked for a batch of 4 and of 1 (one step of 255 at most, with two threads).
    assert result["fix"]["status"] in ("identical", "float-error"), result["summary"]
    assert result["fix"]["comparison"]["max_abs"] <= 1 / 255 + 1e-9


def test_rpl108_one_generator_for_a_batch_of_prompts_cannot_regenerate_its_last_image(tmp_path, verify_server):
    shutil.copy(SCRIPTS / "sd_batch_one_generator.py", tmp_path)
    findings = verify_paths([tmp_path], verify_server, settings=Settings(extend_select=("RPL108",)),
                            timeout=120, devices=("cpu",))
    result = findings["sd_batch_one_generator.py"][0].extra["verification"]
    assert result["status"] == "confirmed", result["summary"]
    assert "regenerated alone from the same seed, differs: max|Δ|=" in result["summary"]
    assert "no automatic fix" in result["summary"]


def test_rpl113_a_draw_that_ignores_the_held_generator_follows_the_process_seed(verified):
    result = verdict(verified, "custom_loop_ignores_generator.py", "RPL113")
    assert result["status"] == "confirmed", result["summary"]
    assert "2 runs with the same seed, different process seeds: the draw differs" in result["summary"]
    assert not result["devices"]["cpu"]["comparison"]["image"]  # the latents, not an image


def test_rpl114_two_calls_that_share_a_default_generator_differ(verified):
    result = verdict(verified, "noise_default_generator.py", "RPL114")
    assert result["status"] == "confirmed", result["summary"]
    assert "the same call made twice in one process gives two results" in result["summary"]
    assert result["fix"]["status"] == "identical", result["summary"]


def test_rpl201_seed_zero_gives_unseeded_runs_and_the_fix_seeds_them(verified):
    result = verdict(verified, "seed_zero_is_no_seed.py", "RPL201")
    # The script's default seed (1234) is truthy: only the copy that reads seed 0 shows it.
    assert result["status"] == "confirmed", result["summary"]
    assert result["summary"].startswith("drift confirmed on cpu: with seed 0, 2 runs differ: max|Δ|=")
    assert result["fix"]["status"] == "identical", result["summary"]


def test_rpl307_a_set_of_prompts_is_ordered_by_the_hash_seed(verified):
    result = verdict(verified, "prompts_from_a_set.py", "RPL307")
    assert result["status"] == "confirmed", result["summary"]
    assert "2 runs with different PYTHONHASHSEED values differ" in result["summary"]
    assert result["fix"]["status"] == "identical", result["summary"]



def test_the_verdict_names_where_the_runs_part(verified):
    ignored = verdict(verified, "custom_loop_ignores_generator.py", "RPL113")
    divergence = ignored["devices"]["cpu"]["divergence"]
    # The unseeded draw in the script itself, before the first scheduler step.
    assert divergence["phrase"] == ("runs part before step 1; first difference: `torch.randn` at "
                                    "custom_loop_ignores_generator.py:12")
    assert divergence["script_line"] == 12 and len(divergence["step_deltas"]) == 2
    assert all(delta > 0 for delta in divergence["step_deltas"])
    assert divergence["phrase"] in ignored["summary"]
    # A pipeline call without a generator: diffusers' own draw of the initial latents.
    unseeded = verdict(verified, "sd_unseeded.py", "RPL101")["devices"]["cpu"]["divergence"]
    assert unseeded["name"] == "randn_tensor" and "pipeline_stable_diffusion.py:" in unseeded["where"]
    assert unseeded["script_line"] == 6


def test_every_verdict_records_where_it_was_measured(verified):
    import platform

    import torch

    result = verdict(verified, "noise_default_generator.py", "RPL114")
    environment = result["environment"]
    assert environment["python"] == platform.python_version() and environment["torch"] == torch.__version__
    assert environment["diffusers"] and environment["gpu"] is None  # no CUDA on this machine
    flags = environment["determinism"]["cpu"]
    assert flags["deterministic_algorithms"] is False and flags["cudnn_benchmark"] is False
    assert "CUBLAS_WORKSPACE_CONFIG" in flags


ACCELERATE_SCRIPT = '''\
"""An accelerate training loop with no set_seed (RPL203)."""
import torch
from accelerate import Accelerator

accelerator = Accelerator()
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
inputs, targets = torch.linspace(-1, 1, 64 * 8).reshape(64, 8), torch.linspace(0, 1, 64).reshape(64, 1)
model, optimizer = accelerator.prepare(model, optimizer)
for start in range(0, 64, 8):
    loss = torch.nn.functional.mse_loss(model(inputs[start:start + 8]), targets[start:start + 8])
    accelerator.backward(loss)
    optimizer.step()
    optimizer.zero_grad()
'''

# accelerate is not installed here: the few calls the script makes, as accelerate makes them on
# one CPU process (prepare returns its arguments, backward calls loss.backward()).
ACCELERATE_PACKAGE = '''\
class Accelerator:
    def __init__(self, **kwargs):
        self.device = "cpu"

    def prepare(self, *objects):
        return objects if len(objects) > 1 else objects[0]

    def backward(self, loss, **kwargs):
        loss.backward(**kwargs)
'''


def test_rpl203_an_unseeded_accelerate_loop_gives_other_weights_each_run(tmp_path, verify_server):
    (tmp_path / "train_accelerate.py").write_text(ACCELERATE_SCRIPT)
    (tmp_path / "accelerate").mkdir()
    (tmp_path / "accelerate" / "__init__.py").write_text(ACCELERATE_PACKAGE)
    findings = verify_paths([tmp_path / "train_accelerate.py"], verify_server, timeout=120, devices=("cpu",))
    result = next(f for f in findings["train_accelerate.py"] if f.code == "RPL203").extra["verification"]
    # The model's initial weights come from the unseeded global generator.
    assert result["status"] == "confirmed", result["summary"]
    assert result["summary"].startswith("drift confirmed on cpu: 2 training steps differ: losses max|Δ|=")
    assert result["devices"]["cpu"]["losses"]["occurrences"] == 2


def test_rpl202_an_unseeded_entry_point_drifts_at_its_first_draw_or_in_its_training_steps(tmp_path, verify_server):
    for name in ("sd_unseeded.py", "train_tiny.py"):
        shutil.copy(SCRIPTS / name, tmp_path)
    findings = verify_paths([tmp_path], verify_server, settings=Settings(select=("RPL202",)), timeout=120,
                            devices=("cpu",))
    sampling = findings["sd_unseeded.py"][0].extra["verification"]
    assert sampling["status"] == "confirmed", sampling["summary"]
    assert sampling["devices"]["cpu"]["comparison"]["image"]
    assert sampling["summary"].endswith("no automatic fix (stand-in model)")
    training = findings["train_tiny.py"][0].extra["verification"]
    assert training["status"] == "confirmed", training["summary"]
    assert training["summary"].startswith("drift confirmed on cpu: 2 training steps differ: losses max|Δ|=")
    assert "first difference: `torch.randperm` at train_tiny.py:13" in training["summary"]
