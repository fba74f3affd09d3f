"""Benchmark reprolint against ruff on a real tree (default: the installed diffusers source).

    python bench/run.py [CORPUS] [--rounds 3] [--jobs N]

Every round runs each measurement once, alternating tools (A/B), so a machine that slows down
mid-run slows every tool alike; the table reports medians over rounds. Measured:

- reprolint cold (``--no-cache``), warm (cache filled, nothing changed), and warm with one file
  changed (a different file edited before each round);
- ``ruff check --select ALL --no-cache --isolated`` on the same tree;
- TorchFix and Fixit when their commands are installed;
- scaling: reprolint cold and ruff on 1/4, 1/2 and the whole corpus (every 4th / 2nd file);
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
    copied = []
    for path in files[::step]:
        destination = os.path.join(target, os.path.relpath(path, root))
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
    shutil.rmtree(work, ignore_errors=True)
    if not args.no_lsp:
        lsp_row()


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
