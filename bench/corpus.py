"""tsafe-lint on a fixed real-world corpus: crashes, findings per rule, findings per kloc.

The corpus (bench/corpus.toml) is the running interpreter's standard library plus pinned
thread-heavy PyPI packages, fetched as sdists into a cache directory outside the
repository. Run:

    python bench/corpus.py [--corpus FILE] [--results FILE] [--cache-dir DIR]
                           [--only NAME ...] [--jobs N] [--blind]

Missing sdists are downloaded with ``pip download --no-deps --no-binary NAME`` and
unpacked; each package is then linted by the ``tsafe-lint`` console script next to
``sys.executable`` with ``--select TS --format json --no-cache`` (working directory: the
package's root, so every reported path is relative to it). The summary is printed and
saved to ``--results`` (default bench/results/STEM.md for corpus file STEM.toml, so
bench/results/corpus.md for the default corpus); the raw findings go to the cache
directory, where bench/triage.py reads them, in a file named after the corpus file
(``findings.json`` for corpus.toml, ``validation-findings.json`` for validation.toml), so
runs of different corpora never overwrite each other.

``--corpus`` picks another corpus file of the same format; the standard library is linted
only when the file has a ``[stdlib]`` section. ``--blind`` prints only what shows whether
the runs worked (files, lines, TS001/TS002 counts, abnormal exits, stderr), nothing about
the findings, and writes no summary (it would count findings per rule), only the raw file,
under a name of its own that bench/triage.py does not read (``validation-blind-findings.json``
for validation.toml): for the validation set (bench/validation.toml), whose findings stay
unseen until the final triage.

The cache directory is, in order: ``--cache-dir``, ``$TSAFE_LINT_CORPUS_CACHE``,
``$XDG_CACHE_HOME/tsafe-lint-corpus``, ``~/.cache/tsafe-lint-corpus``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from pathlib import Path
from typing import Any

from dists import (
    canonical,
    count_lines,
    download,
    isolating_config,
    launcher,
    resolve_cache_dir,
    select_files,
    tool_version,
    unpack,
)

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = HERE / "corpus.toml"
REPORT = HERE / "results" / "corpus.md"
STDLIB = "stdlib"
STDERR_LINES = 40


# -- configuration -------------------------------------------------------------------------
def load_corpus(path: Path = CORPUS) -> tuple[list[dict[str, Any]], list[str]]:
    """The packages (the stdlib first, when the file has a [stdlib] section) and the
    default excludes."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    defaults = list(data.get("defaults", {}).get("exclude", []))
    entries: list[dict[str, Any]] = []
    if "stdlib" in data:
        entries.append(
            {
                "name": STDLIB,
                "version": platform.python_version(),
                "paths": ["."],
                "exclude": [*defaults, *data["stdlib"].get("exclude", [])],
            }
        )
    for package in data.get("package", []):
        entries.append(
            {
                "name": package["name"],
                "version": package["version"],
                "paths": list(package["paths"]),
                "exclude": [*defaults, *package.get("exclude", [])],
            }
        )
    return entries, defaults


def findings_name(corpus: Path, evidence: list[str] | None = None, blind: bool = False) -> str:
    """The raw findings file in the cache for this corpus file: ``findings.json`` for the
    default corpus (the name bench/triage.py has always read), ``STEM-findings.json`` else;
    with opt-in evidence kinds, ``STEM-extended-findings.json`` (never the defaults' file).
    A blind run writes ``STEM[-extended]-blind-findings.json``, a name no script reads by
    default: it must neither replace the findings a triage reads (those of the set before,
    in a shared cache) nor put an unseen set's findings where a triage would show them."""
    stem = f"{corpus.stem}{'-extended' if evidence else ''}"
    if blind:
        return f"{stem}-blind-findings.json"
    if not evidence and corpus.stem == CORPUS.stem:
        return "findings.json"
    return f"{stem}-findings.json"


def results_name(corpus: Path, evidence: list[str] | None = None) -> Path:
    """The default summary for this corpus file: bench/results/corpus.md for the default
    corpus, bench/results/STEM.md else (so another corpus never overwrites corpus.md);
    bench/results/STEM-extended.md with opt-in evidence kinds."""
    return REPORT.with_name(f"{corpus.stem}{'-extended' if evidence else ''}.md")


