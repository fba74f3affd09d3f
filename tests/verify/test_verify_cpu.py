"""--verify measured for real on the CPU: stand-in pipelines, two runs, the fix, the failures."""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil

import pytest

from tests.verify.conftest import SCRIPTS, verdict, verify_paths

pytestmark = pytest.mark.slow


def test_rpl101_drift_is_confirmed_and_the_fix_removes_it(verified):
    result = verdict(verified, "sd_unseeded.py", "RPL101")
    assert result["status"] == "confirmed", result["summary"]
    comparison = result["devices"]["cpu"]["comparison"]
    assert comparison["max_abs"] > 0.01 and comparison["fraction"] > 0.5
    assert comparison["image"] and comparison["max_abs_255"] == pytest.approx(comparison["max_abs"] * 255)
    assert result["fix"]["status"] == "identical"
    assert result["fix"]["comparison"]["max_abs"] == 0.0
    assert result["summary"].startswith("drift confirmed on cpu: max|Δ|=")
    assert "with the fix: identical" in result["summary"]
    assert result["summary"].endswith("(stand-in model)")


def test_rpl102_reused_generator_differs_from_a_freshly_seeded_one(verified):
    result = verdict(verified, "ddim_reused_generator.py", "RPL102")
    assert result["status"] == "confirmed", result["summary"]
    assert "the reused generator vs a freshly seeded one" in result["summary"]
    assert result["devices"]["cpu"]["comparison"]["max_abs"] > 0
    assert result["fix"]["status"] == "identical"


def test_rpl104_global_generator_is_shifted_by_another_draw(verified):
    result = verdict(verified, "ddpm_global_generator.py", "RPL104")
    assert result["status"] == "confirmed", result["summary"]
    assert "one other draw from the global generator" in result["summary"]
    assert result["fix"]["status"] == "identical"


def test_rpl107_seed_from_entropy_drifts_and_default_seed_is_reported_honestly(verified):
    entropy = verdict(verified, "ddpm_unseeded_generators.py", "RPL107", 0)
    assert entropy["status"] == "confirmed", entropy["summary"]
    assert "no automatic fix" in entropy["summary"]
    default = verdict(verified, "ddpm_unseeded_generators.py", "RPL107", 1)
    assert default["status"] == "no-drift", default["summary"]
    assert "fixed default seed" in default["summary"]


def test_a_globally_seeded_script_shows_no_drift(verified):
    result = verdict(verified, "ddpm_seeded_globally.py", "RPL101")
    assert result["status"] == "no-drift"
    assert result["devices"]["cpu"]["comparison"]["max_abs"] == 0.0
    assert result["summary"] == "no drift observed (2 runs identical) (stand-in model)"


def test_a_raising_script_gives_an_error_verdict(verified):
    result = verdict(verified, "prompts_from_file.py", "RPL101")
    assert result["status"] == "error"
    assert result["summary"].startswith("error: FileNotFoundError: ")
    assert "prompts.txt" in result["devices"]["cpu"]["traceback"]


def test_stand_in_sd_and_sdxl_run_end_to_end(verified):
    sd = verdict(verified, "sd_unseeded.py", "RPL101")
    sdxl = verdict(verified, "sdxl_unseeded.py", "RPL101")
    assert sd["stand_in_classes"] == ["StableDiffusionPipeline"]
    assert sdxl["stand_in_classes"] == ["StableDiffusionXLPipeline"]
    assert sdxl["status"] == "confirmed", sdxl["summary"]
    assert sdxl["devices"]["cpu"]["comparison"]["image"]


def test_a_cuda_script_runs_retargeted_on_the_cpu(verified):
    determinism = verdict(verified, "cuda_ddpm.py", "RPL301")
    # Three runs happened on the CPU (A, B and A again), so `.to("cuda")` and the CUDA generator
    # were retargeted; the CPU's kernels are deterministic.
    assert determinism["devices"]["cpu"]["runs"] == 3
    # Identical on the CPU is no all-clear for GPU kernels: neither drift nor no-drift.
    assert determinism["status"] == "needs-cuda", determinism["summary"]
    assert determinism["summary"].startswith("needs CUDA: not shown on CPU (cuDNN and cuBLAS kernels: shows on a "
                                             "GPU only; on cpu: 2 runs with the same seeds identical)")
    device_generator = verdict(verified, "cuda_ddpm.py", "RPL106")
    if "cuda" not in device_generator["devices"] or device_generator["devices"]["cuda"]["status"] == "skipped":
        assert device_generator["status"] == "skipped"
        assert "cuda not available" in device_generator["summary"]


