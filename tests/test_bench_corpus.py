"""bench/corpus.py and bench/triage.py on another corpus file (the validation set): the
parts that need no network.

The raw findings and the summary are named after the corpus, the default command keeps
its files, ``--blind`` prints nothing about the findings, and the validation sets (the one
under review and the next, held in reserve) are the pinned lists, apart from the tuning
corpus, the bug list and each other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_bench_bugs import _bench, make_sdist

corpus = _bench("corpus")
triage = _bench("triage")
bugs_data = _bench("bugs_data")
dists = _bench("dists")

BENCH = corpus.HERE
VALIDATION = BENCH / "validation.toml"
# the hundred-and-first set, pinned while the hundredth was reviewed; current since the
# hundredth was retired
PINS = {
    "handoffkit": "1.20.0",
    "hyphlow": "1.1.0",
    "infogrep": "1.1.0",
    "secret-rotator": "1.3.1",
    "ros2-http-gateway": "0.2.0",
    "inert-transfer": "0.3.2",
    "vesma": "6.5.0",
    "norpagent": "2.3.1",
    "bitra": "0.10.2",
    "changedetection-io": "0.60.10",
    "tradedangerous": "12.19.0",
    "machboost": "0.16.27",
    "codecortex": "0.29.0",
    "ghc-api": "1.0.31",
    "verel": "1.13.0",
    "mindvest-atlas": "0.103.3",
    "ai-marketplace-monitor": "0.10.16",
    "telegram-slskd-local-bot": "0.25.0",
    "argo-proxy": "3.3.3",
    "kawapythonserver": "0.37.10",
    "padrelay": "3.0.0",
    "footprint-osint": "1.0.0",
    "autoforge-trainer": "1.4.1",
    "buckaroo": "0.15.11",
    "tabpy": "2.16.0",
}
# the hundred-and-second set, pinned while the hundred-and-first is reviewed and held in reserve
# until the hundred-and-first is retired; unseen
NEXT = BENCH / "validation_next.toml"
NEXT_PINS = {
    "jsonyter": "2.1.1",
    "phas": "0.99.7",
    "kognios": "1.6.0",
    "neural-context-protocol": "1.6.1",
    "maltego-transforms": "1.4.0",
    "zimi": "1.14.1",
    "actingweb": "3.15.1",
    "spotiflac": "5.0.6",
    "kindex": "0.49.0",
    "llm-redact-proxy": "1.12.1",
    "scistack-gui": "0.1.58",
    "acme2certifier": "0.46.3",
    "automation-file": "0.0.55",
    "llms-py": "4.0.26",
    "fusion-tools": "3.6.97",
    "qcfractal": "0.71",
    "gingugu": "0.28.0",
    "openosint": "2.36.1",
    "salim": "3.0.4",
    "turbo-quant-memory": "0.34.0",
    "jobd": "0.5.52",
    "overc-clips": "0.6.70",
    "lagun": "0.1.103",
    "jardesigner": "1.4.0",
    "cloxy": "5.1",
}
SEEN = (
    BENCH / "validation_seen.toml",
    BENCH / "validation_seen_2.toml",
    BENCH / "validation_seen_3.toml",
    BENCH / "validation_seen_4.toml",
    BENCH / "validation_seen_5.toml",
    BENCH / "validation_seen_6.toml",
    BENCH / "validation_seen_7.toml",
    BENCH / "validation_seen_8.toml",
    BENCH / "validation_seen_9.toml",
    BENCH / "validation_seen_10.toml",
    BENCH / "validation_seen_11.toml",
    BENCH / "validation_seen_12.toml",
    BENCH / "validation_seen_13.toml",
    BENCH / "validation_seen_14.toml",
    BENCH / "validation_seen_15.toml",
    BENCH / "validation_seen_16.toml",
    BENCH / "validation_seen_17.toml",
    BENCH / "validation_seen_18.toml",
    BENCH / "validation_seen_19.toml",
    BENCH / "validation_seen_20.toml",
    BENCH / "validation_seen_21.toml",
    BENCH / "validation_seen_22.toml",
    BENCH / "validation_seen_23.toml",
    BENCH / "validation_seen_24.toml",
    BENCH / "validation_seen_25.toml",
    BENCH / "validation_seen_26.toml",
    BENCH / "validation_seen_27.toml",
    BENCH / "validation_seen_28.toml",
    BENCH / "validation_seen_29.toml",
    BENCH / "validation_seen_30.toml",
    BENCH / "validation_seen_31.toml",
    BENCH / "validation_seen_32.toml",
    BENCH / "validation_seen_33.toml",
    BENCH / "validation_seen_34.toml",
    BENCH / "validation_seen_35.toml",
    BENCH / "validation_seen_36.toml",
    BENCH / "validation_seen_37.toml",
    BENCH / "validation_seen_38.toml",
    BENCH / "validation_seen_39.toml",
    BENCH / "validation_seen_40.toml",
    BENCH / "validation_seen_41.toml",
    BENCH / "validation_seen_42.toml",
    BENCH / "validation_seen_43.toml",
    BENCH / "validation_seen_44.toml",
    BENCH / "validation_seen_45.toml",
    BENCH / "validation_seen_46.toml",
    BENCH / "validation_seen_47.toml",
    BENCH / "validation_seen_48.toml",
    BENCH / "validation_seen_49.toml",
    BENCH / "validation_seen_50.toml",
    BENCH / "validation_seen_51.toml",
    BENCH / "validation_seen_52.toml",
    BENCH / "validation_seen_53.toml",
    BENCH / "validation_seen_54.toml",
    BENCH / "validation_seen_55.toml",
    BENCH / "validation_seen_56.toml",
    BENCH / "validation_seen_57.toml",
    BENCH / "validation_seen_58.toml",
    BENCH / "validation_seen_59.toml",
    BENCH / "validation_seen_60.toml",
    BENCH / "validation_seen_61.toml",
    BENCH / "validation_seen_62.toml",
    BENCH / "validation_seen_63.toml",
    BENCH / "validation_seen_64.toml",
    BENCH / "validation_seen_65.toml",
    BENCH / "validation_seen_66.toml",
    BENCH / "validation_seen_67.toml",
    BENCH / "validation_seen_68.toml",
    BENCH / "validation_seen_69.toml",
    BENCH / "validation_seen_70.toml",
    BENCH / "validation_seen_71.toml",
    BENCH / "validation_seen_72.toml",
    BENCH / "validation_seen_73.toml",
    BENCH / "validation_seen_74.toml",
    BENCH / "validation_seen_75.toml",
    BENCH / "validation_seen_76.toml",
    BENCH / "validation_seen_77.toml",
    BENCH / "validation_seen_78.toml",
    BENCH / "validation_seen_79.toml",
    BENCH / "validation_seen_80.toml",
    BENCH / "validation_seen_81.toml",
    BENCH / "validation_seen_82.toml",
    BENCH / "validation_seen_83.toml",
    BENCH / "validation_seen_84.toml",
    BENCH / "validation_seen_85.toml",
    BENCH / "validation_seen_86.toml",
    BENCH / "validation_seen_87.toml",
    BENCH / "validation_seen_88.toml",
    BENCH / "validation_seen_89.toml",
    BENCH / "validation_seen_90.toml",
    BENCH / "validation_seen_91.toml",
    BENCH / "validation_seen_92.toml",
    BENCH / "validation_seen_93.toml",
    BENCH / "validation_seen_94.toml",
    BENCH / "validation_seen_95.toml",
    BENCH / "validation_seen_96.toml",
    BENCH / "validation_seen_97.toml",
    BENCH / "validation_seen_98.toml",
    BENCH / "validation_seen_99.toml",
    BENCH / "validation_seen_100.toml",
)
NOTIFY = "import threading\nc = threading.Condition()\ndef t():\n    c.notify()\n"
MINI_TOML = """\
[defaults]
exclude = ["tests"]

