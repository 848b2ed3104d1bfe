"""Every fixture, both directions: each ``# error:`` line is reported, nothing else is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixture_format import (
    expected_columns,
    expected_findings,
    extend_evidence,
    imported_siblings,
    xfail_reason,
)
from tsafe_lint.config import Config
from tsafe_lint.engine import Linter

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))


def _param(path: Path) -> object:
    reason = xfail_reason(path)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(path, id=path.relative_to(FIXTURES).as_posix(), marks=marks)


@pytest.mark.parametrize("path", [_param(p) for p in FIXTURE_FILES])
def test_fixture(path: Path) -> None:
    source = path.read_bytes()
    evidence = extend_evidence(source.decode("utf-8"))
    linter = Linter(Config(select=["TS"], extend_evidence=evidence))
    # the CLI's path, pre-filter included; the sibling fixtures it imports are linted with
    # it, as one project (a finding only two modules show), and their findings left out
    named = [str(path), *(str(p) for p in imported_siblings(path))]
    diagnostics = [d for d in linter.lint_paths(named) if d.path == str(path)]
    found = {(d.line, d.code) for d in diagnostics}
    text = source.decode("utf-8")
    expected = expected_findings(text)
    missing = sorted(expected - found)
    unexpected = sorted(found - expected)
    assert not missing and not unexpected, (
        f"missing (line, code): {missing}; unexpected (line, code): {unexpected}"
    )
    located = {(d.line, d.code, d.col) for d in diagnostics}
    misplaced = sorted(expected_columns(text) - located)
    assert not misplaced, f"no finding at (line, code, column): {misplaced}"


def test_there_are_fixtures_of_both_kinds() -> None:
    with_errors = [p for p in FIXTURE_FILES if expected_findings(p.read_text("utf-8"))]
    clean = [p for p in FIXTURE_FILES if not expected_findings(p.read_text("utf-8"))]
    assert len(with_errors) >= 10
    assert len(clean) >= 5


def test_opt_in_evidence_is_off_by_default() -> None:
    """A fixture that needs an opt-in evidence kind reports less with the defaults: the
    kinds measured below 80% precision are really off unless configured."""
    marked = [p for p in FIXTURE_FILES if extend_evidence(p.read_text("utf-8"))]
    assert marked
    fewer = 0
    for path in marked:
        expected = expected_findings(path.read_text("utf-8"))
        found = {(d.line, d.code) for d in Linter(Config(select=["TS"])).lint_paths([str(path)])}
        assert found <= expected, f"{path}: the defaults report more than the fixture expects"
        fewer += len(expected - found) > 0
    assert fewer >= 1
