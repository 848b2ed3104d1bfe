"""Limits: huge and deeply nested inputs finish with a result or a TS001, in bounded memory.

Files over ``max-file-size`` (tsafe_lint.config.DEFAULT_MAX_FILE_SIZE, 1 MiB) are not
analysed (one TS001 says so): those cases must come back at once, in little memory, and
are never handed to LibCST, not even for the floor. The cases just under the limit, the
densest generated code we know for LibCST, measure the bound a single file can cost.

Each case is generated, written to a temporary file and linted in a fresh child process
(``Linter(Config(select=["TS"])).lint_source``, the engine's one-file path), which reports
its time and peak memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``: the whole
process, interpreter and imports included). The floor is the same measure for
``libcst.parse_module`` alone, in another fresh process: LibCST's tree is most of the
memory, so the limit is a ratio to the floor. Children are started through a small
launcher process, because Linux carries the maximum RSS of a process across ``execve``
(a child started directly would report this script's peak). Run:

    python bench/limits.py [--only NAME ...] [--write]

``--write`` saves the table to bench/results/limits.md. The exit status is 1 when a case
raised, reported TS002, took longer than its time limit, used more memory than
its memory limit (see memory_limit()), or reported TS001 on a file that CPython compiles.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
from tsafe_lint.config import DEFAULT_MAX_FILE_SIZE  # noqa: E402

REPORT = HERE / "results" / "limits.md"
TIME_LIMIT_S = 120.0
#: A file over max-file-size must be turned away this fast, in this much memory above
#: the interpreter's: it is never parsed, at most stat'ed (the engine's one-file path,
#: measured here, already holds the source in memory).
OVER_LIMIT_SECONDS = 2.0
OVER_LIMIT_SLACK_MB = 20
#: Peak memory limit: MEMORY_FACTOR x the LibCST-parse floor + MEMORY_SLACK_MB, and never
#: more than MEMORY_CAP_MB.
MEMORY_FACTOR = 1.25
MEMORY_SLACK_MB = 200
MEMORY_CAP_MB = 6144

HEAD = "import threading\n\nlock = threading.Lock()\nstate = {}\n\n"
TAIL = "\nthreading.Thread(target=work, args=(1,)).start()\n"


# -- generators ---------------------------------------------------------------------------
BLOCK = '''\
class Worker{i}:
    """Worker number {i}."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.items = []

    def add(self, item):
        with self.lock:
            self.count += 1
            self.items.append(item)

    def reset(self):
        self.count = 0

    def run(self):
        for n in range({i} % 7 + 1):
            self.add(n)


threading.Thread(target=Worker{i}().run).start()