def test_an_unsupported_pipeline_class_is_skipped_by_name(verified):
    result = verdict(verified, "flux_unsupported.py", "RPL101")
    assert result["status"] == "skipped"
    assert result["summary"] == ("skipped: no stand-in for FluxPipeline; run with the model available "
                                 "locally or --allow-download")


def test_a_background_process_the_script_starts_is_killed(verified):
    _, folder, _ = verified
    kept = folder.parent / (folder.name + "-outputs")
    pids = [int(line) for path in kept.rglob("worker.pids") for line in path.read_text().split()]
    assert len(pids) >= 2  # one per run
    for pid in pids:
        stat = pathlib.Path(f"/proc/{pid}/stat")
        alive = stat.exists() and stat.read_text().split(")")[-1].split()[0] not in ("Z", "X")
        assert not alive, f"process {pid} started by the script is still running"


def test_the_users_files_are_never_modified(verified):
    _, folder, before = verified
    after = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in before}
    assert after == before
    assert sorted(p.name for p in folder.glob("*.py")) == sorted(before)


def test_a_hanging_script_is_killed_at_the_timeout(tmp_path, verify_server):
    shutil.copy(SCRIPTS / "waits_for_gpu.py", tmp_path / "waits_for_gpu.py")
    findings = verify_paths([tmp_path], verify_server, timeout=4, devices=("cpu",))
    result = findings["waits_for_gpu.py"][0].extra["verification"]
    assert result["status"] == "timeout"
    assert result["summary"] == "error: timed out after 4 s (--verify-timeout); the run was killed"


def test_a_script_that_exits_gives_an_error_not_a_crash(tmp_path, verify_server):
    (tmp_path / "exits.py").write_text(
        "import sys\nfrom diffusers import DDPMPipeline\n\n"
        "pipe = DDPMPipeline.from_pretrained('google/ddpm-cifar10-32')\n"
        "sys.exit(3)\nimage = pipe(num_inference_steps=2).images[0]\n")
    findings = verify_paths([tmp_path], verify_server, timeout=60, devices=("cpu",))
    result = findings["exits.py"][0].extra["verification"]
    assert result["summary"] == "error: the script exited with sys.exit(3) (stand-in model)"


def test_an_argparse_exit_says_why(tmp_path, verify_server):
    (tmp_path / "cli.py").write_text(
        "import argparse\nimport torch\nfrom diffusers import DDPMPipeline\n\n"
        "parser = argparse.ArgumentParser()\nparser.add_argument('--steps', type=int, required=True)\n"
        "args = parser.parse_args()\n"
        "pipe = DDPMPipeline.from_pretrained('google/ddpm-cifar10-32')\n"
        "image = pipe(num_inference_steps=args.steps).images[0]\n")
    findings = verify_paths([tmp_path], verify_server, timeout=60, devices=("cpu",))
    result = findings["cli.py"][0].extra["verification"]
    assert result["summary"] == ("error: the script exited with sys.exit(2): cli.py: error: the following "
                                 "arguments are required: --steps")


def test_stand_in_never_requires_the_real_model(tmp_path, verify_server):
    shutil.copy(SCRIPTS / "ddpm_seeded_globally.py", tmp_path / "script.py")
    findings = verify_paths([tmp_path], verify_server, timeout=60, devices=("cpu",), stand_in="never")
    result = findings["script.py"][0].extra["verification"]
    assert result["status"] == "error"
    assert not result["stand_in"]
    assert "google/ddpm-cifar10-32" in result["summary"] or "Error" in result["summary"]


