"""``--verify-report DIR``: one self-contained HTML page that shows the drift.

The page opens with a summary table (file, rule, verdict, max|Δ|) whose rows link to the
sections below. One section per verified finding, confirmed drift first (those the fix does not
remove before those it does), then no drift, needs CUDA, errors, and the skipped ones folded
away: the flagged source line, the verdict, run A and run B of the flagged call's output side by
side with a heat map of their difference, the fixed run, the figures (max|Δ|, mean|Δ|, share of
pixels or values that differ, PSNR, and diffusers' own measures: the corner slice's cosine
distance and the mean pixel difference) and where it was measured (versions, GPU, determinism
settings). An output that is not an image (latents, a tensor) gets a histogram of |Δ| instead.
Where the CPU and CUDA both ran, the CPU-vs-CUDA comparison gets its own row and picture. Rule
codes link to the rules' pages; messages show their `code` as code.

Every picture is a PNG inlined as a ``data:`` URI, so the page needs no network and no other
file. Pictures are drawn with Pillow and numpy only. This module runs in the parent process
(it imports numpy and Pillow, never torch).
"""

from __future__ import annotations

import base64
import html
import io
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from reprolint.docs import DOCS_URL
from reprolint.verify.compare import format_number

REPORT_NAME = "index.html"
# In the page's head: a page without it is not reprolint's, and --verify-report never replaces it.
GENERATOR_MARK = '<meta name="generator" content="reprolint --verify-report">'
MIN_PICTURE = 192  # pixels: tiny stand-in images are enlarged (nearest neighbour) to this width
HISTOGRAM_BINS = 40


@dataclass
class Shown:
    """One captured output as the report shows it: the array, whether it is an image."""

    label: str
    array: np.ndarray
    image: bool


@dataclass
class Section:
    """What the report needs of one verified finding."""

    finding: object
    source_line: str
    verdict: dict
    output_name: str = ""
    first: Optional[Shown] = None  # run A
    second: Optional[Shown] = None  # the run the check compares A with (B, re-seeded, perturbed)
    fixed: Optional[Shown] = None  # run A of the fixed copy
    fixed_second: Optional[Shown] = None
    cross: list = field(default_factory=list)  # [Shown cpu, Shown cuda] where both ran


def _choose_output(first, second, capture_ids: list) -> Optional[tuple]:
    """(capture id, occurrence, name) of the output to show: where runs A and B differ most
    (images before other values), else the first output of the first flagged call that ran."""
    if first is None:
        return None
    best, best_key = None, None
    for capture_id in capture_ids:
        occurrences = first.captures.get(capture_id) or []
        others = (second.captures.get(capture_id) or []) if second is not None else []
        for occurrence, values in enumerate(occurrences):
            for name, (array, is_image) in values.items():
                delta = 0.0
                if occurrence < len(others) and name in others[occurrence]:
                    other = np.asarray(others[occurrence][name][0])
                    if other.shape == np.asarray(array).shape and other.size:
                        delta = float(np.nan_to_num(np.abs(np.asarray(array) - other), nan=0.0, posinf=1e300).max())
                key = (bool(is_image), delta, -occurrence)
                if best_key is None or key > best_key:
                    best, best_key = (capture_id, occurrence, name), key
    return best


def _shown(label: str, result, where: tuple) -> Optional[Shown]:
    if result is None:
        return None
    capture_id, occurrence, name = where
    occurrences = result.captures.get(capture_id) or []
    if occurrence >= len(occurrences) or name not in occurrences[occurrence]:
        return None
    array, is_image = occurrences[occurrence][name]
    return Shown(label, np.asarray(array), bool(is_image))


def collect(finding, source_line: str, verdict: dict, capture_ids: list, pair_of, runs: dict,
            devices: list) -> Section:
    """The section of one finding, from the runs of its file. ``pair_of(device, fixed)`` gives the
    two runs the finding's check compares."""
    section = Section(finding, source_line, verdict)
    ran = [d for d in devices if runs.get((d, "original"))]
    device = next((d for d in ran if verdict.get("devices", {}).get(d, {}).get("comparison")), None)
    device = device or (ran[0] if ran else None)
    if device is None:
        return section
    first, second = pair_of(device, False)
    where = _choose_output(first, second, capture_ids)
    if where is None:
        return section
    capture_id, occurrence, name = where
    section.output_name = name + (f" (occurrence {occurrence + 1} of the call)" if occurrence else "")
    section.first = _shown(f"run A ({device})", first, where)
    section.second = _shown(f"run B ({device})", second, where)
    fixed_first, fixed_second = pair_of(device, True)
    section.fixed = _shown(f"fixed run A ({device})", fixed_first, where)
    section.fixed_second = _shown(f"fixed run B ({device})", fixed_second, where)
    if runs.get(("cpu", "original")) and runs.get(("cuda", "original")):
        cpu = _shown("cpu, run A", runs[("cpu", "original")][0], where)
        cuda = _shown("cuda, run A", runs[("cuda", "original")][0], where)
        if cpu is not None and cuda is not None:
            section.cross = [cpu, cuda]
    return section


