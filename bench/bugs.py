"""Recall of tsafe-lint on real thread-safety bugs fixed in released PyPI packages.

The bugs are listed in bench/bugs/bugs.toml (schema and scoring: bench/bugs/README.md).
For every bug the last release that has it and the first that fixes it are fetched
(sdist, or wheel when ``dist = "wheel"``) into the cache directory of bench/corpus.py,
unpacked, and linted whole by the ``tsafe-lint`` console script next to
``sys.executable`` with ``--format json --no-cache --exit-zero`` (default rules unless
``--select``), one run per release shared by the bugs that need it. Run:

    python bench/bugs.py [--only ID ...] [--cache-dir DIR] [--select CODES]
                         [--extend-evidence KIND ...]

It writes bench/results/bugs.md and keeps the raw findings in ``bugs-findings.json`` in
the cache directory. It exits 0 whatever it measures; 1 when a release could not be
downloaded or linted (named on stderr), 2 when bugs.toml or misses.toml is malformed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bugs_data import BUGS, MISSES, DataError, load_bugs, load_reasons, stale_reasons
from bugs_report import NO_REASON, render
from bugs_scoring import FOUND, MISSED, Outcome, Run, score
from corpus import load_corpus
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REPORT = HERE / "results" / "bugs.md"
RAW = "bugs-findings.json"

Release = tuple[str, str, str]  # (package, version, dist)


def lint_command(config: Path, select: str | None) -> list[str]:
    command = [*launcher(), "--format", "json", "--no-cache", "--exit-zero"]
    command += ["--config", str(config)]
    return command + (["--select", select] if select else [])


def lint_release(
    release: Release,
    cache: Path,
    select: str | None,
    excludes: list[str],
    evidence: list[str] | None = None,
) -> Run:
    """Fetch, unpack and lint one release; a Run with ``error`` set when that failed."""
    package, version, dist = release
    run = Run(package, version, dist)
    wheel = dist == "wheel"
    archive, problem = download(package, version, cache / ("wheels" if wheel else "sdists"), wheel)
    if archive is None:
        run.error = f"download failed: {problem.splitlines()[-1] if problem else 'no archive'}"
        return run
    suffix = "-wheel" if wheel else ""
    try:
        run.root = unpack(archive, cache / "src" / f"{canonical(package)}-{version}{suffix}")
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        run.error = f"cannot unpack {archive.name}: {exc}"
        return run
    run.files = select_files(run.root, ["."], excludes)
    run.lines = count_lines(run.root, run.files)
    print(f"{package} {version}: linting {len(run.files)} files", file=sys.stderr)
    lint_files(run, isolating_config(run.root, excludes, evidence), select)
    return run


def lint_files(run: Run, config: Path, select: str | None) -> None:
    """Lint ``run.files`` from ``run.root``: fill in the findings, or ``error``."""
    if not run.files or run.root is None:
        return
    start = time.perf_counter()
    done = subprocess.run(
        [*lint_command(config, select), *run.files], cwd=run.root, capture_output=True, text=True
    )
    run.seconds = round(time.perf_counter() - start, 2)
    run.returncode, run.stderr = done.returncode, done.stderr
    if done.returncode != 0:
        run.error = f"tsafe-lint exit status {done.returncode}"
        return
    try:
        run.findings = json.loads(done.stdout or "[]")
    except json.JSONDecodeError as exc:
        run.error = f"tsafe-lint output is not JSON: {exc}"


def save_raw(path: Path, header: dict[str, str], runs: list[Run]) -> None:
    def plain(run: Run) -> dict[str, Any]:
        return {**asdict(run), "root": str(run.root) if run.root else None}

    path.write_text(json.dumps({**header, "runs": [plain(r) for r in runs]}, indent=1) + "\n")


def print_misses(outcomes: list[Outcome], reasons: dict[str, str]) -> None:
    for o in outcomes:
        if o.status == MISSED:
            print(f"missed {o.bug.id}: {reasons.get(o.bug.id, NO_REASON)}")
        elif o.status != FOUND:
            print(f"error  {o.bug.id}: {o.error}")


def shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if REPO in path.parents else str(path)


def command_line(
    only: list[str] | None, select: str | None, evidence: list[str] | None = None
) -> str:
    """The command as the report shows it (never the cache directory: a local path)."""
    words = ["python bench/bugs.py", *(["--only", *only] if only else [])]
    words += ["--select", select] if select else []
    return " ".join(words + (["--extend-evidence", *evidence] if evidence else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="only these bugs")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--select", metavar="CODES", help="passed to tsafe-lint")
    parser.add_argument(
        "--extend-evidence",
        nargs="+",
        metavar="KIND",
        default=None,
        help="opt-in evidence kinds to turn on (extend-evidence in the configuration)",
    )
    parser.add_argument(
        "--report", type=Path, default=REPORT, help="default: bench/results/bugs.md"
    )
    args = parser.parse_args(argv)
    try:
        cache = resolve_cache_dir(args.cache_dir)
        everything = load_bugs(BUGS)
        reasons = load_reasons(MISSES)
    except (ValueError, DataError) as exc:
        print(f"bench/bugs.py: {exc}", file=sys.stderr)
        return 2
    known = {b.id for b in everything}
    unknown = sorted(set(args.only or ()) - known)
    if unknown:
        parser.error(f"not in bench/bugs/bugs.toml: {', '.join(unknown)}")
    bugs = [b for b in everything if not args.only or b.id in args.only]
    (cache / "src").mkdir(parents=True, exist_ok=True)

    _, excludes = load_corpus()  # the corpus's default excludes: tests, docs, examples
    releases: dict[Release, Run] = {}
    for bug in bugs:
        for version in (bug.buggy, bug.fixed):
            release = (bug.package, version, bug.dist)
            if release not in releases:
                releases[release] = lint_release(
                    release, cache, args.select, excludes, args.extend_evidence
                )
    outcomes = [
        score(b, releases[(b.package, b.buggy, b.dist)], releases[(b.package, b.fixed, b.dist)])
        for b in bugs
    ]

    found_ids = {o.bug.id for o in outcomes if o.status == FOUND}
    warnings = [o.warning for o in outcomes if o.warning]
    warnings += stale_reasons(reasons, known, found_ids)
    selected = f"all {len(everything)} in bench/bugs/bugs.toml"
    if args.only:
        selected = f"{len(bugs)} of {len(everything)} (--only {' '.join(args.only)})"
    header = {
        "date": datetime.date.today().isoformat(),
        "command": command_line(args.only, args.select, args.extend_evidence),
        "tool": tool_version(),
        "python": platform.python_version(),
        "rules": (f"`--select {args.select}`" if args.select else "the defaults")
        + (f", extend-evidence {', '.join(args.extend_evidence)}" if args.extend_evidence else ""),
        "bugs": selected,
    }
    runs = list(releases.values())
    save_raw(cache / RAW, header, runs)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(render(header, outcomes, runs, reasons, warnings))
    print_misses(outcomes, reasons)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    found = sum(o.status == FOUND for o in outcomes)
    scored = sum(o.status in (FOUND, MISSED) for o in outcomes)
    print(
        f"found {found} of {scored} bugs scored; saved {shown(args.report)}; "
        f"raw findings: {cache / RAW}",
        file=sys.stderr,
    )
    failed = [r for r in runs if r.error]
    for run in failed:
        print(f"bench/bugs.py: {run.package} {run.version}: {run.error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
