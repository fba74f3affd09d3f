"""--verify-report: the HTML page, its pictures and figures, and the page in a real browser."""

from __future__ import annotations

import base64
import io
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from reprolint.findings import Finding, Position
from tests.conftest import reprolint_command
from tests.verify.conftest import SCRIPTS

np = pytest.importorskip("numpy")
pytest.importorskip("PIL")

from reprolint.verify import report  # noqa: E402  (needs numpy)
from reprolint.verify.compare import compare_outputs  # noqa: E402


def _finding(code="RPL101", line=6):
    return Finding(code, "pipeline-call-without-generator", "pipeline call without `generator=`",
                   "gen.py", Position(line, 9), Position(line, 40))


def _images(pattern: str) -> list:
    from PIL import Image

    found = []
    for uri in re.findall(r'src="data:image/png;base64,([^"]+)"', pattern):
        found.append(Image.open(io.BytesIO(base64.b64decode(uri))))
    return found


def test_the_figures_are_measured():
    a = np.zeros((1, 4, 4, 3))
    b = a.copy()
    b[0, 0, 0, :] = 0.5  # one pixel of 16 differs, by 0.5 in every channel
    difference = compare_outputs([{"images": (a, True)}], [{"images": (b, True)}])
    assert difference.max_abs == 0.5
    assert difference.fraction == 1 / 16
    assert difference.mean_abs == pytest.approx(0.5 * 3 / 48)
    assert difference.psnr == pytest.approx(10 * np.log10(1 / (0.25 * 3 / 48)))
    data = difference.as_dict()
    assert {"max_abs", "mean_abs", "fraction", "psnr"} <= set(data)
    same = compare_outputs([{"images": (a, True)}], [{"images": (a, True)}])
    assert same.identical and same.psnr is None and same.mean_abs == 0.0
    latents = compare_outputs([{"latents": (np.zeros(8), False)}], [{"latents": (np.ones(8), False)}])
    assert latents.psnr is None and latents.mean_abs == 1.0


def _section(first, second, fixed=None, cross=None, image=True, status="confirmed"):
    comparison = compare_outputs([{"x": (first, image)}], [{"x": (second, image)}]).as_dict()
    verdict = {"status": status, "summary": f"drift confirmed on cpu: {comparison['max_abs']}",
               "devices": {"cpu": {"status": status, "comparison": comparison,
                                   "fix": {"status": "identical", "comparison": compare_outputs(
                                       [{"x": (first, image)}], [{"x": (first, image)}]).as_dict()}}},
               "fix": None, "cross_device": None}
    section = report.Section(_finding(), "image = pipe(prompt).images[0]", verdict, output_name="x",
                             first=report.Shown("run A (cpu)", first, image),
                             second=report.Shown("run B (cpu)", second, image))
    if fixed is not None:
        section.fixed = report.Shown("fixed run A (cpu)", fixed, image)
        section.fixed_second = report.Shown("fixed run B (cpu)", fixed, image)
    if cross is not None:
        section.cross = [report.Shown("cpu, run A", first, image), report.Shown("cuda, run A", cross, image)]
        verdict["cross_device"] = {"comparison": compare_outputs([{"x": (first, image)}],
                                                                 [{"x": (cross, image)}]).as_dict(),
                                   "fixed_comparison": None}
    return section


def test_an_image_finding_shows_both_runs_the_heat_map_and_the_fixed_run():
    rng = np.random.default_rng(0)
    first, second = rng.random((1, 8, 8, 3)), rng.random((1, 8, 8, 3))
    page = report.render([_section(first, second, fixed=first)])
    pictures = _images(page)
    assert len(pictures) == 6  # A, B, heat map; fixed A, fixed B, their (black) heat map
    assert all(p.width >= report.MIN_PICTURE for p in pictures)
    heat = np.asarray(pictures[2].convert("RGB"))
    assert heat.max() == 255  # the largest |Δ| is white
    fixed_heat = np.asarray(pictures[5].convert("RGB"))
    assert fixed_heat.max() == 0  # identical runs: all black
    assert "image = pipe(prompt).images[0]" in page
    assert "drift confirmed on cpu" in page
    assert "with the fix: run A vs run B" in page and "∞ (identical)" in page
    assert 'src="http' not in page and "<link" not in page  # nothing to fetch (rule links are links)
    # Each output says its own size: the page shows a small one enlarged, not as what the run made.
    assert page.count("8×8 px, shown ×24") == 4  # A, B, fixed A, fixed B
    larger = report.render([_section(rng.random((1, 64, 64, 3)), rng.random((1, 64, 64, 3)))])
    assert larger.count("64×64 px, shown ×3") == 2
    assert "256×256 px<" in report.render([_section(np.zeros((256, 256, 3)), np.ones((256, 256, 3)))])