'''


def big_file(size: int = 5 * 1024 * 1024) -> str:
    """About ``size`` bytes of thread-using classes (each with a TS104 in reset())."""
    parts = [HEAD]
    total, i = len(HEAD), 0
    while total < size:
        block = BLOCK.format(i=i)
        parts.append(block)
        total += len(block)
        i += 1
    return "".join(parts)


def dense_table(size: int) -> str:
    """A generated data table of about ``size`` bytes (at most ``size``): small integers,
    16 a line. The most LibCST nodes per byte among the generators here, so the costliest
    file of a given size (3 MiB of it: 54 s and 2.5 GB when analysed)."""
    head = "import threading\n\nlock = threading.Lock()\nDATA = [\n"
    tail = "]\n"
    parts, total, i = [head], len(head) + len(tail), 0
    while True:
        row = "    " + ", ".join(str((i * 16 + j) * 7 % 1000) for j in range(16)) + ",\n"
        if total + len(row) > size:
            break
        parts.append(row)
        total += len(row)
        i += 1
    parts.append(tail)
    return "".join(parts)


def just_under(make: Callable[[int], str], limit: int = DEFAULT_MAX_FILE_SIZE) -> str:
    """``make``'s file padded with a comment to exactly ``limit`` bytes: the largest
    file that is still analysed."""
    source = make(limit - 4096)  # the generators overshoot by less than one block
    padding = limit - len(source.encode("utf-8")) - 2
    assert padding >= 0, "a generator overshot by more than 4 KiB"
    return source + "#" + "x" * padding + "\n"


def many_functions(count: int = 10_000) -> str:
    lines = [HEAD]
    for i in range(count):
        lines.append(
            f"def f{i}(x):\n    with lock:\n        state[{i}] = x + {i}\n    return x\n\n"
        )
    lines.append("def work(x):\n" + "".join(f"    f{i}(x)\n" for i in range(0, count, 100)))
    lines.append(TAIL)
    return "".join(lines)


MIXED_HEADS = ("if state:", "for i in range(3):", "while state:", "with lock:")


def nested_blocks(depth: int = 100, heads: tuple[str, ...] = MIXED_HEADS) -> str:
    """``depth`` nested compound statements (``heads`` in turn) at module level."""
    lines = [HEAD.rstrip("\n")]
    for level in range(depth):
        lines.append("    " * level + heads[level % len(heads)])
    lines.append("    " * depth + "state['n'] = state.get('n', 0) + 1")
    return "\n".join(lines) + "\n"


def deepest_valid_blocks(limit: int = 100) -> int:
    """The deepest nest of ``if`` blocks that CPython compiles (its indentation limit; for,
    while, with and try count towards a lower limit of 20 statically nested blocks)."""
    for depth in range(limit, 0, -1):
        if compiles(nested_blocks(depth, ("if state:",))):
            return depth
    return 0


EXPRESSIONS: dict[str, Callable[[int], str]] = {
    "parentheses": lambda n: "(" * n + "x" + ")" * n,
    "calls": lambda n: "f(" * n + "x" + ")" * n,
    "lists": lambda n: "[" * n + "x" + "]" * n,
    "right-nested +": lambda n: "x + (" * (n - 1) + "x" + ")" * (n - 1),
}


def nested_expression(kind: str, depth: int = 200) -> str:
    expression = EXPRESSIONS[kind](depth)
    return (
        HEAD
        + "def work(x, f=len):\n    with lock:\n        state['a'] = "
        + expression
        + "\n    state['b'] = "
        + expression
        + "\n"
        + TAIL
    )


def flat_chain(kind: str, length: int) -> str:
    """Long but flat constructs that parsers represent as deep trees."""
    if kind == "elif":
        branches = "".join(
            f"    elif x == {i}:\n        state[{i}] = {i}\n" for i in range(1, length)
        )
        body = f"    if x == 0:\n        state[0] = 0\n{branches}"
    elif kind == "+":
        body = "    with lock:\n        state['k'] = " + " + ".join(["x"] * length) + "\n"
    elif kind == "and":
        body = "    if " + " and ".join(["x"] * length) + ":\n        state['k'] = 1\n"
    elif kind == "strings":
        parts = " ".join(f"'s{i}'" for i in range(length))
        body = f"    state['k'] = ({parts})\n"
    else:
        raise ValueError(kind)
    return HEAD + "def work(x):\n" + body + TAIL


@dataclass
class Case:
    name: str
    make: Callable[[], str]
    time_limit: float = TIME_LIMIT_S
    required: bool = True  # one of the four limits (the rest: found while probing)
    over_limit: bool = False  # over max-file-size: must be turned away, not analysed


def cases() -> list[Case]:
    valid_depth = deepest_valid_blocks()
    mib = DEFAULT_MAX_FILE_SIZE / (1024 * 1024)
    found = [
        Case("5 MB file (over max-file-size)", big_file, over_limit=True),
        Case(
            "3 MB dense table (over max-file-size)",
            lambda: dense_table(3 * 1024 * 1024),
            over_limit=True,
        ),
        Case(f"{mib:g} MiB dense table (at max-file-size)", lambda: just_under(dense_table)),
        Case(f"{mib:g} MiB of thread classes (at max-file-size)", lambda: just_under(big_file)),
        Case("10,000 functions", many_functions),
        Case("100 nested blocks (if/for/while/with)", nested_blocks),
        Case(
            f"{valid_depth} nested if blocks (CPython's deepest)",
            lambda: nested_blocks(valid_depth, ("if state:",)),
        ),
    ]
    for kind in EXPRESSIONS:
        found.append(Case(f"200-deep expression: {kind}", lambda k=kind: nested_expression(k)))
    for kind, length in (("elif", 1000), ("+", 1000), ("and", 1000), ("strings", 5000)):
        found.append(
            Case(
                f"flat chain: {length} x {kind}",
                lambda k=kind, n=length: flat_chain(k, n),
                required=False,
            )
        )
    return found


# -- measuring ------------------------------------------------------------------------------
CHILD = r"""
import json, resource, sys, time, warnings
import libcst
from tsafe_lint.config import Config
from tsafe_lint.engine import Linter
source = open(sys.argv[2], "rb").read()
linter = Linter(Config(select=["TS"]))
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
found = []
if sys.argv[1] == "parse":
    try:
        libcst.parse_module(source)
    except Exception:
        pass
else:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = linter.lint_source(source, "case.py")
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "seconds": seconds,
    "peak_mb": peak / 1024,
    "baseline_mb": baseline / 1024,
    "codes": sorted({d.code for d in found}),
    "findings": len(found),
    "engine_messages": [d.message for d in found if d.code in ("TS001", "TS002")],
}))
"""
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def compiles(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "case.py", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return False
    return True


def measure(source: str, time_limit: float = TIME_LIMIT_S, mode: str = "lint") -> dict[str, object]:
    """Lint (or, with mode="parse", only LibCST-parse) ``source`` in a fresh process: its
    time, peak memory and findings."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "case.py"
        path.write_text(source, encoding="utf-8")
        command = [sys.executable, "-c", LAUNCHER, sys.executable, "-c", CHILD, mode, str(path)]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=time_limit,
                cwd=directory,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {time_limit:.0f} s"}
    if done.returncode != 0:
        return {"error": f"exit status {done.returncode}: {done.stderr.strip()[-2000:]}"}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def memory_limit(floor_mb: float) -> float:
    return min(MEMORY_FACTOR * floor_mb + MEMORY_SLACK_MB, MEMORY_CAP_MB)


def over_limit_verdict(result: dict[str, object], limit_mb: float) -> str:
    """A file over max-file-size: one TS001 saying so, at once, in little memory."""
    if "error" in result:
        return f"FAIL: {result['error']}"
    messages = result["engine_messages"]
    assert isinstance(messages, list)
    if result["codes"] != ["TS001"] or not str(messages[0]).startswith("not analysed: "):
        return "FAIL: not turned away by max-file-size"
    if float(result["peak_mb"]) > limit_mb:  # type: ignore[arg-type]
        return f"FAIL: over {limit_mb:.0f} MB"
    if float(result["seconds"]) > OVER_LIMIT_SECONDS:  # type: ignore[arg-type]
        return f"FAIL: over {OVER_LIMIT_SECONDS:.0f} s"
    return "ok: TS001 (over max-file-size)"


def verdict(result: dict[str, object], valid: bool, time_limit: float, limit_mb: float) -> str:
    if "error" in result:
        return f"FAIL: {result['error']}"
    codes = result["codes"]
    assert isinstance(codes, list)
    if "TS002" in codes:
        return "FAIL: TS002"
    if float(result["peak_mb"]) > limit_mb:  # type: ignore[arg-type]
        return f"FAIL: over {limit_mb:.0f} MB"
    if float(result["seconds"]) > time_limit:  # type: ignore[arg-type]
        return f"FAIL: over {time_limit:.0f} s"
    if "TS001" in codes and valid:
        return "FAIL: TS001 on valid Python"
    return "ok: TS001" if "TS001" in codes else "ok: result"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="TEXT", help="cases whose name contains")
    parser.add_argument("--write", action="store_true", help="save bench/results/limits.md")
    args = parser.parse_args(argv)

    rows = []
    failed = []
    baseline_mb = 0.0
    for case in cases():
        if args.only and not any(text in case.name for text in args.only):
            continue
        source = case.make()
        valid = compiles(source)
        size = len(source.encode("utf-8"))
        lines = source.count("\n")
        if case.over_limit:  # never handed to LibCST: no floor
            result = measure(source, case.time_limit)
            # the interpreter, the source (str and bytes) and the slack
            limit_mb = float(result.get("baseline_mb", 0.0)) + 3 * size / 2**20  # type: ignore[arg-type]
            limit_mb += OVER_LIMIT_SLACK_MB
            outcome = over_limit_verdict(result, limit_mb)
            floor_cells = "- | -"
        else:
            floor = measure(source, case.time_limit, mode="parse")
            floor_mb = float(floor.get("peak_mb", 0.0))  # type: ignore[arg-type]
            limit_mb = memory_limit(floor_mb)
            result = measure(source, case.time_limit)
            outcome = verdict(result, valid, case.time_limit, limit_mb)
            floor_cells = f"{floor.get('seconds', 0):.2f} | {floor_mb:.0f}"
        if "error" in result:
            cells = ["-", "-", "-", "-"]
        else:
            messages = "; ".join(str(m) for m in result["engine_messages"])  # type: ignore[attr-defined]
            codes = ", ".join(result["codes"]) or "none"  # type: ignore[arg-type]
            cells = [
                f"{result['seconds']:.2f}",
                f"{result['peak_mb']:.0f} (limit {limit_mb:.0f})",
                f"{result['findings']} ({codes})",
                messages.replace("|", "\\|")[:160],
            ]
        row = (
            f"| {case.name}{'' if case.required else ' (extra)'} | {size:,} | {lines:,} "
            f"| {'yes' if valid else 'no'} | {floor_cells} | {' | '.join(cells)} | {outcome} |"
        )
        baseline_mb = max(baseline_mb, float(result.get("baseline_mb", 0.0)))  # type: ignore[arg-type]
        rows.append(row)
        print(row, flush=True)
        if outcome.startswith("FAIL"):
            failed.append(case.name)

    header = [
        "# tsafe-lint limits",
        "",
        f"Measured {datetime.date.today().isoformat()} by `python bench/limits.py`, Python "
        f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs. Each "
        "case is linted by the engine (`Linter.lint_source`) in a fresh process; peak memory "
        "is that process's maximum RSS, interpreter and imports included (about "
        f"{baseline_mb:.0f} MB before linting); the floor is `libcst.parse_module` alone, "
        "measured the same way. Limits: peak memory <= "
        f"{MEMORY_FACTOR} x floor + {MEMORY_SLACK_MB} MB (at most {MEMORY_CAP_MB} MB), "
        f"{TIME_LIMIT_S:.0f} s, no TS002, no TS001 on input that CPython compiles. Files "
        f"over max-file-size ({DEFAULT_MAX_FILE_SIZE:,} bytes) are not analysed: they must "
        f"give one TS001 within {OVER_LIMIT_SECONDS:.0f} s and {OVER_LIMIT_SLACK_MB} MB "
        "above the interpreter and three copies of the source, and are never parsed "
        "(no floor). Cases marked (extra) go beyond the issue's four limits.",
        "",
        "| case | bytes | lines | CPython compiles | floor seconds | floor peak MB "
        "| seconds | peak MB | findings | TS001/TS002 message | outcome |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    report = "\n".join([*header, *rows]) + "\n"
    if failed:
        report += f"\nMissed: {', '.join(failed)}.\n"
    if args.write:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(report)
        print(f"saved {REPORT.relative_to(REPO)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