def shown(path: Path) -> str:
    """``path`` relative to the repository when inside it, for messages and reports."""
    resolved = path.resolve()
    return resolved.relative_to(REPO).as_posix() if REPO in resolved.parents else str(path)


def run_command(corpus: Path, evidence: list[str] | None = None) -> str:
    """The command that reproduces a run of ``corpus``, as the reports quote it."""
    words = ["python bench/corpus.py"]
    if corpus.resolve() != CORPUS:
        words.append(f"--corpus {shown(corpus)}")
    if evidence:
        words.append(f"--extend-evidence {' '.join(evidence)}")
    return " ".join(words)


# -- selecting and linting -------------------------------------------------------------------
def stdlib_copy(cache: Path) -> Path:
    """A copy of the running interpreter's standard library in the cache: the run writes
    its configuration into the linted tree (see ``isolating_config``), never into the
    interpreter's own files."""
    target = cache / "src" / f"stdlib-{platform.python_version()}"
    if not target.is_dir():
        source = Path(sysconfig.get_paths()["stdlib"])
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        ignore = shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc")
        shutil.copytree(source, partial, ignore=ignore, symlinks=True)
        partial.rename(target)
    return target


def lint(root: Path, files: list[str], config: Path, jobs: int | None) -> dict[str, Any]:
    command = [*launcher(), "--select", "TS", "--format", "json", "--no-cache"]
    command += ["--config", str(config)]
    if jobs:
        command += ["--jobs", str(jobs)]
    start = time.perf_counter()
    done = subprocess.run([*command, *files], cwd=root, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    findings: list[dict[str, Any]] = []
    problem = ""
    if done.returncode in (0, 1):
        try:
            findings = json.loads(done.stdout or "[]")
        except json.JSONDecodeError as exc:
            problem = f"output is not JSON: {exc}"
    else:
        problem = f"exit status {done.returncode}"
    return {
        "seconds": round(seconds, 2),
        "returncode": done.returncode,
        "stderr": done.stderr,
        "problem": problem,
        "findings": findings,
    }


# -- reporting -------------------------------------------------------------------------------
def rule_defaults() -> dict[str, bool]:
    try:
        from tsafe_lint.codes import ENGINE_CODES, RULE_CODES
    except ImportError:  # pragma: no cover - run without the package installed
        return {}
    return {**{c: True for c in ENGINE_CODES}, **{c: d for c, (_, d) in RULE_CODES.items()}}


def per_kloc(count: int, lines: int) -> str:
    return f"{count * 1000 / lines:.3f}" if lines else "-"


def by_rule(findings: list[dict[str, Any]]) -> Counter[str]:
    return Counter(f["code"] for f in findings)


def rules_cell(counts: Counter[str]) -> str:
    return ", ".join(f"{code}: {n}" for code, n in sorted(counts.items())) or "0"


def failed(entry: dict[str, Any]) -> bool:
    return bool(entry.get("problem")) or bool(entry.get("stderr", "").strip())


def render(results: dict[str, Any], order: list[str], corpus: Path = CORPUS) -> str:
    entries = [(name, results["packages"][name]) for name in order if name in results["packages"]]
    lines_total = sum(e["lines"] for _, e in entries)
    files_total = sum(e["files"] for _, e in entries)
    seconds_total = sum(e["seconds"] for _, e in entries)
    everything = [f for _, e in entries for f in e["findings"]]
    totals = by_rule(everything)
    defaults = rule_defaults()
    title = "the real-world corpus" if corpus.resolve() == CORPUS else shown(corpus)
    out = [
        f"# tsafe-lint on {title}",
        "",
        f"Measured {results['date']} by `{run_command(corpus, results.get('evidence'))}` "
        f"with {results['tool']}, "
        f"Python {results['python']} on {results['machine']}.",
        "Each package is linted in one run of `tsafe-lint --select TS --format json "
        "--no-cache FILES` (default jobs) from the package's root; files exclude "
        f"tests, docs and examples ({shown(corpus)}). Lines are physical lines.",
        "",
        "| package | version | files | lines | seconds | findings | per kloc | TS001 | TS002 "
        "| findings per rule |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, e in entries:
        counts = by_rule(e["findings"])
        rules = Counter({c: n for c, n in counts.items() if c not in ("TS001", "TS002")})
        out.append(
            f"| {name} | {e['version']} | {e['files']:,} | {e['lines']:,} | {e['seconds']:.2f} "
            f"| {len(e['findings'])} | {per_kloc(len(e['findings']), e['lines'])} "
            f"| {counts['TS001']} | {counts['TS002']} | {rules_cell(rules)} |"
        )
    out.append(
        f"| **total** | | {files_total:,} | {lines_total:,} | {seconds_total:.2f} "
        f"| {len(everything)} | {per_kloc(len(everything), lines_total)} "
        f"| {totals['TS001']} | {totals['TS002']} | |"
    )
    out += [
        "",
        "## Findings per rule",
        "",
        "| code | default | findings | per kloc |",
        "| --- | --- | ---: | ---: |",
    ]
    for code in sorted(set(defaults) | set(totals)):
        default = {True: "on", False: "off"}.get(defaults.get(code), "?")
        out.append(
            f"| {code} | {default} | {totals[code]} | {per_kloc(totals[code], lines_total)} |"
        )
    on = sum(n for c, n in totals.items() if defaults.get(c) and c not in ("TS001", "TS002"))
    out.append("")
    out.append(
        f"Default-on rules: {on} findings, {per_kloc(on, lines_total)} per 1,000 lines "
        f"({lines_total:,} lines)."
    )
    out += ["", "## TS001 (could not parse) and TS002 (internal error)", ""]
    engine = [(n, f) for n, e in entries for f in e["findings"] if f["code"] in ("TS001", "TS002")]
    if not engine:
        out.append("None.")
    for name, f in engine:
        out.append(f"- {name}: `{f['path']}:{f['line']}` {f['code']} {f['message']}")
    out += ["", "## Tracebacks, stderr and abnormal exits", ""]
    bad = [(name, e) for name, e in entries if failed(e)]
    if not bad:
        out.append("None: every run exited 0 or 1 with JSON on stdout and nothing on stderr.")
    for name, e in bad:
        out.append(f"- {name}: exit status {e['returncode']}. {e.get('problem', '')}")
        stderr = e.get("stderr", "").strip().splitlines()
        if stderr:
            out += ["", "  ```", *(f"  {line}" for line in stderr[-STDERR_LINES:]), "  ```"]
    missing = [name for name in order if name not in results["packages"]]
    if missing:
        out += ["", f"Not run (download failed or not selected): {', '.join(missing)}."]
    errors = results.get("download_errors", {})
    for name, message in sorted(errors.items()):
        out += ["", f"- {name}: download failed:", "", "  ```", f"  {message}", "  ```"]
    return "\n".join(out) + "\n"


def run_state(entry: dict[str, Any]) -> str:
    """``ok`` for a run that exited 0 or 1 with JSON and nothing on stderr (0 and 1 are not
    told apart: that would tell whether the package has findings), else what went wrong."""
    if not failed(entry):
        return "ok"
    return entry.get("problem") or f"exit status {entry['returncode']}, output on stderr"


def render_blind(results: dict[str, Any], order: list[str]) -> str:
    """What shows whether the runs worked, and nothing about the findings: per package the
    files, lines, TS001/TS002 counts and the state of the run, then any stderr."""
    entries = [(name, results["packages"][name]) for name in order if name in results["packages"]]
    out = ["| package | version | files | lines | TS001 | TS002 | run |"]
    out.append("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for name, e in entries:
        counts = by_rule(e["findings"])
        out.append(
            f"| {name} | {e['version']} | {e['files']:,} | {e['lines']:,} | {counts['TS001']} "
            f"| {counts['TS002']} | {run_state(e)} |"
        )
    files = sum(e["files"] for _, e in entries)
    lines = sum(e["lines"] for _, e in entries)
    engine = by_rule(f for _, e in entries for f in e["findings"])
    bad = sum(1 for _, e in entries if failed(e))
    state = "ok" if not bad else f"{bad} failed"
    out.append(
        f"| **total** | | {files:,} | {lines:,} | {engine['TS001']} | {engine['TS002']} | {state} |"
    )
    for name, e in entries:
        stderr = e.get("stderr", "").strip().splitlines()
        if stderr:
            out += ["", f"- {name}: stderr", ""]
            out += [f"  {line}" for line in stderr[-STDERR_LINES:]]
    missing = [name for name in order if name not in results["packages"]]
    if missing:
        out += ["", f"Not run (download failed or not selected): {', '.join(missing)}."]
    return "\n".join(out) + "\n"


# -- main -------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="default: bench/corpus.toml")
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="default: bench/results/STEM.md for corpus file STEM.toml",
    )
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these packages")
    parser.add_argument("--jobs", type=int, default=None, help="passed to tsafe-lint")
    parser.add_argument(
        "--blind",
        action="store_true",
        help="print files, lines, TS001/TS002 and abnormal exits only, no findings",
    )
    parser.add_argument(
        "--extend-evidence",
        nargs="+",
        metavar="KIND",
        help="opt-in evidence kinds to turn on (extend-evidence in the configuration)",
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        parser.error(f"no corpus file {args.corpus}")
    results_path: Path = args.results or results_name(args.corpus, args.extend_evidence)

    try:
        cache = resolve_cache_dir(args.cache_dir)
    except ValueError as exc:
        parser.error(str(exc))
    (cache / "sdists").mkdir(parents=True, exist_ok=True)
    (cache / "src").mkdir(parents=True, exist_ok=True)

    entries, _ = load_corpus(args.corpus)
    order = [e["name"] for e in entries]
    wanted = {canonical(n) for n in args.only} if args.only else None
    if wanted is not None:
        unknown = wanted - {canonical(n) for n in order}
        if unknown:
            parser.error(f"not in {shown(args.corpus)}: {', '.join(sorted(unknown))}")

    raw_path = cache / findings_name(args.corpus, args.extend_evidence, args.blind)
    results: dict[str, Any] = {"packages": {}, "download_errors": {}}
    if wanted is not None and raw_path.is_file():  # a partial run updates the last results
        previous = json.loads(raw_path.read_text())
        versions = {e["name"]: e["version"] for e in entries}
        results["packages"] = {
            n: e for n, e in previous.get("packages", {}).items() if versions.get(n) == e["version"]
        }
    results.update(
        evidence=args.extend_evidence or [],
        date=datetime.date.today().isoformat(),
        tool=tool_version(),
        python=platform.python_version(),
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs",
    )

    for entry in entries:
        name, version = entry["name"], entry["version"]
        if wanted is not None and canonical(name) not in wanted:
            continue
        if name == STDLIB:
            root = stdlib_copy(cache)
        else:
            archive, error = download(name, version, cache / "sdists")
            if archive is None:
                results["download_errors"][name] = error
                results["packages"].pop(name, None)
                print(f"{name}: download failed", file=sys.stderr)
                continue
            root = unpack(archive, cache / "src" / f"{canonical(name)}-{version}")
        files = select_files(root, entry["paths"], entry["exclude"])
        print(f"{name} {version}: linting {len(files)} files", file=sys.stderr)
        config = isolating_config(root, entry["exclude"], args.extend_evidence)
        outcome = lint(root, files, config, args.jobs) if files else None
        if outcome is None:
            outcome = {"seconds": 0.0, "returncode": 0, "stderr": "", "findings": []}
            outcome["problem"] = f"no files selected: check paths in {shown(args.corpus)}"
        results["packages"][name] = {
            "version": version,
            "root": str(root),
            "paths": entry["paths"],
            "files": len(files),
            "lines": count_lines(root, files),
            "file_list": files,
            **outcome,
        }

    raw_path.write_text(json.dumps(results, indent=1) + "\n")
    report = render(results, order, args.corpus)
    if args.blind:  # the summary counts findings per rule: it stays unwritten and unseen
        print(render_blind(results, order))
        print(f"raw findings (unseen until the triage): {raw_path}", file=sys.stderr)
    else:
        print(report)
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(report)
        print(f"saved {shown(results_path)}; raw findings: {raw_path}", file=sys.stderr)
    bad = [n for n, e in results["packages"].items() if failed(e)]
    return 1 if bad or results["download_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