def _verdict_only(status, code="RPL101", line=6, fix=None, max_abs=0.5, environment=None):
    comparison = {"max_abs": max_abs, "mean_abs": max_abs / 2, "fraction": 0.5, "psnr": 10.0, "image": True,
                  "identical": max_abs == 0, "slice_cosine_distance": 0.2, "mean_pixel_difference": 30.0,
                  "scale": "beyond-tolerance" if max_abs else None}
    verdict = {"status": status, "summary": f"{status} summary", "fix": fix, "cross_device": None,
               "devices": {"cpu": {"status": status, "comparison": comparison if status != "skipped" else None}},
               "environment": environment}
    return report.Section(_finding(code, line), "x = 1", verdict)


def test_the_page_leads_with_a_linked_summary_and_confirmed_drift():
    environment = {"python": "3.12.1", "torch": "2.13.0", "diffusers": "0.42.1", "cuda": None, "cudnn": None,
                   "gpu": None, "determinism": {"cpu": {"deterministic_algorithms": False, "cudnn_benchmark": True}}}
    sections = [_verdict_only("skipped", line=1), _verdict_only("no-drift", line=2, max_abs=0.0),
                _verdict_only("needs-cuda", "RPL301", line=3, max_abs=0.0),
                _verdict_only("confirmed", line=4, fix={"status": "identical"}),
                _verdict_only("error", line=5), _verdict_only("confirmed", "RPL105", line=6, environment=environment)]
    page = report.render(sections)
    # The summary table comes first; its rows link to the sections, in the page's order.
    table = page[page.index('<table class="summary-table">'):page.index("</table>")]
    assert page.index('<table class="summary-table">') < page.index('<section class="finding')
    links = re.findall(r'<a href="#(finding-\d+)">gen.py:(\d+)</a>', table)
    assert [line for _, line in links] == ["6", "4", "2", "3", "5", "1"]
    kinds = re.findall(r'<tr class="([a-z-]+)">', table)
    assert kinds == ["confirmed", "fixed", "no-drift", "needs-cuda", "error", "skipped"]
    for anchor, line in links:
        section = re.search(rf'<section class="finding [a-z-]+" id="{anchor}">\s*<h2>gen.py:(\d+):', page)
        assert section and section.group(1) == line
    # Skipped findings are folded away, after the rest.
    folded = page[page.index('<details class="skipped">'):]
    assert "1 skipped finding(s)" in folded and 'id="finding-6"' in folded
    assert 'id="finding-5"' not in folded
    # Rule codes link to their pages; messages show code as code.
    assert '<a class="rule" href="https://github.com/reprolint/reprolint/blob/main/docs/rules/RPL105.md">' in page
    assert "pipeline call without <code>generator=</code>" in page and "`generator=`" not in page
    # Where it was measured, and diffusers' own measures.
    assert "Measured with Python 3.12.1, torch 2.13.0, diffusers 0.42.1, CUDA none, cuDNN none, GPU none." in page
    assert "determinism settings in force (cpu): deterministic_algorithms=False, cudnn_benchmark=True" in page
    assert "slice cosine distance</th>" in page and "<td>30.00/255</td>" in page and "<td>beyond</td>" in page


@pytest.mark.parametrize("deltas", [[0.0, 1e-7, 0.5], [0.01] * 150, [None, 0.0, float("inf"), 2.0], [0.3] * 1000, []])
def test_the_step_plot_draws_any_number_of_steps(deltas):
    # 150 steps: three pipeline calls of 50 steps in one script (a regression: bars narrower
    # than their gaps crashed the report).
    from PIL import Image

    uri = report.step_plot(deltas)
    picture = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB")
    assert picture.size == (360, 140)
    red = (np.asarray(picture) == (190, 40, 30)).all(axis=-1).sum()
    assert (red > 0) == any(d and np.isfinite(d) for d in deltas)


def test_a_message_with_an_unpaired_backtick_is_shown_as_written():
    assert report.rendered_message("a `b` c") == "a <code>b</code> c"
    assert report.rendered_message("a `b c <d>") == "a `b c &lt;d&gt;"


def test_a_tensor_finding_gets_a_histogram_and_cross_device_gets_its_row():
    first, second = np.zeros((1, 4, 8, 8)), np.linspace(0, 1, 256).reshape(1, 4, 8, 8)
    page = report.render([_section(first, second, image=False),
                          _section(np.zeros((8, 8, 3)), np.ones((8, 8, 3)) * 0.1, cross=np.ones((8, 8, 3)) * 0.2)])
    assert "histogram of |Δ|" in page and "not an image" in page
    assert "n/a (not an image)" in page  # no PSNR for latents
    assert "Across devices" in page and "cpu vs cuda, the script as written" in page
    assert "|Δ| heat map, cpu vs cuda" in page


def test_pictures_from_every_layout_of_an_image_output():
    assert report.as_picture(np.zeros((2, 3, 5, 7))).shape == (5, 7, 3)  # a batch of CHW tensors
    assert report.as_picture(np.zeros((5, 7, 3))).shape == (5, 7, 3)  # numpy / PIL
    assert report.as_picture(np.zeros((5, 7))).shape == (5, 7, 3)  # greyscale
    assert report.as_picture(np.zeros(5)) is None


