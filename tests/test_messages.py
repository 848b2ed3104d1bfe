"""Full-text snapshots of one finding per rule: the message and its why-trail.

Fixtures check *where* findings are; this checks *what they say*, word for word, as
pylint and flake8-bugbear check their messages. For every rule, the first finding of
the fixtures (in path order) is rendered as the text format prints it and compared
with ``tests/snapshots/messages.txt``. After an intended change of wording, rewrite
the snapshot with ``TSAFE_UPDATE_SNAPSHOTS=1 pytest tests/test_messages.py`` and
read the diff before committing it. The cross-module project (``tests/projects/crossmod``)
has a snapshot of its own: its trails name other files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixture_format import imported_siblings
from tsafe_lint.codes import RULE_CODES
from tsafe_lint.config import Config
from tsafe_lint.engine import Linter
from tsafe_lint.formats import render

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SNAPSHOTS = ROOT / "tests" / "snapshots"
SNAPSHOT = SNAPSHOTS / "messages.txt"
PROJECTS = ROOT / "tests" / "projects"


def first_finding_per_rule() -> str:
    linter = Linter(Config(select=["TS"]))
    first = {}
    for path in sorted(FIXTURES.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        siblings = imported_siblings(path)
        if siblings:  # a finding only the two modules together show: linted as one project
            named = [relative, *(p.relative_to(ROOT).as_posix() for p in siblings)]
            found = [d for d in linter.lint_paths(named) if d.path == relative]
        else:
            found = linter.lint_source(path.read_bytes(), relative)
        for diagnostic in found:
            first.setdefault(diagnostic.code, diagnostic)
    return render([first[code] for code in sorted(first)], "text")


def test_every_rule_has_a_snapshot() -> None:
    snapshot = SNAPSHOT.read_text(encoding="utf-8")
    missing = [code for code in RULE_CODES if f" {code} " not in snapshot]
    assert not missing, f"rules with no message snapshot: {missing}"


def matches_snapshot(actual: str, snapshot: Path) -> bool:
    if os.environ.get("TSAFE_UPDATE_SNAPSHOTS"):
        snapshot.write_text(actual, encoding="utf-8")
    return actual == snapshot.read_text(encoding="utf-8")


def test_messages_match_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # a fixture linted with its siblings is read by its path
    assert matches_snapshot(first_finding_per_rule(), SNAPSHOT)


def test_cross_module_messages_match_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECTS)
    files = sorted(path.as_posix() for path in Path("crossmod").rglob("*.py"))
    found = Linter(Config(select=["TS"])).lint_paths(files)
    assert matches_snapshot(render(found, "text"), SNAPSHOTS / "crossmod.txt")
