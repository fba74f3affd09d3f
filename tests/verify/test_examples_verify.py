"""`reprolint --verify examples/` as a new user runs it: no error verdict, the drifting examples
stay "drift confirmed", and the report shows the stand-ins' images at 64×64 or more."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess

import pytest

from tests.conftest import reprolint_command

pytestmark = pytest.mark.slow

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
# (file, rule, line) of the examples' findings whose drift two runs on the CPU show.
DRIFTING = {("sd_text2img_bad.py", "RPL101", 11), ("sd_text2img_bad.py", "RPL101", 15),
            ("ddim_prompt_loop.py", "RPL102", 11), ("sdxl_batch_bad.py", "RPL105", 18),
            ("class_service_bad.py", "RPL102", 17)}


@pytest.fixture(scope="module")
def examples_run(tmp_path_factory):
    pytest.importorskip("diffusers")
    folder = tmp_path_factory.mktemp("examples")
    shutil.copytree(EXAMPLES, folder / "examples")
    result = subprocess.run(reprolint_command() + ["examples", "--verify", "--device", "cpu", "--no-cache",
                                                   "--output-format", "json", "--verify-report", "report"],
                            cwd=folder, capture_output=True, text=True, timeout=900)
    findings = [f for f in json.loads(result.stdout) if "verification" in f]
    verdicts = {(pathlib.Path(f["filename"]).name, f["code"], f["location"]["row"]): f["verification"]
                for f in findings}
    return result, verdicts, (folder / "report" / "index.html").read_text()


def test_the_examples_verify_without_an_error_and_their_drift_stays_confirmed(examples_run):
    result, verdicts, _ = examples_run
    assert result.returncode == 1, result.stderr[-2000:]
    assert verdicts and not [key for key, v in verdicts.items() if v["status"] in ("error", "timeout")]
    for key in DRIFTING:
        assert verdicts[key]["status"] == "confirmed", (key, verdicts[key]["summary"])
        assert verdicts[key]["summary"].startswith("drift confirmed on cpu: ")
        comparison = verdicts[key]["devices"]["cpu"]["comparison"]
        assert comparison["image"] and comparison["scale"] == "beyond-tolerance"
    # The batch example's fix: each image regenerates alone, up to one 8-bit rounding step.
    assert verdicts[("sdxl_batch_bad.py", "RPL105", 18)]["fix"]["status"] in ("identical", "float-error")


def test_the_examples_report_shows_images_of_at_least_64_pixels_a_side(examples_run):
    _, _, page = examples_run
    sizes = [tuple(map(int, size)) for size in re.findall(r"(\d+)×(\d+) px", page)]
    assert len(sizes) >= 2 * len(DRIFTING)  # runs A and B of each drifting example at least
    assert all(width >= 64 and height >= 64 for width, height in sizes), sizes