# -- through the command line, and in a browser --------------------------------------------------

@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    pytest.importorskip("diffusers")
    folder = tmp_path_factory.mktemp("report")
    for name in ("sd_unseeded.py", "custom_loop_ddpm.py"):
        shutil.copy(SCRIPTS / name, folder / name)
    out = folder / "report"
    result = subprocess.run(reprolint_command() + ["sd_unseeded.py", "custom_loop_ddpm.py", "--verify", "--device",
                                                   "cpu", "--no-cache", "--output-format", "json",
                                                   "--verify-report", str(out)],
                            cwd=folder, capture_output=True, text=True, timeout=600)
    return result, out


@pytest.mark.slow
def test_the_report_is_written_and_json_carries_its_figures(report_run):
    result, out = report_run
    assert result.returncode == 1, result.stderr
    assert result.stderr.rstrip().endswith(f"verify: report written to {out / 'index.html'}")
    page = (out / "index.html").read_text()
    findings = json.loads(result.stdout)
    verified = [f for f in findings if "verification" in f]
    assert {f["code"] for f in verified} >= {"RPL101", "RPL110"}
    image = next(f for f in verified if f["code"] == "RPL101")["verification"]["devices"]["cpu"]["comparison"]
    assert image["psnr"] > 0 and 0 < image["mean_abs"] <= image["max_abs"]
    # The page shows the same figures.
    assert f"{image['fraction'] * 100:.1f}%" in page and f"{image['psnr']:.1f} dB" in page
    assert page.count('<section class="finding') == len(verified)
    assert "histogram of |Δ|" in page  # RPL110: scheduler.step's tensor output
    # The stand-in's images are large enough for the heat map to show structure.
    sizes = [tuple(map(int, size)) for size in re.findall(r"(\d+)×(\d+) px", page)]
    assert sizes and all(width >= 64 and height >= 64 for width, height in sizes), sizes


def _chromium():
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


@pytest.mark.slow
def test_the_report_renders_in_headless_chromium(report_run, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
    _, out = report_run
    page = (out / "index.html").as_uri()
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    dom = subprocess.run(flags + ["--dump-dom", page], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    images = re.search(r'data-images="(\d+)"', dom.stdout)
    broken = re.search(r'data-images-broken="(\d+)"', dom.stdout)
    assert images and broken, dom.stdout[:2000]
    assert int(images.group(1)) >= 4 and broken.group(1) == "0"
    assert "drift confirmed on cpu" in dom.stdout
    # The rendered page leads with the summary; each of its links reaches a section, in order.
    rendered = dom.stdout
    table = rendered[rendered.index('<table class="summary-table">'):]
    table = table[:table.index("</table>")]
    anchors = re.findall(r'<a href="#(finding-\d+)">', table)
    assert anchors and rendered.index("summary-table") < rendered.index('<section class="finding')
    positions = [rendered.index(f'id="{anchor}"') for anchor in anchors]
    assert positions == sorted(positions)
    kinds = re.findall(r'<tr class="([a-z-]+)">', table)
    assert kinds == sorted(kinds, key=report.ORDER.index) and kinds[0] in ("confirmed", "fixed")
    screenshot = tmp_path / "report.png"
    shot = subprocess.run(flags + ["--window-size=1200,1600", f"--screenshot={screenshot}", page],
                          capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and screenshot.exists(), shot.stderr[-2000:]
    from PIL import Image

    pixels = np.asarray(Image.open(screenshot).convert("RGB"))
    assert pixels.shape[:2] == (1600, 1200)
    # Not a blank page: the red verdict, the heat maps and the images give many colours.
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200
    if os.environ.get("REPROLINT_REPORT_SCREENSHOT"):
        shutil.copy(screenshot, os.environ["REPROLINT_REPORT_SCREENSHOT"])


def test_the_output_shown_is_where_the_runs_differ_most():
    class Run:
        def __init__(self, captures):
            self.captures = captures

    same = np.zeros((1, 3, 4, 4))
    first = Run({0: [{"pred_original_sample": (same, False), "prev_sample": (same, False)},
                     {"pred_original_sample": (same, False), "prev_sample": (same, False)}]})
    second = Run({0: [{"pred_original_sample": (same, False), "prev_sample": (same, False)},
                      {"pred_original_sample": (same, False), "prev_sample": (same + 0.5, False)}]})
    section = report.collect(_finding("RPL110"), "x", {"devices": {"cpu": {"comparison": {"max_abs": 0.5}}}},
                             [0], lambda device, fixed: (None, None) if fixed else (first, second),
                             {("cpu", "original"): [first, second]}, ["cpu"])
    assert section.output_name == "prev_sample (occurrence 2 of the call)"
    assert section.second.array.max() == 0.5