# -- pictures ----------------------------------------------------------------------------------

def as_picture(array: np.ndarray) -> Optional[np.ndarray]:
    """An image output as H x W x 3 floats in 0-1, or None when it has no image shape. Batches
    show their first image; channels may come first (tensors) or last (numpy, PIL)."""
    a = np.asarray(array, dtype=np.float64)
    while a.ndim > 3:
        a = a[0]
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3:
        return None
    if a.shape[-1] not in (1, 3, 4) and a.shape[0] in (1, 3, 4):
        a = np.moveaxis(a, 0, -1)
    if a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    a = a[..., :3]
    if a.shape[-1] != 3:
        return None
    return np.clip(np.nan_to_num(a), 0.0, 1.0)


def _heat(values: np.ndarray) -> np.ndarray:
    """0-1 -> RGB on a black, red, yellow, white scale (readable, and printable in grey)."""
    t = np.clip(values, 0.0, 1.0)[..., None]
    stops = np.array([[0, 0, 0], [0.75, 0.05, 0.05], [1.0, 0.8, 0.1], [1.0, 1.0, 1.0]])
    position = t * (len(stops) - 1)
    low = np.floor(position).astype(int).clip(0, len(stops) - 2)
    fraction = position - low
    return stops[low[..., 0]] * (1 - fraction) + stops[low[..., 0] + 1] * fraction


def heat_map(first: np.ndarray, second: np.ndarray) -> Optional[np.ndarray]:
    """Per-pixel |Δ| (the largest over the channels), scaled to the largest, as a heat map."""
    a, b = as_picture(first), as_picture(second)
    if a is None or b is None or a.shape != b.shape:
        return None
    delta = np.abs(a - b).max(axis=-1)
    peak = delta.max()
    return _heat(delta / peak if peak > 0 else delta)


