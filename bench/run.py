"""Benchmark reprolint against ruff on a real tree (default: the installed diffusers source).

    python bench/run.py [CORPUS] [--rounds 3] [--jobs N]

Every round runs each measurement once, alternating tools (A/B), so a machine that slows down
mid-run slows every tool alike; the table reports medians over rounds. Measured:

- reprolint cold (``--no-cache``), warm (cache filled, nothing changed), and warm with one file
  changed (a different file edited before each round);
- ``ruff check --select ALL --no-cache --isolated`` on the same tree;
- TorchFix and Fixit when their commands are installed;
- scaling: reprolint cold and ruff on 1/4, 1/2 and the whole corpus (every 4th / 2nd file);
- how many files each rule sends to the full parse;
- one small file in a cold process, and ``python -X importtime`` of the command line;
- generated files of 100k, 200k and 400k characters (linear cost, under 5 s and 1 GB);
- every target of the speed issue, met or not;
- ``reprolint server``: didChange to diagnostics on a 1,000-line pipeline script (``bench/lsp.py``).

Peak memory is the largest total RSS of the command's whole process tree (the pool's workers
included), sampled from /proc every 20 ms. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def default_corpus() -> str:
    spec = importlib.util.find_spec("diffusers")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("diffusers is not installed; pass a CORPUS folder (or pip install -e '.[verify]')")
    return list(spec.submodule_search_locations)[0]


def python_files(root: str) -> list:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found.extend(os.path.join(folder, f) for f in sorted(files) if f.endswith(".py"))
    return sorted(found)


def copy_subset(files: list, root: str, target: str, step: int) -> list:
    """Every ``step``-th file, and every ``__init__.py``, copied under ``target/<the corpus folder's
    name>/``: a package keeps its name (``diffusers/...``) and its structure, as when a checkout's
    ``src/`` is linted, so the project index sees the same module names in every subset."""
    copied = []
    package = os.path.basename(os.path.normpath(root))
    packages = [path for path in files if os.path.basename(path) == "__init__.py"]
    rest = [path for path in files if os.path.basename(path) != "__init__.py"]
    for path in sorted(packages + rest[::step]) if step > 1 else files:
        destination = os.path.join(target, package, os.path.relpath(path, root))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copyfile(path, destination)
        copied.append(destination)
    return copied


# ---------------------------------------------------------------------- measuring

def _tree_rss_kb(root_pid: int) -> int:
    """Total RSS of a process and its descendants (Linux /proc); 0 where unavailable."""
    children: dict = {}
    rss: dict = {}
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def measure(command: list, cwd: str) -> tuple:
    """(wall seconds, peak tree RSS in MB, CPU seconds, exit status). CPU seconds (user + system,
    the pool's workers included: the command waits for them) barely depend on how busy the
    machine is, so they compare tools fairly where wall time cannot."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        print(f"  ! {' '.join(command[:3])}... exited {process.returncode}")
    return wall, peak / 1024, usage.ru_utime + usage.ru_stime, process.returncode


def tool(name: str) -> str | None:
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.exists(here) else shutil.which(name)


# ---------------------------------------------------------------------- the run

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", help="folder to lint (default: installed diffusers)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="reprolint --jobs (default: one per CPU)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1/4 and 1/2 runs")
    parser.add_argument("--no-lsp", action="store_true", help="skip the language-server row (bench/lsp.py)")
    parser.add_argument("--only-lsp", action="store_true", help="only the language-server row (no ruff needed)")
    args = parser.parse_args()
    if args.only_lsp:
        lsp_row()
        return
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 for a meaningful median")

    corpus = os.path.abspath(args.corpus or default_corpus())
    reprolint = tool("reprolint") or sys.exit("reprolint is not installed in this environment")
    ruff = tool("ruff") or sys.exit("ruff is not installed: pip install ruff")
    extras = {name: tool(name) for name in ("torchfix", "fixit")}
    files = python_files(corpus)
    size_mb = sum(os.path.getsize(f) for f in files) / 1e6

    work = tempfile.mkdtemp(prefix="reprolint-bench-")
    trees = {}
    for label, step in (("1/4", 4), ("1/2", 2), ("all", 1)):
        if args.no_scaling and label != "all":
            continue
        target = os.path.join(work, label.replace("/", "_of_"))
        trees[label] = (target, copy_subset(files, corpus, target, step))
    full, full_files = trees["all"]
    cache_dir = os.path.join(work, "cache")
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []

    def reprolint_cmd(tree, cached=False):
        cache = ["--cache-dir", cache_dir] if cached else ["--no-cache"]
        return [reprolint, "check", tree, "--exit-zero", "-q", *cache, *jobs]

    def ruff_cmd(tree):
        return [ruff, "check", "--select", "ALL", "--no-cache", "--isolated", "--exit-zero", "-q", tree]

    print(f"corpus: {corpus} ({len(files)} files, {size_mb:.1f} MB)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"ruff: {subprocess.run([ruff, '--version'], capture_output=True, text=True).stdout.strip()}")
    measure(reprolint_cmd(full, cached=True), work)  # fill the cache for the warm runs

    plan = [("ruff", lambda: ruff_cmd(full)),
            ("reprolint cold", lambda: reprolint_cmd(full)),
            ("reprolint warm", lambda: reprolint_cmd(full, cached=True)),
            ("reprolint 1 changed", lambda: reprolint_cmd(full, cached=True))]
    for name, path in extras.items():
        if path:
            arguments = [full] if name == "torchfix" else ["lint", full]
            plan.append((name, lambda path=path, arguments=arguments: [path, *arguments]))
    for label in ("1/4", "1/2"):
        if label in trees:
            plan.append((f"ruff {label}", lambda t=trees[label][0]: ruff_cmd(t)))
            plan.append((f"reprolint cold {label}", lambda t=trees[label][0]: reprolint_cmd(t)))

    results: dict = {name: [] for name, _ in plan}
    for round_index in range(args.rounds):
        order = plan if round_index % 2 == 0 else plan[::-1]  # alternate A/B, B/A
        for name, build in order:
            if name == "reprolint 1 changed":
                victim = full_files[(round_index * 97) % len(full_files)]
                with open(victim, "a", encoding="utf-8") as handle:
                    handle.write(f"\n# bench edit {round_index}\n")
            results[name].append(measure(build(), work))
        print(f"round {round_index + 1}/{args.rounds} done")

    def median_of(name, column=0):
        return statistics.median(run[column] for run in results[name])

    print()
    print("| measurement | files | median wall (s) | runs (s) | wall vs ruff | median CPU (s) | CPU vs ruff "
          "| peak RSS (MB) | files/s |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, _ in plan:
        runs = results[name]
        label = name.rsplit(" ", 1)[-1] if name.endswith(("1/4", "1/2")) else "all"
        count = len(trees[label][1])
        ruff_name = "ruff" if label == "all" else f"ruff {label}"
        median, cpu = median_of(name), median_of(name, 2)
        peak = max(run[1] for run in runs)
        spread = ", ".join(f"{run[0]:.2f}" for run in runs)
        print(f"| {name} | {count} | {median:.2f} | {spread} | {median / median_of(ruff_name):.2f}x | {cpu:.1f} | "
              f"{cpu / median_of(ruff_name, 2):.2f}x | {peak:.0f} | {count / median:.0f} |")
    for name, path in extras.items():
        if not path:
            print(f"\n({name} is not installed; not measured)")
    cold_name = next(name for name, _ in plan if name.startswith("reprolint cold"))
    index_cpu = project_index_cpu(trees["all"][0], trees["all"][1])
    print(f"\nproject index (pass 1, included in every reprolint row): {index_cpu:.1f} s CPU, "
          f"{index_cpu / median_of(cold_name, 2):.0%} of the cold run's CPU (target: at most 15%)")

    print("\nFiles each rule sends to the full parse (the prefilter's per-rule verdict; a file is parsed")
    print("once when any rule needs it, and only the rules that need it run on it):\n")
    parsed, per_rule = files_sent_to_parse(full)
    print(f"| rule | files | share of {len(full_files)} |")
    print("| --- | ---: | ---: |")
    for code, count in sorted(per_rule.items(), key=lambda item: -item[1]):
        print(f"| {code} | {count} | {count / len(full_files):.1%} |")
    print(f"| any rule (parsed by libcst) | {parsed} | {parsed / len(full_files):.1%} |")

    startup = startup_rows(reprolint, work, args.rounds)
    generated = generated_rows(reprolint, work, args.rounds)
    shutil.rmtree(work, ignore_errors=True)

    ruff_wall = median_of("ruff")
    peak_tree = max(run[1] for name, _ in plan if name.startswith("reprolint") for run in results[name])
    t100, t200, t400 = (generated[size][0] for size in (100, 200, 400))
    targets = [
        ("cold <= 2.0x ruff (wall)", f"{median_of(cold_name) / ruff_wall:.2f}x wall, "
         f"{median_of(cold_name, 2) / median_of('ruff', 2):.2f}x CPU", median_of(cold_name) <= 2.0 * ruff_wall),
        ("warm <= 0.05x ruff", f"{median_of('reprolint warm') / ruff_wall:.3f}x ({median_of('reprolint warm'):.2f} s)",
         median_of("reprolint warm") <= 0.05 * ruff_wall),
        ("one changed file <= 0.1x ruff", f"{median_of('reprolint 1 changed') / ruff_wall:.3f}x "
         f"({median_of('reprolint 1 changed'):.2f} s)", median_of("reprolint 1 changed") <= 0.1 * ruff_wall),
        ("single small file, cold process < 0.3 s", f"{startup['trivial']:.2f} s (a file no rule can match); "
         f"{startup['pipeline']:.2f} s (a 7-line pipeline script, analysed)", startup["trivial"] < 0.3),
        ("no libcst imported at start-up", "yes" if not startup["libcst"] else "no",  not startup["libcst"]),
        ("peak memory < 1 GB (tree)", f"{peak_tree:.0f} MB", peak_tree < 1024),
        ("400k-character file < 5 s and < 1 GB", f"{t400:.2f} s, {generated[400][1]:.0f} MB",
         t400 < 5 and generated[400][1] < 1024),
        ("cost linear in file size", f"100k -> 200k -> 400k: {t100:.2f} -> {t200:.2f} -> {t400:.2f} s "
         f"({t400 / t100:.1f}x for 4x the size)", t400 / t100 <= 4.6),
        ("project index <= 15% of the cold CPU", f"{index_cpu / median_of(cold_name, 2):.0%}",
         index_cpu <= 0.15 * median_of(cold_name, 2)),
    ]
    print("\n| target | measured (median) | met? |")
    print("| --- | --- | --- |")
    for target, measured, met in targets:
        print(f"| {target} | {measured} | {'yes' if met else '**no**'} |")
    if not args.no_lsp:
        lsp_row()


def files_sent_to_parse(tree: str) -> tuple:
    """(files libcst parses, {rule code: files whose checks that rule passes}) for a default run
    over ``tree``, in this process, with the project index the command line builds."""
    sys.path.insert(0, os.path.dirname(HERE))
    import ast as stdlib_ast

    from reprolint import prefilter
    from reprolint.engine import Linter

    linter = Linter()
    files = python_files(tree)
    linter.project = linter.index_project(files, [tree])
    names = linter.project.pipeline_names
    per_rule: dict = {}
    parsed = 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as handle:
            source = handle.read()
        passed = {rule.code for rule in prefilter.candidates(linter.selected, source, names)}
        candidates = [rule for rule in linter.rules if rule.code in passed]
        if not candidates:
            continue
        try:
            tree_ = stdlib_ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        allowed = prefilter.rules_allowed(candidates, source, tree_, names)
        parsed += bool(allowed)
        for rule in allowed:
            per_rule[rule.code] = per_rule.get(rule.code, 0) + 1
    return parsed, per_rule


SMALL_PIPELINE = """import torch
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stable-diffusion-v1-5/stable-diffusion-v1-5")
pipe = pipe.to("cuda")
image = pipe("an astronaut riding a horse").images[0]
image.save("astronaut.png")
"""


def startup_rows(reprolint: str, work: str, rounds: int) -> dict:
    """A cold process on one small file (what pre-commit runs per hook call, and an editor on
    save): a file no rule can match, and a short pipeline script that is analysed; plus the
    import cost of the command line (``python -X importtime``)."""
    folder = os.path.join(work, "single")
    os.makedirs(folder, exist_ok=True)
    samples = {"trivial": "import os\n\nprint(os.getcwd())\n", "pipeline": SMALL_PIPELINE}
    timings = {}
    for name, text in samples.items():
        path = os.path.join(folder, f"{name}.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        runs = [measure([reprolint, "check", path, "--no-cache", "--exit-zero", "-q"], folder)[0]
                for _ in range(max(5, rounds))]
        timings[name] = statistics.median(runs)
    imports = subprocess.run([sys.executable, "-X", "importtime", "-c", "import reprolint.cli"],
                             capture_output=True, text=True).stderr.splitlines()
    cli_line = next((line for line in reversed(imports) if line.rstrip().endswith("| reprolint.cli")), "")
    cumulative_ms = int(cli_line.split("|")[1]) / 1000 if cli_line else float("nan")
    timings["libcst"] = any(line.rstrip().endswith("| libcst") for line in imports)
    heaviest = sorted((line for line in imports if "|" in line and "import time:" in line and "self" not in line),
                      key=lambda line: -int(line.split("|")[1]))[1:6]
    print("\n| single file, cold process | median wall (s) |")
    print("| --- | ---: |")
    print(f"| `reprolint check trivial.py` (no rule can match) | {timings['trivial']:.2f} |")
    print(f"| `reprolint check pipeline.py` (7 lines, analysed: loads libcst and the rules) | {timings['pipeline']:.2f} |")
    print(f"\n`python -X importtime -c 'import reprolint.cli'`: {cumulative_ms:.0f} ms cumulative, libcst "
          f"{'imported' if timings['libcst'] else 'not imported'}; heaviest: "
          + ", ".join(f"{line.split('|')[2].strip()} {int(line.split('|')[1]) / 1000:.0f} ms" for line in heaviest))
    return timings


def generated_file(characters: int) -> str:
    """Generated code as real projects carry it: one long literal table, then a pipeline call."""
    lines = ["import torch", "from diffusers import DiffusionPipeline", "", "TABLE = ["]
    size, index = sum(map(len, lines)), 0
    while size < characters - 200:
        line = f"    ({index}, 'token_{index}', {index * 0.5}),"
        lines.append(line)
        size += len(line) + 1
        index += 1
    lines += ["]", "", "pipe = DiffusionPipeline.from_pretrained('m')", "image = pipe('a cat').images[0]", ""]
    return "\n".join(lines)


def generated_rows(reprolint: str, work: str, rounds: int) -> dict:
    """A generated file of 100k, 200k and 400k characters: time and peak memory must grow
    linearly, and the largest stay under 5 s and 1 GB."""
    folder = os.path.join(work, "generated")
    os.makedirs(folder, exist_ok=True)
    found = {}
    print("\n| generated file | median wall (s) | CPU (s) | peak RSS (MB) |")
    print("| --- | ---: | ---: | ---: |")
    for size in (100, 200, 400):
        path = os.path.join(folder, f"table_{size}k.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(generated_file(size * 1000))
        runs = [measure([reprolint, "check", path, "--no-cache", "--exit-zero", "-q"], folder) for _ in range(rounds)]
        wall = statistics.median(run[0] for run in runs)
        peak = max(run[1] for run in runs)
        found[size] = (wall, peak)
        print(f"| {size}k characters | {wall:.2f} | {statistics.median(run[2] for run in runs):.2f} | {peak:.0f} |")
    return found


def lsp_row() -> None:
    """The language server's row: bench/lsp.py's measurement (needs the `server` extra)."""
    if importlib.util.find_spec("pygls") is None:
        print('\n(pygls is not installed; `reprolint server` not measured: pip install -e ".[server]")')
        return
    sys.path.insert(0, HERE)
    from lsp import run as run_lsp_benchmark

    print()
    print("| measurement | median | target |")
    print("| --- | --- | --- |")
    run_lsp_benchmark()


def project_index_cpu(root: str, files: list) -> float:
    """CPU seconds of the project index's first pass over ``files``, in this process, uncached:
    the share of a cold run that the project-wide knowledge costs."""
    sys.path.insert(0, os.path.dirname(HERE))
    from reprolint.semantic.project import build

    start = time.process_time()
    build(files, [root])
    return time.process_time() - start


if __name__ == "__main__":
    main()