[[package]]
name = "pkg"
version = "1.0"
paths = ["pkg"]
"""


# -- names ----------------------------------------------------------------------------------------
def test_raw_findings_and_summary_are_named_after_the_corpus() -> None:
    assert corpus.findings_name(corpus.CORPUS) == "findings.json"  # what triage.py always read
    assert corpus.findings_name(VALIDATION) == "validation-findings.json"
    assert corpus.findings_name(Path("elsewhere/extra.toml")) == "extra-findings.json"
    # a blind run never writes the file a triage reads (nor the set before's, in a shared cache)
    assert corpus.findings_name(VALIDATION, blind=True) == "validation-blind-findings.json"
    assert corpus.findings_name(corpus.CORPUS, blind=True) == "corpus-blind-findings.json"
    extended = corpus.findings_name(VALIDATION, ["own-thread"], blind=True)
    assert extended == "validation-extended-blind-findings.json"
    assert corpus.results_name(corpus.CORPUS) == corpus.REPORT
    assert corpus.results_name(VALIDATION) == BENCH / "results" / "validation.md"


def test_reports_quote_the_command_with_only_the_options_that_differ() -> None:
    assert corpus.run_command(corpus.CORPUS) == "python bench/corpus.py"
    assert corpus.run_command(VALIDATION) == "python bench/corpus.py --corpus bench/validation.toml"
    assert triage.triage_command(corpus.CORPUS, triage.DATA, triage.REPORT) == (
        "python bench/triage.py"
    )
    validation = triage.triage_command(
        VALIDATION, BENCH / "validation_triage.toml", BENCH / "validation_triage.md"
    )
    assert validation == (
        "python bench/triage.py --corpus bench/validation.toml "
        "--data bench/validation_triage.toml --out bench/validation_triage.md"
    )


# -- the corpus files -----------------------------------------------------------------------------
def assert_pinned(path: Path, pins: dict[str, str]) -> None:
    """The set in ``path`` is exactly ``pins``, without the stdlib, each package with
    paths of its own and the default excludes."""
    entries, defaults = corpus.load_corpus(path)
    assert {e["name"]: e["version"] for e in entries} == pins
    assert corpus.STDLIB not in {e["name"] for e in entries}
    assert "tests" in defaults
    for entry in entries:
        assert entry["paths"], entry["name"]
        assert all(p not in (".", "") for p in entry["paths"]), entry["name"]
        assert set(defaults) <= set(entry["exclude"])


def test_the_validation_set_is_the_pins_without_the_stdlib() -> None:
    assert_pinned(VALIDATION, PINS)


def retired_sets() -> list[Path]:
    """Every retired set in bench/, so that one retired later is checked without an edit."""
    found = [p for p in BENCH.glob("validation_seen*.toml") if not p.stem.endswith("_triage")]
    assert set(SEEN) <= set(found)
    return sorted(found)


def test_the_validation_set_shares_no_package_with_the_tuning_data() -> None:
    validation = {dists.canonical(name) for name in PINS}
    assert len(validation) == len(PINS)
    tuned = {dists.canonical(e["name"]) for e in corpus.load_corpus()[0]}
    bugs = {dists.canonical(bug.package) for bug in bugs_data.load_bugs()}
    retired = retired_sets()
    seen = {dists.canonical(e["name"]) for s in retired for e in corpus.load_corpus(s)[0]}
    assert not validation & tuned
    assert not validation & bugs
    assert not validation & seen  # the retired sets were triaged and tuned on


def test_the_next_validation_set_is_pinned_and_shares_nothing_with_the_rest() -> None:
    assert_pinned(NEXT, NEXT_PINS)
    upcoming = {dists.canonical(name) for name in NEXT_PINS}
    assert len(upcoming) == len(NEXT_PINS)
    tuned = {dists.canonical(e["name"]) for e in corpus.load_corpus()[0]}
    bugs = {dists.canonical(bug.package) for bug in bugs_data.load_bugs()}
    current = {dists.canonical(name) for name in PINS}
    seen = {dists.canonical(e["name"]) for s in retired_sets() for e in corpus.load_corpus(s)[0]}
    assert not upcoming & tuned
    assert not upcoming & bugs
    assert not upcoming & current  # the hundred-and-first is under review; this set stays unseen
    assert not upcoming & seen  # the retired sets were triaged and tuned on


def test_the_default_corpus_still_starts_with_the_stdlib() -> None:
    entries, _ = corpus.load_corpus()
    assert entries[0]["name"] == corpus.STDLIB
    assert len(entries) > 1


# -- corpus.py ------------------------------------------------------------------------------------
def test_corpus_refuses_a_missing_file_and_names_the_file_an_unknown_package_is_not_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = ["--cache-dir", str(tmp_path / "cache")]
    with pytest.raises(SystemExit) as exit_info:
        corpus.main(["--corpus", str(tmp_path / "none.toml"), *cache])
    assert exit_info.value.code == 2
    assert "no corpus file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        corpus.main(["--corpus", str(VALIDATION), "--only", "requests", *cache])
    assert exit_info.value.code == 2
    assert "not in bench/validation.toml: requests" in capsys.readouterr().err


def run_mini(tmp_path: Path, *extra: str) -> tuple[int, Path, Path]:
    """corpus.py on a one-package corpus whose sdist is already cached (no download)."""
    cache = tmp_path / "cache"
    make_sdist(cache / "sdists", "pkg", "1.0", {"pkg/signals.py": NOTIFY, "tests/t.py": NOTIFY})
    mini = tmp_path / "mini.toml"
    mini.write_text(MINI_TOML)
    results = tmp_path / "out" / "mini.md"
    argv = ["--corpus", str(mini), "--results", str(results), "--cache-dir", str(cache), *extra]
    return corpus.main(argv), cache, results


def test_another_corpus_writes_its_own_files_and_blind_prints_no_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = corpus.REPORT.read_bytes() if corpus.REPORT.exists() else None
    status, cache, results = run_mini(tmp_path, "--blind")
    assert status == 0
    out = capsys.readouterr().out
    assert "| pkg | 1.0 | 1 | 4 | 0 | 0 | ok |" in out
    assert "TS302" not in out and "notify" not in out
    raw = json.loads((cache / "mini-blind-findings.json").read_text())
    assert [f["code"] for f in raw["packages"]["pkg"]["findings"]] == ["TS302"]
    assert not (cache / "mini-findings.json").exists()  # what triage.py reads: not written blind
    assert not (cache / "findings.json").exists()  # the tuning corpus's raw file is untouched
    assert not results.exists()  # the summary counts findings per rule: not written blind
    assert (corpus.REPORT.read_bytes() if corpus.REPORT.exists() else None) == before


def test_the_summary_without_blind_is_the_full_one(tmp_path: Path) -> None:
    status, _, results = run_mini(tmp_path)
    assert status == 0
    report = results.read_text()
    assert report.startswith(f"# tsafe-lint on {tmp_path / 'mini.toml'}\n")
    assert "TS302: 1" in report


def test_without_blind_the_summary_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, results = run_mini(tmp_path)
    assert status == 0
    assert capsys.readouterr().out.strip() == results.read_text().strip()


def run_entry(returncode: int, codes: list[str], stderr: str = "", problem: str = "") -> Any:
    findings = [{"code": c, "path": "m.py", "line": 1, "column": 1, "message": c} for c in codes]
    return {
        "version": "1",
        "files": 2,
        "lines": 10,
        "returncode": returncode,
        "stderr": stderr,
        "problem": problem,
        "findings": findings,
    }


def test_blind_tells_only_crashes_not_whether_there_are_findings() -> None:
    results = {
        "packages": {
            "none": run_entry(0, []),
            "some": run_entry(1, ["TS101", "TS205", "TS001"]),
            "broke": run_entry(2, [], "Traceback: boom", "exit status 2"),
        }
    }
    text = corpus.render_blind(results, ["none", "some", "broke", "absent"])
    assert "| none | 1 | 2 | 10 | 0 | 0 | ok |" in text
    assert "| some | 1 | 2 | 10 | 1 | 0 | ok |" in text
    assert "| broke | 1 | 2 | 10 | 0 | 0 | exit status 2 |" in text
    assert "| **total** | | 6 | 30 | 1 | 0 | 1 failed |" in text
    assert "  Traceback: boom" in text
    assert "Not run (download failed or not selected): absent." in text
    assert "TS101" not in text and "TS205" not in text


# -- triage.py ------------------------------------------------------------------------------------
def test_triage_reads_the_corpus_findings_and_writes_where_told(tmp_path: Path) -> None:
    mini = tmp_path / "mini.toml"
    mini.write_text(MINI_TOML)
    cache = tmp_path / "cache"
    cache.mkdir()
    entry = run_entry(1, [])
    entry["findings"] = [
        {"code": "TS302", "path": "pkg/signals.py", "line": 4, "column": 5, "message": "m"}
    ]
    raw = {"date": "d", "tool": "t", "packages": {"pkg": entry}}
    (cache / "mini-findings.json").write_text(json.dumps(raw))
    data = tmp_path / "verdicts.toml"
    data.write_text("# none yet\n")
    out = tmp_path / "triage.md"
    before = triage.REPORT.read_bytes()

    argv = ["--corpus", str(mini), "--data", str(data), "--out", str(out)]
    assert triage.main([*argv, "--cache-dir", str(cache)]) == 0

    text = out.read_text()
    assert text.startswith(f"# Precision of the default-on rules on {mini}\n")
    assert "- pkg: `pkg/signals.py:4` TS302" in text  # sampled, without a verdict yet
    assert f"--data {data}" in text
    assert triage.REPORT.read_bytes() == before


def test_triage_counts_every_judged_finding_once(tmp_path: Path) -> None:
    """A verdict on a finding outside the random sample counts (reviewers cap what they
    judge per package); two findings on one line with one code share one verdict."""
    mini = tmp_path / "mini.toml"
    mini.write_text(MINI_TOML)
    cache = tmp_path / "cache"
    cache.mkdir()
    entry = run_entry(1, [])
    many = triage.SAMPLE + 10
    entry["findings"] = [
        {"code": "TS201", "path": "pkg/a.py", "line": n, "column": 1, "message": "m"}
        for n in range(1, many + 1)
    ] + [{"code": "TS201", "path": "pkg/a.py", "line": 1, "column": 9, "message": "m"}]
    raw = {"date": "d", "tool": "t", "packages": {"pkg": entry}}
    (cache / "mini-findings.json").write_text(json.dumps(raw))
    located = [("pkg", f) for f in entry["findings"]]
    sampled_lines = {f["line"] for _, f in triage.sample(located)}
    outside = next(n for n in range(2, many + 1) if n not in sampled_lines)
    data = tmp_path / "verdicts.toml"
    data.write_text(
        "".join(
            f'[[finding]]\npackage = "pkg"\nlocation = "pkg/a.py:{line}"\ncode = "TS201"\n'
            f'verdict = "{verdict}"\nreason = "r"\npattern = "p"\n'
            for line, verdict in ((1, "true"), (outside, "false"))
        )
    )
    out = tmp_path / "triage.md"
    argv = ["--corpus", str(mini), "--data", str(data), "--out", str(out)]
    assert triage.main([*argv, "--cache-dir", str(cache)]) == 0
    row = next(line for line in out.read_text().splitlines() if line.startswith("| TS201 |"))
    cells = [cell.strip() for cell in row.split("|")]
    # findings, per kloc, sampled and judged, true, false, debatable, no verdict, precision
    assert cells[3] == str(many + 1)
    assert cells[5] == str(len(sampled_lines | {1, outside}))
    assert cells[6:9] == ["1", "1", "0"]
    assert cells[10] == "1/2 = 50%"


def test_triage_refuses_missing_data_or_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = ["--cache-dir", str(tmp_path)]
    with pytest.raises(SystemExit):
        triage.main(["--data", str(tmp_path / "none.toml"), *cache])
    assert "--data: no file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        triage.main(["--corpus", str(VALIDATION), *cache])
    err = capsys.readouterr().err
    assert "validation-findings.json" in err
    assert "run python bench/corpus.py --corpus bench/validation.toml first" in err


def test_isolating_config_stands_in_the_tree_and_carries_the_settings(tmp_path: Path) -> None:
    """The bench's configuration sits in the linted tree (so that the project is the
    package) and tsafe-lint reads it as written: excludes and opt-in evidence."""
    from tsafe_lint.config import load_config

    plain = load_config(dists.isolating_config(tmp_path, ["tests", "docs"]))
    assert plain.root == tmp_path
    assert plain.exclude == ["tests", "docs"] and plain.extend_evidence == []
    extended = dists.isolating_config(tmp_path, ["tests"], ["process-wide", "own-thread"])
    assert load_config(extended).extend_evidence == ["own-thread", "process-wide"]


def test_opt_in_evidence_runs_keep_their_own_files_and_say_so() -> None:
    """A run with opt-in evidence kinds never overwrites the defaults' findings or
    summary, and its report quotes the command that reproduces it."""
    kinds = ["own-thread"]
    assert corpus.findings_name(VALIDATION, kinds) == "validation-extended-findings.json"
    assert corpus.findings_name(VALIDATION) == "validation-findings.json"
    assert corpus.results_name(VALIDATION, kinds) == BENCH / "results" / "validation-extended.md"
    assert corpus.run_command(VALIDATION, kinds) == (
        "python bench/corpus.py --corpus bench/validation.toml --extend-evidence own-thread"
    )