def _enlargement(width: int) -> int:
    """The whole factor a picture ``width`` pixels wide is enlarged by to reach MIN_PICTURE."""
    return -(-MIN_PICTURE // width) if width < MIN_PICTURE else 1


def _png(rgb: np.ndarray) -> str:
    from PIL import Image

    picture = Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8), "RGB")
    factor = _enlargement(picture.width)
    if factor > 1:
        picture = picture.resize((picture.width * factor, picture.height * factor), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram(first: np.ndarray, second: np.ndarray, width: int = 360, height: int = 180) -> str:
    """A PNG bar chart of the |Δ| of every element, as a data URI."""
    from PIL import Image, ImageDraw

    delta = np.abs(np.asarray(first, np.float64) - np.asarray(second, np.float64)).ravel()
    delta = delta[np.isfinite(delta)]
    peak = float(delta.max()) if delta.size else 0.0
    counts, _ = np.histogram(delta, bins=HISTOGRAM_BINS, range=(0.0, peak or 1.0))
    picture = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(picture)
    left, bottom, top = 8, height - 22, 18
    bar = (width - 2 * left) / HISTOGRAM_BINS
    tallest = counts.max() if counts.size and counts.max() else 1
    for index, count in enumerate(counts):
        if count:
            x0 = left + index * bar
            y0 = bottom - (bottom - top) * count / tallest
            draw.rectangle([x0, y0, x0 + bar - 1, bottom], fill=(190, 40, 30))
    draw.line([left, bottom, width - left, bottom], fill="black")
    draw.text((left, bottom + 4), "0", fill="black")
    label = f"{format_number(peak)}"
    draw.text((width - left - 8 * len(label), bottom + 4), label, fill="black")
    draw.text((left, 2), f"|Δ| of {delta.size} values, {HISTOGRAM_BINS} bins".replace("Δ", "d"), fill="black")
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def step_plot(deltas: list, width: int = 360, height: int = 140) -> str:
    """A PNG bar chart of |Δ| per scheduler step (on a log scale: float error and a different
    image both show), as a data URI; equal steps get no bar."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(picture)
    left, bottom, top = 8, height - 22, 18
    values = [d for d in deltas if d and np.isfinite(d)]
    peak = max(values) if values else 1.0
    floor = min(min(values) if values else 1.0, peak / 1e6) / 10
    bar = (width - 2 * left) / max(1, len(deltas))
    gap = 1 if bar >= 4 else 0  # many steps: bars touch
    label_every = max(1, int(np.ceil(len(deltas) / 12)))  # at most a dozen step numbers
    for index, delta in enumerate(deltas):
        x0 = left + index * bar
        if delta and np.isfinite(delta):
            share = float(np.clip((np.log10(delta) - np.log10(floor))
                                  / max(1e-12, np.log10(peak) - np.log10(floor)), 0.0, 1.0))
            draw.rectangle([x0 + gap, bottom - (bottom - top) * share, max(x0 + gap, x0 + bar - 1 - gap), bottom],
                           fill=(190, 40, 30))
        if index % label_every == 0:
            draw.text((x0 + bar / 2 - 3, bottom + 4), str(index + 1), fill="black")
    draw.line([left, bottom, width - left, bottom], fill="black")
    draw.text((left, 2), f"|d| per step (log scale), largest {format_number(peak)}", fill="black")
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _divergence_html(verdict: dict) -> str:
    for device, entry in verdict.get("devices", {}).items():
        divergence = entry.get("divergence")
        if not divergence:
            continue
        text = (f'<p class="divergence"><strong>Where the runs part ({html.escape(device)}):</strong> '
                f"{rendered_message(divergence['phrase'])}")
        if divergence.get("where"):
            text += f' <span class="where">({html.escape(divergence["where"])})</span>'
        text += "</p>"
        deltas = divergence.get("step_deltas") or []
        if deltas:
            text += ('<div class="row">' + _figure("|Δ| per scheduler step, run A vs run B", step_plot(deltas),
                                                   "sampled values of each step's output; no bar: equal")
                     + "</div>")
        return text
    return ""


# -- the page ----------------------------------------------------------------------------------

SCALE_WORDS = {"bitwise-only": "bitwise only (within)", "beyond-tolerance": "beyond", None: "identical"}


def _figures(comparison: Optional[dict]) -> list:
    if not comparison:
        return ["", "", "", "", "", "", ""]
    psnr = comparison.get("psnr")
    if comparison.get("identical"):
        psnr_text = "∞ (identical)"
    else:
        psnr_text = f"{psnr:.1f} dB" if psnr is not None else "n/a (not an image)"
    pixel = comparison.get("mean_pixel_difference")
    return [format_number(comparison["max_abs"]), format_number(comparison.get("mean_abs", 0.0)),
            f"{comparison['fraction'] * 100:.1f}%", psnr_text,
            format_number(comparison.get("slice_cosine_distance", 0.0)),
            f"{format_number(pixel)}/255" if pixel is not None else "n/a",
            SCALE_WORDS.get(comparison.get("scale"), "")]


# The order of the page: what needs the reader's attention first.
ORDER = ("confirmed", "fixed", "no-drift", "needs-cuda", "error", "timeout", "interrupted", "skipped")


def kind_of(verdict: dict) -> str:
    """The verdict's place in the page's order: confirmed drift the fix removes is "fixed"."""
    status = verdict.get("status", "skipped")
    if status == "confirmed" and (verdict.get("fix") or {}).get("status") in ("identical", "float-error"):
        return "fixed"
    return status if status in ORDER else "skipped"


def ordered(sections: list) -> list:
    """The sections in the page's order (stable within each kind: the order of the findings)."""
    return sorted(sections, key=lambda section: ORDER.index(kind_of(section.verdict)))


def rendered_message(message: str) -> str:
    """The message as HTML: its `backticked` parts as code, the rest escaped."""
    pieces = message.split("`")
    if len(pieces) % 2 == 0:  # an unpaired backtick: show it as written
        return html.escape(message)
    return "".join(f"<code>{html.escape(piece)}</code>" if index % 2 else html.escape(piece)
                   for index, piece in enumerate(pieces))


def _rule_link(code: str) -> str:
    return f'<a class="rule" href="{html.escape(DOCS_URL.format(code=code))}"><code>{html.escape(code)}</code></a>'


def _environment_html(environment: Optional[dict]) -> str:
    if not environment:
        return ""
    versions = ", ".join(f"{label} {environment.get(key) or 'none'}" for label, key in (
        ("Python", "python"), ("torch", "torch"), ("diffusers", "diffusers"), ("CUDA", "cuda"),
        ("cuDNN", "cudnn"), ("GPU", "gpu")))
    flags = []
    for device, settings in (environment.get("determinism") or {}).items():
        shown = ", ".join(f"{name}={value}" for name, value in settings.items())
        flags.append(f"<br>determinism settings in force ({html.escape(device)}): {html.escape(shown)}")
    return f'<p class="environment">Measured with {html.escape(versions)}.{"".join(flags)}</p>'


def _summary_table(sections: list) -> str:
    rows = ["<table class=\"summary-table\"><tr><th>file</th><th>rule</th><th>verdict</th><th>max|Δ|</th></tr>"]
    for index, section in enumerate(sections, 1):
        finding, verdict = section.finding, section.verdict
        comparison = next((entry.get("comparison") for entry in verdict.get("devices", {}).values()
                           if entry.get("comparison")), None) or (verdict.get("cross_device") or {}).get("comparison")
        worst = format_number(comparison["max_abs"]) if comparison else ""
        kind = kind_of(verdict)
        rows.append(f'<tr class="{html.escape(kind)}"><td><a href="#finding-{index}">'
                    f"{html.escape(finding.path)}:{finding.start.line}</a></td><td>{_rule_link(finding.code)}</td>"
                    f"<td>{html.escape(kind)}</td><td>{html.escape(worst)}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _figure(title: str, uri: str, caption: str = "") -> str:
    return (f'<figure><img src="{uri}" alt="{html.escape(title)}"><figcaption>{html.escape(title)}'
            f'{"<br>" + html.escape(caption) if caption else ""}</figcaption></figure>')


def _output_figure(title: str, rgb: np.ndarray) -> str:
    """An output image, captioned with its own size (the page enlarges small ones)."""
    height, width = rgb.shape[:2]
    factor = _enlargement(width)
    return _figure(title, _png(rgb), f"{width}×{height} px" + (f", shown ×{factor}" if factor > 1 else ""))


def _pictures(first: Optional[Shown], second: Optional[Shown], heat_title: str) -> list:
    """The figures of one comparison: both outputs and their heat map, or a histogram."""
    if first is None or second is None:
        return []
    a, b = as_picture(first.array) if first.image else None, as_picture(second.array) if second.image else None
    if a is not None and b is not None and a.shape == b.shape:
        delta = np.abs(a - b).max()
        return [_output_figure(first.label, a), _output_figure(second.label, b),
                _figure(heat_title, _png(heat_map(first.array, second.array)),
                        f"black: equal; white: |Δ| = {format_number(float(delta))}" if delta else "no pixel differs")]
    if first.array.shape != second.array.shape:
        return []
    return [_figure(f"histogram of |Δ|, {first.label} vs {second.label}", histogram(first.array, second.array),
                    f"output of shape {tuple(first.array.shape)}, not an image")]


def _section_html(index: int, section: Section) -> str:
    finding, verdict = section.finding, section.verdict
    status = verdict.get("status", "")
    where = f"{finding.path}:{finding.start.line}:{finding.start.column}"
    parts = [f'<section class="finding {html.escape(status)}" id="finding-{index}">',
             f"<h2>{html.escape(where)} {_rule_link(finding.code)}</h2>",
             f'<p class="message">{rendered_message(finding.message)}</p>',
             f'<pre class="source"><span class="lineno">{finding.start.line}</span> '
             f"{html.escape(section.source_line)}</pre>",
             f'<p class="verdict"><strong>verify:</strong> {html.escape(verdict.get("summary", ""))}</p>']
    parts.append(_divergence_html(verdict))
    if section.output_name:
        parts.append(f'<p class="output">Output shown: <code>{html.escape(section.output_name)}</code> of the '
                     "flagged call, where runs A and B differ most.</p>")
    rows = []
    device_entry = next((entry for entry in verdict.get("devices", {}).values() if entry.get("comparison")), {})
    if device_entry.get("comparison"):
        rows.append(("the script as written: run A vs run B", device_entry["comparison"]))
    fix = verdict.get("fix") or device_entry.get("fix") or {}
    if fix.get("comparison"):
        rows.append(("with the fix: run A vs run B", fix["comparison"]))
    cross = verdict.get("cross_device") or {}
    if cross.get("comparison"):
        rows.append(("cpu vs cuda, the script as written", cross["comparison"]))
    if cross.get("fixed_comparison"):
        rows.append(("cpu vs cuda, with the fix", cross["fixed_comparison"]))
    if rows:
        parts.append("<table><tr><th>comparison</th><th>max|Δ|</th><th>mean|Δ|</th><th>differ</th>"
                     "<th>PSNR</th><th>slice cosine distance</th><th>mean pixel difference</th>"
                     "<th>diffusers' tolerance</th></tr>")
        for label, comparison in rows:
            cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in _figures(comparison))
            parts.append(f"<tr><td>{html.escape(label)}</td>{cells}</tr>")
        parts.append("</table>")
    pictures = _pictures(section.first, section.second, "|Δ| heat map, A vs B")
    if pictures:
        parts.append('<div class="row">' + "".join(pictures) + "</div>")
    fixed = _pictures(section.fixed, section.fixed_second, "|Δ| heat map, fixed A vs B")
    if fixed:
        parts.append('<h3>With the fix</h3><div class="row">' + "".join(fixed) + "</div>")
    elif section.fixed is not None and section.fixed.image and as_picture(section.fixed.array) is not None:
        parts.append('<h3>With the fix</h3><div class="row">'
                     + _output_figure(section.fixed.label, as_picture(section.fixed.array)) + "</div>")
    if len(section.cross) == 2:
        parts.append('<h3>Across devices</h3><div class="row cross-device">'
                     + "".join(_pictures(section.cross[0], section.cross[1], "|Δ| heat map, cpu vs cuda"))
                     + "</div>")
    if not (pictures or fixed or section.cross):
        parts.append('<p class="nothing">No output to show: the flagged call did not run (see the verdict).</p>')
    parts.append(_environment_html(verdict.get("environment")))
    parts.append("</section>")
    return "\n".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.15em; margin-bottom: 0.2em; } h3 { font-size: 1em; }