def test_a_run_can_start_as_a_fresh_interpreter(tmp_path, verify_server):
    # CUDA runs start this way where a forked process cannot use CUDA; same rules, same result.
    script = tmp_path / "script.py"
    script.write_text("import torch\nnoise = torch.randn(4)\n")
    instrumented = "import torch\nnoise = __reprolint_capture__(0, torch.randn(4))\n"
    verify_server.spawn_devices.add("cpu")
    try:
        first = verify_server.run(str(script), instrumented, "cpu", 7, "auto", 120)
        again = verify_server.run(str(script), instrumented, "cpu", 7, "auto", 120)
    finally:
        verify_server.spawn_devices.discard("cpu")
    assert first.status == "ok", first.error
    noise = first.captures[0][0]["output"][0]
    assert noise.shape == (4,)
    assert (again.captures[0][0]["output"][0] == noise).all()  # the same process seed, the same draw


def test_one_process_per_copy_and_run_not_per_finding(verified):
    findings, folder, _ = verified
    # cuda_ddpm.py has two findings (RPL301, RPL106): one set of runs serves both.
    assert len(findings["cuda_ddpm.py"]) == 2
    runs = [m for m in findings["progress"] if "cuda_ddpm.py" in m and " run " in m]
    # Three runs (A, B, A again); no drift on the CPU, so the fixed copy is not run.
    assert len(runs) == 3, runs
    assert runs[0].endswith("(RPL106, RPL301) on cpu: original copy, run 1 of 3")
    seeded = [m for m in findings["progress"] if "ddpm_seeded_globally.py" in m and " run " in m]
    assert len(seeded) == 2, seeded
    drifting = [m for m in findings["progress"] if "sd_unseeded.py" in m and " run " in m]
    assert [m.rsplit(": ", 1)[1] for m in drifting] == [
        "original copy, run 1 of 2", "original copy, run 2 of 2", "fixed copy, run 3 of 4", "fixed copy, run 4 of 4"]


def test_rpl103_an_int_generator_fails_and_the_fix_makes_it_run(verified):
    result = verdict(verified, "ddpm_int_generator.py", "RPL103")
    # The flagged line raises and the fix makes the script run: the finding is shown, not an error.
    assert result["status"] == "confirmed", result["summary"]
    assert result["summary"].startswith("confirmed on cpu: the flagged code raises ")
    assert "with the fix: runs, 2 runs identical" in result["summary"]
    assert result["devices"]["cpu"]["fix"]["status"] == "identical"
    assert result["devices"]["cpu"]["raised_at_flagged_code"] and result["fix"]["status"] == "identical"


def test_rpl110_scheduler_step_noise_drifts_in_a_custom_loop(verified):
    result = verdict(verified, "custom_loop_ddpm.py", "RPL110")
    assert result["status"] == "confirmed", result["summary"]
    comparison = result["devices"]["cpu"]["comparison"]
    assert comparison["occurrences"] == 2  # the step ran twice; each output was compared
    assert not comparison["image"] and comparison["max_abs"] > 0


def test_cuda_requested_without_cuda_is_skipped(tmp_path, verify_server):
    if verify_server.info.get("cuda_available"):
        pytest.skip("this machine has CUDA")
    shutil.copy(SCRIPTS / "ddpm_seeded_globally.py", tmp_path / "script.py")
    findings = verify_paths([tmp_path], verify_server, timeout=60, devices=("cuda",))
    result = findings["script.py"][0].extra["verification"]
    assert result["status"] == "skipped"
    assert result["summary"] == "skipped: cuda not available"


def test_a_run_sees_the_script_folder_and_the_offline_environment(tmp_path, verify_server):
    import json

    script = tmp_path / "env_probe.py"
    source = ("import json, os, sys\n"
              "json.dump({'cwd': os.getcwd(), 'argv': sys.argv, 'path0': sys.path[0], 'name': __name__,\n"
              "           'offline': [os.environ.get('HF_HUB_OFFLINE'), os.environ.get('TRANSFORMERS_OFFLINE')]},\n"
              "          open('probe.json', 'w'))\n"
              "print('hello from the script')\n")
    script.write_text(source)
    (tmp_path / "input.txt").write_text("read me")
    kept = tmp_path.parent / (tmp_path.name + "-kept")
    result = verify_server.run(str(script), source, "cpu", 1, "auto", 60, ("--flag", "x"), str(kept))
    assert result.status == "ok", result.error
    assert result.stdout == "hello from the script\n"  # captured, not printed
    # The run worked in a scratch copy of the script's folder: the script's folder is untouched.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env_probe.py", "input.txt"]
    seen = json.loads((kept / "probe.json").read_text())
    scratch = seen["cwd"]
    assert scratch != str(tmp_path) and os.path.basename(scratch) == "work"
    assert seen == {"cwd": scratch, "argv": [os.path.join(scratch, "env_probe.py"), "--flag", "x"],
                    "path0": scratch, "name": "__main__", "offline": ["1", "1"]}
    assert sorted(p.name for p in kept.iterdir()) == ["probe.json"]  # only what the run wrote


