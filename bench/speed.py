"""Speed and memory of tsafe-lint on the CPython standard library (and extra directories).

Every figure is a ratio against a floor measured in the same run (``ast.parse`` of the
same files in one process), so a busy machine moves both together. Run:

    python bench/speed.py [--repeat 3] [--extra DIR ...] [--no-sample] [--write]

``--write`` saves the table to bench/results/speed.md; ``--no-sample`` skips the sample
of named files (each linted alone with a cold cache), the longest part of a run. The
corpus is a copy of the running interpreter's ``Lib/`` without ``test/`` and
``site-packages`` (copied to a temporary directory, so the cache and the one-file edit
never touch the real one). The tool runs as installed, with its bytecode cached
(``PYTHONDONTWRITEBYTECODE`` is dropped from its environment).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

HERE = Path(__file__).resolve().parent
TARGETS = {"cold": 4.0, "warm": 0.3, "one file changed": 0.5}
#: A file at the edge of the standard library's import graph (see ``measure``).
EDGE_FILE = "colorsys.py"
MEMORY_LIMIT_MB = 300
#: How many named files the sample lints alone, each with a cold cache.
SAMPLE_SIZE = 24
#: The multiples of the whole tree warm the sample is counted against.
SAMPLE_BOUNDS = (3.0, 5.0)

T = TypeVar("T")


def evenly_spaced(items: Sequence[T], count: int) -> list[T]:
    """``count`` items at even steps through ``items``, the middle one of each of
    ``count`` equal slices: a sample that covers the whole (sorted) range and is the
    same on every run, without randomness. All of them when there are no more."""
    if count <= 0:
        return []
    if count >= len(items):
        return list(items)
    return [items[(2 * index + 1) * len(items) // (2 * count)] for index in range(count)]


def percentile(values: Sequence[float], rank: float) -> float:
    """The ``rank``-th percentile (0 to 100) of ``values``, interpolated between the two
    nearest values (numpy's default), so the 50th is the median."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= rank <= 100:
        raise ValueError(f"percentile rank {rank} is not between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * rank / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def distribution(multiples: Sequence[float]) -> dict[str, float]:
    """What a user naming one file sees, from a sample of multiples of the whole tree
    warm: the median, 75th and 90th percentiles, the largest, and how many are within
    each of ``SAMPLE_BOUNDS``."""
    summary = {
        "median": percentile(multiples, 50),
        "75th": percentile(multiples, 75),
        "90th": percentile(multiples, 90),
        "max": max(multiples),
    }
    for bound in SAMPLE_BOUNDS:
        summary[f"within {bound:g}x"] = sum(1 for value in multiples if value <= bound)
    return summary


def copy_stdlib(destination: Path) -> Path:
    lib = Path(sysconfig.get_paths()["stdlib"])
    for path in lib.rglob("*.py"):
        relative = path.relative_to(lib)
        if relative.parts[0] in ("test", "site-packages"):
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return destination


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".tsafe_lint_cache" not in p.parts)


def ast_floor(files: list[Path]) -> float:
    sources = [p.read_bytes() for p in files]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for source in sources:
            with contextlib.suppress(SyntaxError, ValueError, RecursionError, MemoryError):
                ast.parse(source)
    return time.perf_counter() - start


def libcst_floor(files: list[Path]) -> float:
    import libcst

    sources = [p.read_bytes() for p in files]
    start = time.perf_counter()
    for source in sources:
        with contextlib.suppress(Exception):  # a floor, not a linter
            libcst.parse_module(source)
    return time.perf_counter() - start


def run_tool(root: Path, *args: str, paths: tuple[str, ...] = (".",)) -> tuple[float, str, float]:
    """Wall time, output and peak RSS (MB, largest process of the run) of one run."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "elapsed = time.perf_counter() - start\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "sys.stdout.write(f'{elapsed} {peak}\\n' + done.stdout)\n"
    )
    # The console script, as users run it: ``python -m`` would put the corpus directory
    # (a copy of Lib/) first on sys.path and import the corpus's threading.py & co.
    script = Path(sys.executable).with_name("tsafe-lint")
    launcher = [str(script)] if script.exists() else [sys.executable, "-P", "-m", "tsafe_lint"]
    tool = [*launcher, *paths, "--exit-zero", *args]
    done = subprocess.run(
        [sys.executable, "-c", probe, *tool],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env=_as_installed(),
    )
    header, _, output = done.stdout.partition("\n")
    elapsed, peak_kb = header.split()
    return float(elapsed), output, int(peak_kb) / 1024


def _as_installed() -> dict[str, str]:
    """The environment for the tool's runs, with bytecode caching allowed: an installed
    package has its ``.pyc`` files (pip compiles them), so a run imports compiled code. A
    shell that sets ``PYTHONDONTWRITEBYTECODE`` would otherwise make every run of an
    editable install compile the tool's modules again (a tenth of a second a run)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def best_of(repeat: int, measure) -> float:  # type: ignore[no-untyped-def]
    return min(measure() for _ in range(repeat))


def per_file_costs(files: list[Path]) -> tuple[float, float, float, Path]:
    """Full analysis time of each file in-process (no pre-filter: every file parsed with
    LibCST and analysed): the slowest file, and ms per 1,000 lines of the largest file
    against the median file's."""
    from tsafe_lint.module_names import module_name
    from tsafe_lint.pipeline import analyse_source

    costs = []
    slowest = 0.0
    for path in files:
        source = path.read_bytes()
        lines = max(source.count(b"\n"), 1)
        start = time.perf_counter()
        result = analyse_source(source, str(path), module_name(str(path)))
        elapsed = time.perf_counter() - start
        slowest = max(slowest, elapsed)
        if not any(d.code == "TS001" for d in result.diagnostics):  # analysed in full
            costs.append((elapsed, lines, path))
    per_kloc = [cost / lines * 1e6 for cost, lines, _ in costs if lines >= 50]
    largest = max(costs, key=lambda item: item[1])
    return slowest, largest[0] / largest[1] * 1e6, statistics.median(per_kloc), largest[2]


def connected_files(root: Path, named: Path) -> list[str]:
    """The files a run on ``named`` analyses (its part of the import graph, among the
    files tsafe-lint discovers in ``root``)."""
    from tsafe_lint.config import Config
    from tsafe_lint.discovery import discover
    from tsafe_lint.module_names import module_name
    from tsafe_lint.project.related import related_files

    paths = sorted(discover([str(root)], Config(root=root)))
    modules = {p: module_name(p) for p in paths}
    sources: dict[str, bytes | None] = {p: Path(p).read_bytes() for p in paths}
    return related_files(paths, [str(named)], modules, sources)


def compare_tool(root: Path, command: list[str]) -> float | None:
    if shutil.which(command[0]) is None:
        return None
    start = time.perf_counter()
    subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--extra", action="append", default=[], help="another directory")
    parser.add_argument("--write", action="store_true", help="save bench/results/speed.md")
    parser.add_argument("--skip-libcst", action="store_true", help="skip the LibCST floor")
    parser.add_argument(
        "--no-sample", action="store_true", help="skip the sample of named files, cold"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        corpora = [("stdlib", copy_stdlib(Path(scratch) / "stdlib"))]
        for extra in options.extra:
            target = Path(scratch) / Path(extra).name
            shutil.copytree(extra, target)
            corpora.append((Path(extra).name, target))
        report = [measure(name, root, options) for name, root in corpora]
    text = render(report)
    print(text)
    if options.write:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "speed.md").write_text(text, encoding="utf-8")
    return 0 if all(row["ok"] for row in report) else 1


def measure(name: str, root: Path, options: argparse.Namespace) -> dict[str, object]:
    files = python_files(root)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    floor = best_of(options.repeat, lambda: ast_floor(files))
    cst = None if options.skip_libcst else libcst_floor(files)
    cache = root / ".tsafe_lint_cache"

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return run_tool(root)[0]

    cold_time = best_of(options.repeat, cold)
    _, cold_output, cold_peak = run_tool(root, "--no-cache")
    warm_time, warm_output, warm_peak = min(run_tool(root) for _ in range(options.repeat))
    victim = max(files, key=lambda p: p.stat().st_size // 2 if "threading" in p.name else 0)

    def one_changed() -> float:
        with victim.open("a", encoding="utf-8") as handle:
            handle.write("\n# edited by bench/speed.py\n")
        return run_tool(root)[0]

    changed_time = best_of(options.repeat, one_changed)
    jobs1_time, jobs1_output, jobs1_peak = run_tool(root, "--no-cache", "--jobs", "1")
    jobs2_output = run_tool(root, "--no-cache", "--jobs", "2")[1]
    same = cold_output == warm_output == jobs1_output == jobs2_output
    # One named file (pre-commit, an editor, CI on changed files): the files connected
    # to it by imports are analysed for their facts. threading.py is connected to most of
    # the library; colorsys.py is at the edge of the import graph (it imports nothing of
    # the library and nothing outside test/ imports it): the two ends of the range.
    hub_component = connected_files(root, victim)
    # No design that reads the hub's component can be cheaper cold than parsing it.
    hub_floor = best_of(options.repeat, lambda: ast_floor([Path(p) for p in hub_component]))
    named_runs = {}
    for label, named_path in (("threading", victim), ("edge", root / EDGE_FILE)):
        if not named_path.exists():
            continue
        named = named_path.relative_to(root).as_posix()

        def named_cold(named: str = named) -> float:
            shutil.rmtree(cache, ignore_errors=True)
            return run_tool(root, paths=(named,))[0]

        cold_named = best_of(options.repeat, named_cold)
        warm_named, named_output, _ = min(
            run_tool(root, paths=(named,)) for _ in range(options.repeat)
        )
        whole_of_named = [line for line in warm_output.splitlines() if line.startswith(named + ":")]
        same = same and named_output.splitlines() == whole_of_named
        named_runs[label] = {
            "file": named,
            "cold": cold_named,
            "warm": warm_named,
            "analysed": len(connected_files(root, named_path)),
        }
    sample = [] if options.no_sample else sample_runs(root, files, warm_output)
    same = same and all(run["same"] for run in sample)
    slowest, largest_kloc, median_kloc, largest = per_file_costs(files)
    ratios = {
        "cold": cold_time / floor,
        "warm": warm_time / floor,
        "one file changed": changed_time / floor,
        "jobs 1": jobs1_time / floor,
    }
    peak = max(cold_peak, warm_peak, jobs1_peak)
    ok = (
        all(ratios[k] <= TARGETS[k] for k in TARGETS)
        and peak < MEMORY_LIMIT_MB
        and same
        and slowest <= 2.0
        and largest_kloc <= 3 * median_kloc
    )
    return {
        "name": name,
        "files": len(files),
        "lines": lines,
        "floor": floor,
        "libcst": cst,
        "cold": cold_time,
        "warm": warm_time,
        "changed": changed_time,
        "jobs1": jobs1_time,
        "named_runs": named_runs,
        "hub_floor": hub_floor,
        "hub_files": len(hub_component),
        "hub_file": victim.relative_to(root).as_posix(),
        "sample": sample,
        "ratios": ratios,
        "peak": peak,
        "same": same,
        "slowest": slowest,
        "largest_kloc": largest_kloc,
        "median_kloc": median_kloc,
        "largest": largest.name,
        "findings": len(cold_output.splitlines()),
        "ruff": compare_tool(root, ["ruff", "check", "--select", "ALL", "--no-cache", "."]),
        "pylint": compare_tool(root, ["pylint", "--jobs=2", "--disable=all", "--enable=W", "."]),
        "ok": ok,
    }


def sample_runs(root: Path, files: list[Path], whole_output: str) -> list[dict[str, object]]:
    """Each file of an evenly spaced sample linted alone with a cold cache (one run
    each): its component's size, the seconds, and whether it reports what the whole
    tree reports for it."""
    cache = root / ".tsafe_lint_cache"
    runs: list[dict[str, object]] = []
    for path in evenly_spaced(files, SAMPLE_SIZE):
        named = path.relative_to(root).as_posix()
        shutil.rmtree(cache, ignore_errors=True)
        seconds, output, _ = run_tool(root, paths=(named,))
        whole = [line for line in whole_output.splitlines() if line.startswith(named + ":")]
        runs.append(
            {
                "file": named,
                "analysed": len(connected_files(root, path)),
                "cold": seconds,
                "same": output.splitlines() == whole,
            }
        )
    return runs


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def named_rows(row: dict[str, object]) -> list[str]:
    """Table rows for each named file: seconds, ratio to ast.parse, multiple of the whole
    tree warm (the issue's yardstick: "a small multiple" of it)."""
    runs, floor, warm = row["named_runs"], row["floor"], row["warm"]
    assert isinstance(runs, dict) and isinstance(floor, float) and isinstance(warm, float)
    out = []
    for run in runs.values():
        for state in ("cold", "warm"):
            seconds = run[state]
            out.append(
                f"| one named file ({run['file']}: {plural(run['analysed'], 'file')} analysed), "
                f"{state} cache | {seconds:.2f} | {seconds / floor:.2f} "
                f"| {seconds / warm:.1f}x the whole tree warm |"
            )
    return out


def hub_floor_row(row: dict[str, object]) -> str:
    seconds, floor, warm, files = row["hub_floor"], row["floor"], row["warm"], row["hub_files"]
    assert isinstance(seconds, float) and isinstance(floor, float) and isinstance(warm, float)
    assert isinstance(files, int)
    return (
        f"| `ast.parse` of {row['hub_file']}'s component ({plural(files, 'file')}, "
        f"one process): the floor of any cold run on it | {seconds:.2f} | "
        f"{seconds / floor:.2f} | {seconds / warm:.1f}x the whole tree warm |"
    )


def sample_section(row: dict[str, object]) -> list[str]:
    """The sample of named files, cold: the distribution of their multiples of the whole
    tree warm, then one row per file."""
    sample, warm = row["sample"], row["warm"]
    assert isinstance(sample, list) and isinstance(warm, float)
    if not sample:
        return []
    multiples = [run["cold"] / warm for run in sample]
    summary = distribution(multiples)
    counts = ", ".join(
        f"{summary[f'within {bound:g}x']:.0f} within {bound:g}x" for bound in SAMPLE_BOUNDS
    )
    out = [
        f"### One named file, cold cache: {len(sample)} files of the {row['files']}",
        "",
        "Evenly spaced through the sorted file list (no randomness), each linted alone "
        "after removing the cache (one run each); the multiple is of the whole tree warm.",
        "",
        f"- multiple of the whole tree warm: median {summary['median']:.1f}x, "
        f"75th percentile {summary['75th']:.1f}x, 90th percentile {summary['90th']:.1f}x, "
        f"max {summary['max']:.1f}x",
        f"- of the {len(sample)}: {counts}",
        "",
        "| file | files analysed | cold seconds | multiple of the whole tree warm |",
        "| --- | ---: | ---: | ---: |",
    ]
    for run, multiple in zip(sample, multiples):
        out.append(f"| {run['file']} | {run['analysed']} | {run['cold']:.2f} | {multiple:.1f}x |")
    return [*out, ""]


def render(report: list[dict[str, object]]) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    out = [
        "# tsafe-lint speed",
        "",
        f"Measured {datetime.date.today().isoformat()} on {machine} by `python bench/speed.py`.",
        "Times are the best of the repeats, in seconds; ratios are against `ast.parse` of",
        "the same files in one process, measured in the same run (targets: cold <= 4x,",
        f"warm <= 0.3x, one file changed <= 0.5x; peak memory < {MEMORY_LIMIT_MB} MB).",
        "",
    ]
    for row in report:
        ratios = row["ratios"]
        floor = row["floor"]
        assert isinstance(ratios, dict) and isinstance(floor, float)
        cst = row["libcst"]
        out += [
            f"## {row['name']}: {row['files']} files, {row['lines']:,} lines",
            "",
            "| measure | seconds | ratio to ast.parse | target |",
            "| --- | ---: | ---: | ---: |",
            f"| `ast.parse` floor (one process) | {row['floor']:.2f} | 1.00 | |",
        ]
        if isinstance(cst, float):
            ratio = cst / floor
            out.append(f"| LibCST parse floor (one process) | {cst:.2f} | {ratio:.2f} | |")
        out += [
            f"| cold (no cache, default jobs) | {row['cold']:.2f} | {ratios['cold']:.2f} | 4.0 |",
            f"| warm (cache, nothing changed) | {row['warm']:.2f} | {ratios['warm']:.2f} | 0.3 |",
            f"| one file changed | {row['changed']:.2f} | {ratios['one file changed']:.2f} | 0.5 |",
            f"| `--jobs 1`, no cache | {row['jobs1']:.2f} | {ratios['jobs 1']:.2f} | |",
            *named_rows(row),
            hub_floor_row(row),
        ]
        for tool in ("ruff", "pylint"):
            value = row[tool]
            if isinstance(value, float):
                ratio = value / floor
                out.append(f"| {tool} (for comparison) | {value:.2f} | {ratio:.2f} | |")
        out += [
            "",
            f"- peak memory (largest process): {row['peak']:.0f} MB",
            f"- output identical with and without cache, `--jobs 1` and `--jobs 2`, and for "
            f"each named file alone (the sample's too): {row['same']}",
            "- a named file is analysed with the files connected to it by imports "
            "(docs/architecture.md): threading.py's part is most of the library, "
            f"{EDGE_FILE}'s is itself",
            f"- slowest single file: {row['slowest']:.2f} s (limit 2 s)",
            f"- ms per 1,000 lines, full analysis: largest analysable file ({row['largest']}) "
            f"{row['largest_kloc']:.0f}, median file {row['median_kloc']:.0f} (limit 3x)",
            f"- findings: {row['findings']}",
            f"- all targets met: {row['ok']}",
            "",
            *sample_section(row),
        ]
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