section.finding { border-top: 1px solid #ccc; padding: 0.5em 0 1.5em; }
pre.source { background: #f5f5f5; padding: 0.5em; overflow-x: auto; }
.lineno { color: #888; }
p.verdict { font-size: 1.05em; }
section.confirmed p.verdict strong { color: #b3261e; } section.no-drift p.verdict strong { color: #1e7b34; }
section.needs-cuda p.verdict strong { color: #8a5a00; }
p.environment { font-size: 0.85em; color: #555; }
table.summary-table tr.confirmed td:nth-child(3) { color: #b3261e; font-weight: bold; }
details.skipped > summary { cursor: pointer; margin: 1em 0; }
.row { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; } figure img { width: 192px; image-rendering: pixelated; border: 1px solid #ddd; }
figure img[alt^="histogram"], figure img[alt^="|Δ| per"] { width: 360px; image-rendering: auto; }
figcaption { font-size: 0.85em; color: #444; max-width: 200px; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
td:first-child, th:first-child { text-align: left; }
"""

# Marks the page with how many of its pictures loaded (the browser test reads it; a reader sees
# a line only when one did not).
CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  document.body.setAttribute("data-images", String(images.length));
  document.body.setAttribute("data-images-broken", String(broken));
  if (broken) { document.getElementById("broken").textContent = broken + " picture(s) did not load"; }
});
"""


def render(sections: list, title: str = "reprolint --verify report", environment: str = "") -> str:
    counts: dict = {}
    for section in sections:
        status = section.verdict.get("status", "")
        counts[status] = counts.get(status, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    sections = ordered(sections)
    shown = [_section_html(index, section) for index, section in enumerate(sections, 1)]
    skipped = [html_text for html_text, section in zip(shown, sections) if kind_of(section.verdict) == "skipped"]
    body = "\n".join(html_text for html_text, section in zip(shown, sections)
                     if kind_of(section.verdict) != "skipped")
    if skipped:  # folded away: they show nothing, and the reader opens them to learn why
        body += (f'\n<details class="skipped"><summary>{len(skipped)} skipped finding(s)</summary>\n'
                 + "\n".join(skipped) + "\n</details>")
    body = _summary_table(sections) + "\n" + body
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{GENERATOR_MARK}'
            f'<title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
            f'<p class="summary">{len(sections)} verified finding(s): {html.escape(summary or "none")}.'
            f'{" " + html.escape(environment) if environment else ""}</p>\n<p id="broken"></p>\n'
            "<p>Run A and run B differ only in what the finding's check varies (see the verdict). "
            "Heat maps show the per-pixel |Δ|, scaled to the largest.</p>\n"
            f"{body}\n<script>{CHECK_SCRIPT}</script>\n</body></html>\n")


def is_ours(path: str) -> bool:
    """Whether ``path`` is absent or a page this module wrote."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return GENERATOR_MARK in handle.read(4096)
    except FileNotFoundError:
        return True
    except OSError:
        return False


def write(folder: str, sections: list, environment: str = "") -> str:
    """Write the page into ``folder`` (created if needed); returns its path. The command line has
    checked (``is_ours``) that an ``index.html`` already there is an earlier report."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, REPORT_NAME)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(render(sections, environment=environment))
    os.replace(temporary, path)
    return path