@pytest.mark.parametrize("name, stand_ins", [
    ("inpaint_unseeded.py", ["StableDiffusionInpaintPipeline"]),
    ("controlnet_unseeded.py", ["ControlNetModel", "StableDiffusionControlNetPipeline"]),
    ("pixart_unseeded.py", ["PixArtAlphaPipeline"]),
    ("single_file_unseeded.py", ["StableDiffusionPipeline"]),
    ("separate_models.py", ["AutoencoderKL", "StableDiffusionPipeline", "UNet2DConditionModel"]),
])
def test_more_pipelines_confirm_the_drift_and_the_fix_on_stand_ins(verified, name, stand_ins):
    result = verdict(verified, name, "RPL101")
    assert result["status"] == "confirmed", result["summary"]
    assert result["stand_in_classes"] == stand_ins
    comparison = result["devices"]["cpu"]["comparison"]
    assert comparison["image"] and comparison["max_abs"] > 0 and comparison["psnr"] > 0
    assert result["fix"]["status"] == "identical", result["summary"]


def test_a_vae_loaded_on_its_own_drifts_when_sampled_without_a_generator(verified):
    result = verdict(verified, "separate_models.py", "RPL111")
    assert result["status"] == "confirmed", result["summary"]
    comparison = result["devices"]["cpu"]["comparison"]
    assert not comparison["image"] and comparison["max_abs"] > 0


def test_a_training_script_is_stopped_after_two_steps_and_its_losses_and_weights_compared(verified):
    shuffled = verdict(verified, "train_tiny.py", "RPL304")
    assert shuffled["status"] == "confirmed", shuffled["summary"]
    entry = shuffled["devices"]["cpu"]
    assert entry["training_steps"] == 2
    assert entry["losses"]["occurrences"] == 2  # one loss per step, then the run was stopped
    assert entry["losses"]["max_abs"] > 0 and entry["weights"]["max_abs"] > 0
    assert shuffled["summary"].startswith("drift confirmed on cpu: 2 training steps differ: losses max|Δ|=")
    assert ", final weights max|Δ|=" in shuffled["summary"]
    # cuDNN's choice of algorithm does not vary on the CPU: said so, and where it would.
    for code, source in (("RPL303", "cuDNN's benchmarked algorithm choice"), ("RPL301", "cuDNN and cuBLAS kernels")):
        kernels = verdict(verified, "train_tiny.py", code)
        assert kernels["status"] == "needs-cuda", kernels["summary"]
        assert kernels["devices"]["cpu"]["runs"] == 3  # A, B and A again: A vs A is compared
        assert kernels["summary"] == (
            f"needs CUDA: not shown on CPU ({source}: shows on a GPU only; on cpu: 2 training steps, 2 runs "
            "with the same seeds: identical losses and final weights); run --verify --device cuda on a machine "
            "with CUDA")


def test_a_determinism_finding_without_a_training_loop_says_so(tmp_path, verify_server):
    (tmp_path / "setup_only.py").write_text(
        "import torch\n\ntorch.backends.cudnn.benchmark = True\nx = torch.randn(3)\n")
    findings = verify_paths([tmp_path], verify_server, timeout=60, devices=("cpu",))
    result = findings["setup_only.py"][0].extra["verification"]
    assert result["status"] == "skipped"
    assert result["summary"] == ("skipped: no training step ran (the script made no optimizer step; RPL303 is "
                                 "checked on training loops)")
