"""bench/first_sight.py: the first-sight verdicts of every retired set, added up."""

from __future__ import annotations

from pathlib import Path

from tests.test_bench_bugs import _bench

first_sight = _bench("first_sight")


def _verdict(location: str, code: str, verdict: str) -> str:
    return (
        f'[[finding]]\npackage = "pkg"\nlocation = "{location}"\ncode = "{code}"\n'
        f'verdict = "{verdict}"\nreason = "r"\n'
    )


def test_sets_are_read_in_the_order_they_were_judged(tmp_path: Path) -> None:
    for name in (
        "validation_seen_10_triage.toml",
        "validation_seen_triage.toml",
        "validation_seen_2_triage.toml",
    ):
        (tmp_path / name).write_text("")
    (tmp_path / "validation_seen_2.toml").write_text("")  # a set, not its verdicts
    names = [p.name for p in first_sight.triage_files(tmp_path)]
    assert names == [
        "validation_seen_triage.toml",
        "validation_seen_2_triage.toml",
        "validation_seen_10_triage.toml",
    ]


def test_the_report_adds_up_verdicts_per_set_and_per_rule(tmp_path: Path) -> None:
    first = tmp_path / "validation_seen_triage.toml"
    first.write_text(
        _verdict("pkg/a.py:1", "TS201", "true") + _verdict("pkg/a.py:2", "TS201", "false")
    )
    second = tmp_path / "validation_seen_2_triage.toml"
    second.write_text(
        _verdict("pkg/a.py:1", "TS201", "false")
        + _verdict("pkg/b.py:3", "TS103", "debatable")
        + _verdict("pkg/b.py:4", "TS103", "true")
    )
    text = first_sight.report(first_sight.triage_files(tmp_path))
    assert "| 1 | 2 | 1 | 1 | 0 | 1/2 = 50% |" in text
    assert "| 2 | 3 | 1 | 1 | 1 | 1/2 = 50% |" in text
    assert "| **all** | 5 | 2 | 2 | 1 | 2/4 = 50% |" in text
    assert "| TS201 | 3 | 1 | 2 | 0 | 1/3 = 33% |" in text
    assert "| TS103 | 2 | 1 | 0 | 1 | 1/1 = 100% |" in text


def test_the_committed_report_is_up_to_date() -> None:
    """bench/results/first_sight.md is what the script writes from the verdicts in bench/."""
    assert first_sight.OUT.read_text() == first_sight.report(first_sight.triage_files())
