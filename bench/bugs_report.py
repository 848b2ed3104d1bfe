"""bench/results/bugs.md: per bug found or missed, recall overall and per kind, and
whether the fixed release is clean."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bugs_data import KINDS
from bugs_scoring import ERROR, FOUND, MISSED, Outcome, Run

NO_REASON = "(no reason recorded)"
STDERR_LINES = 20


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.0f}%" if whole else "-"


def cell(text: str) -> str:
    """Text made safe for one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def finding_cell(finding: dict[str, Any], with_message: bool = True) -> str:
    head = f"`{finding.get('code', '?')}` line {finding.get('line', '?')}"
    return f"{head}: {cell(str(finding.get('message', '')))}" if with_message else head


def fixed_cell(outcome: Outcome) -> str:
    version = outcome.bug.fixed
    if outcome.status == ERROR:
        return ""
    if outcome.fixed_hits is None:
        return f"{version}: not checked ({cell(outcome.fixed_error)})"
    listed = ", ".join(finding_cell(f, with_message=False) for f in outcome.fixed_hits)
    if outcome.status == FOUND:
        return f"{version}: gone" if not listed else f"{version}: still reported ({listed})"
    return f"{version}: -" if not listed else f"{version}: reported ({listed})"


def reason_for(outcome: Outcome, reasons: dict[str, str]) -> str:
    if outcome.status == ERROR:
        return f"error: {cell(outcome.error)}"
    if outcome.status == MISSED:
        return cell(reasons.get(outcome.bug.id, NO_REASON))
    return ""


def summary(outcomes: list[Outcome]) -> list[str]:
    scored = [o for o in outcomes if o.status != ERROR]
    found = [o for o in scored if o.status == FOUND]
    checked = [o for o in found if o.fixed_clean is not None]
    clean = [o for o in checked if o.fixed_clean]
    errors = len(outcomes) - len(scored)
    lines = [f"**Recall: {ratio(len(found), len(scored))}** of the bugs scored."]
    if errors:
        lines[0] += f" {errors} not scored (error rows below)."
    share = f"{ratio(len(clean), len(checked))} of the found bugs" if checked else "no found bug"
    lines.append(f"**Fixed release clean** (no finding left inside the function): {share}.")
    if len(checked) < len(found):
        lines[-1] += f" {len(found) - len(checked)} found bugs could not be checked there."
    lines += ["", "| kind | bugs | found | recall |", "| --- | ---: | ---: | ---: |"]
    per_kind = Counter(o.bug.kind for o in scored)
    found_kind = Counter(o.bug.kind for o in found)
    for kind in KINDS:
        if per_kind[kind]:
            lines.append(
                f"| {kind} | {per_kind[kind]} | {found_kind[kind]} "
                f"| {ratio(found_kind[kind], per_kind[kind])} |"
            )
    lines.append(f"| **all** | {len(scored)} | {len(found)} | {ratio(len(found), len(scored))} |")
    return lines


def bug_table(outcomes: list[Outcome], reasons: dict[str, str]) -> list[str]:
    lines = [
        "| bug | package | buggy | kind | result | findings inside the function "
        "| fixed release | why missed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        bug = o.bug
        findings = "<br>".join(finding_cell(f) for f in o.hits)
        where = f"`{bug.file}` `{bug.function}`" + (
            f" (lines {o.scope.start}-{o.scope.end})" if o.scope else ""
        )
        lines.append(
            f"| [{bug.id}]({bug.link}) | {bug.package} | {bug.buggy} | {bug.kind} "
            f"| {o.status} | {where}: {findings or '-'} | {fixed_cell(o)} "
            f"| {reason_for(o, reasons)} |"
        )
    return lines


def run_table(runs: list[Run]) -> list[str]:
    lines = [
        "| package | version | dist | files | lines | seconds | findings | TS001 | TS002 "
        "| problem |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        codes = Counter(f.get("code") for f in run.findings)
        problem = run.error or ("stderr below" if run.stderr.strip() else "")
        lines.append(
            f"| {run.package} | {run.version} | {run.dist} | {len(run.files):,} "
            f"| {run.lines:,} | {run.seconds:.2f} | {len(run.findings)} | {codes['TS001']} "
            f"| {codes['TS002']} | {cell(problem.splitlines()[-1] if problem else '')} |"
        )
    for run in runs:
        stderr = run.stderr.strip().splitlines()
        if stderr:
            lines += ["", f"{run.package} {run.version} stderr:", "", "```"]
            lines += [*stderr[-STDERR_LINES:], "```"]
    return lines


def render(
    header: dict[str, str],
    outcomes: list[Outcome],
    runs: list[Run],
    reasons: dict[str, str],
    warnings: list[str],
) -> str:
    out = [
        "# tsafe-lint on real, fixed thread-safety bugs",
        "",
        f"Measured {header['date']} by `{header['command']}` with {header['tool']}, "
        f"Python {header['python']}; rules: {header['rules']}; bugs: {header['bugs']}.",
        "Each release is linted in one run of `tsafe-lint --format json --no-cache "
        "--exit-zero FILES` from its unpacked top directory (every `*.py` but tests, docs "
        "and examples: bench/corpus.toml's default excludes). A bug is found when a "
        "finding lies inside the named function of the buggy release's file (its lines "
        "from Python's `ast`, decorators included) or on the named line. The fixed "
        'release is clean ("gone") when no finding lies inside that function there. '
        "How to read and extend this: bench/bugs/README.md.",
        "",
        "## Summary",
        "",
        *summary(outcomes),
        "",
        "## Bugs",
        "",
        *bug_table(outcomes, reasons),
        "",
        "## Runs",
        "",
        *run_table(runs),
    ]
    if warnings:
        out += ["", "## Warnings", "", *(f"- {cell(w)}" for w in warnings)]
    return "\n".join(out) + "\n"
