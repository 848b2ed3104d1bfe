"""Precision of the default-on rules, from reviewed samples of the corpus findings.

For every default-on rule the findings of the latest ``python bench/corpus.py`` run are
sorted by (package, path, line, column) and sampled: all of them when there are at most
30, else ``random.Random(0).sample(findings, 30)``, plus every finding outside the sample
that has a verdict (a reviewer who judges at most a few findings of one rule in one package
picks their own), findings on one line with one code once. Each is looked up in
bench/triage_data.toml (keyed by package, path, line and code), where a reviewer recorded
a verdict: ``true`` (a real smell a strict reviewer would want fixed or commented),
``false`` (a false positive: the code is correct) or ``debatable``, with a one-line reason.
Run:

    python bench/triage.py [--corpus FILE] [--data FILE] [--out FILE] [--cache-dir DIR]
                           [--findings FILE] [--todo]

The defaults are bench/corpus.toml, bench/triage_data.toml, bench/triage.md and the raw
findings file bench/corpus.py writes for that corpus in the cache directory. The
validation set is triaged once, at the end, with ``--corpus bench/validation.toml --data
bench/validation_triage.toml --out bench/validation_triage.md``.

It writes the ``--out`` report: precision per rule and overall = true / (true + false), with
debatable findings counted separately, findings per 1,000 lines, every sampled finding with
its verdict, the sampled findings that have no verdict yet and the verdicts whose finding
is no longer reported. ``--todo`` prints the sampled findings without a verdict (with
their messages) as TOML stubs to paste into the data file.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from corpus import CORPUS, findings_name, load_corpus, rule_defaults, run_command, shown, tomllib
from dists import default_cache_dir

HERE = Path(__file__).resolve().parent
DATA = HERE / "triage_data.toml"
REPORT = HERE / "triage.md"
SAMPLE = 30
SEED = 0
VERDICTS = ("true", "false", "debatable")

Key = tuple[str, str, int, str]


def key_of(package: str, finding: dict[str, Any]) -> Key:
    return (package, finding["path"], finding["line"], finding["code"])


def load_verdicts(path: Path) -> dict[Key, dict[str, Any]]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    verdicts: dict[Key, dict[str, Any]] = {}
    for item in data.get("finding", []):
        where, _, line = item["location"].rpartition(":")
        key = (item["package"], where, int(line), item["code"])
        if item["verdict"] not in VERDICTS:
            raise SystemExit(f"{path}: {key}: verdict must be one of {VERDICTS}")
        if key in verdicts:
            raise SystemExit(f"{path}: duplicate verdict for {key}")
        verdicts[key] = item
    return verdicts


Located = tuple[str, dict[str, Any]]  # (package, finding)


def position(item: Located) -> tuple[str, str, int, int]:
    package, finding = item
    return (package, finding["path"], finding["line"], finding["column"])


def sample(findings: list[Located]) -> list[Located]:
    ordered = sorted(findings, key=position)
    if len(ordered) <= SAMPLE:
        return ordered
    return sorted(random.Random(SEED).sample(ordered, SAMPLE), key=position)


def judged(findings: list[Located], verdicts: dict[Key, dict[str, Any]]) -> list[Located]:
    """The sample of ``findings``, plus every other finding a reviewer gave a verdict (a
    reviewer who caps the findings judged per package picks outside the random sample),
    each key once: two findings on one line with one code share one verdict and count
    once."""
    chosen: dict[Key, Located] = {}
    for name, finding in sample(findings):
        chosen.setdefault(key_of(name, finding), (name, finding))
    for name, finding in findings:
        key = key_of(name, finding)
        if key in verdicts:
            chosen.setdefault(key, (name, finding))
    return sorted(chosen.values(), key=position)


def ratio(true: int, false: int) -> str:
    if true + false == 0:
        return "-"
    return f"{true}/{true + false} = {100 * true / (true + false):.0f}%"


def per_kloc(count: int, lines: int) -> str:
    return f"{count * 1000 / lines:.3f}" if lines else "-"


def triage_command(corpus: Path, data: Path, out: Path) -> str:
    """The command that regenerates a report, as the report quotes it (defaults left out)."""
    command = ["python bench/triage.py"]
    for option, path, default in (("--corpus", corpus, CORPUS), ("--data", data, DATA)):
        if path.resolve() != default:
            command.append(f"{option} {shown(path)}")
    if out.resolve() != REPORT:
        command.append(f"--out {shown(out)}")
    return " ".join(command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="default: bench/corpus.toml")
    parser.add_argument(
        "--data", type=Path, default=DATA, help="verdicts; default: bench/triage_data.toml"
    )
    parser.add_argument("--out", type=Path, default=REPORT, help="default: bench/triage.md")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument(
        "--findings",
        type=Path,
        default=None,
        help="default: CACHE/findings.json, or CACHE/STEM-findings.json for --corpus STEM.toml",
    )
    parser.add_argument("--todo", action="store_true", help="print stubs for missing verdicts")
    args = parser.parse_args(argv)

    for option, path in (("--corpus", args.corpus), ("--data", args.data)):
        if not path.is_file():
            parser.error(f"{option}: no file {path}")
    cache = args.cache_dir or default_cache_dir()
    raw = args.findings or cache / findings_name(args.corpus)
    if not raw.is_file():
        parser.error(f"no corpus findings at {raw}: run {run_command(args.corpus)} first")
    results = json.loads(raw.read_text())
    order = [e["name"] for e in load_corpus(args.corpus)[0]]
    packages = {n: results["packages"][n] for n in order if n in results["packages"]}
    lines = sum(p["lines"] for p in packages.values())
    defaults = rule_defaults()
    rules = sorted(c for c, on in defaults.items() if on and c not in ("TS001", "TS002"))
    names: dict[str, str] = {}
    try:
        from tsafe_lint.codes import code_name

        names = {c: code_name(c) for c in rules}
    except ImportError:  # pragma: no cover
        pass

    verdicts = load_verdicts(args.data)
    per_rule: dict[str, list[tuple[str, dict[str, Any]]]] = {c: [] for c in rules}
    reported: set[Key] = set()
    for name, package in packages.items():
        for finding in package["findings"]:
            reported.add(key_of(name, finding))
            if finding["code"] in per_rule:
                per_rule[finding["code"]].append((name, finding))

    rows = []
    details: list[str] = []
    missing: list[tuple[str, dict[str, Any]]] = []
    patterns: dict[str, list[str]] = {}
    totals: Counter[str] = Counter()
    for code in rules:
        findings = per_rule[code]
        chosen = judged(findings, verdicts)
        counts: Counter[str] = Counter()
        table = []
        for number, (name, finding) in enumerate(chosen, 1):
            verdict = verdicts.get(key_of(name, finding))
            if verdict is None:
                missing.append((name, finding))
                counts["none"] += 1
                label, reason = "**no verdict**", finding["message"].replace("|", "\\|")
            else:
                counts[verdict["verdict"]] += 1
                if verdict["verdict"] == "false":
                    where = f"{name}: `{finding['path']}:{finding['line']}` {code}"
                    patterns.setdefault(verdict.get("pattern", "(no pattern named)"), []).append(
                        where
                    )
                label, reason = verdict["verdict"], verdict["reason"].replace("|", "\\|")
            where = f"{name}: `{finding['path']}:{finding['line']}`"
            table.append(f"| {number} | {where} | {label} | {reason} |")
        totals.update(counts)
        totals["findings"] += len(findings)
        totals["sampled"] += len(chosen)
        density = per_kloc(len(findings), lines)
        rows.append(
            f"| {code} | {names.get(code, '')} | {len(findings)} | {density} "
            f"| {len(chosen)} | {counts['true']} | {counts['false']} | {counts['debatable']} "
            f"| {counts['none']} | {ratio(counts['true'], counts['false'])} |"
        )
        if chosen:
            kind = (
                "all"
                if len(chosen) == len(findings)
                else f"random sample of {SAMPLE} and the judged ones"
            )
            details += [
                "",
                f"### {code} {names.get(code, '')}: {len(findings)} findings, {kind}",
                "",
                "| # | location | verdict | reason |",
                "| ---: | --- | --- | --- |",
                *table,
            ]
    stale = sorted(k for k in verdicts if k not in reported)

    t, f, d = totals["true"], totals["false"], totals["debatable"]
    title = "the corpus" if args.corpus.resolve() == CORPUS else shown(args.corpus)
    out = [
        f"# Precision of the default-on rules on {title}",
        "",
        f"Generated by `{triage_command(args.corpus, args.data, args.out)}` from "
        f"{shown(args.data)} and the findings of `{run_command(args.corpus)}` "
        f"({results.get('date', '?')}, {results.get('tool', '?')}, "
        f"{len(packages)} packages, {lines:,} lines). Edit the data file, not this one.",
        "",
        f"Sampling: per rule, all findings when at most {SAMPLE}, else "
        f"`random.Random({SEED}).sample(findings, {SAMPLE})` over the findings sorted by "
        "(package, path, line, column), plus every other finding that has a verdict; "
        "findings on one line with one code share a verdict and count once. Verdicts: "
        "**true** = a real smell a strict reviewer would want fixed or commented; "
        "**false** = a false positive, the code is correct; "
        "**debatable** = in between. Precision = true / (true + false); debatable findings "
        "are counted apart.",
        "",
        "| rule | name | findings | per kloc | sampled | true | false | debatable "
        "| no verdict | precision |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *rows,
        f"| **all** | | {totals['findings']} | {per_kloc(totals['findings'], lines)} "
        f"| {totals['sampled']} | {t} | {f} | {d} | {totals['none']} | {ratio(t, f)} |",
        "",
        f"Default-on rules: {totals['findings']} findings in {lines:,} lines = "
        f"{per_kloc(totals['findings'], lines)} per 1,000 lines.",
        f"With every debatable verdict counted false: {ratio(t, f + d)}; counted true: "
        f"{ratio(t + d, f)}.",
        "",
        "## Sampled findings without a verdict",
        "",
    ]
    out += [f"- {n}: `{x['path']}:{x['line']}` {x['code']}" for n, x in missing] or ["None."]
    out += ["", "## Verdicts whose finding is no longer reported", ""]
    out += [f"- {k[0]}: `{k[1]}:{k[2]}` {k[3]}" for k in stale] or ["None."]
    out += ["", "## False-positive patterns (sampled false verdicts)", ""]
    if patterns:
        out += ["| pattern | findings |", "| --- | --- |"]
        for pattern, where in sorted(patterns.items(), key=lambda item: (-len(item[1]), item[0])):
            out.append(f"| {pattern} | {'; '.join(where)} |")
    else:
        out.append("None.")
    out += ["", "## Sampled findings and verdicts", *details]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n")
    print("\n".join(out[: out.index("## Sampled findings and verdicts")]))

    if args.todo:
        for name, finding in missing:
            print("\n[[finding]]")
            print(f'package = "{name}"')
            print(f'location = "{finding["path"]}:{finding["line"]}"')
            print(f'code = "{finding["code"]}"')
            print('verdict = ""')
            print(f"reason = {json.dumps(finding['message'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
