"""Whole-project analysis: threads started in one module, work done in others; the
cache; parallel workers. Expectations are ``# error:`` comments in tests/projects/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.fixture_format import expected_findings
from tsafe_lint.cache import Cache
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.discovery import discover
from tsafe_lint.engine import Linter

PROJECTS = Path(__file__).parent / "projects"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of tests/projects/crossmod as the working directory."""
    root = tmp_path / "crossmod"
    shutil.copytree(PROJECTS / "crossmod", root)
    monkeypatch.chdir(root)
    return root


def _files(root: Path) -> list[str]:
    return list(discover(["."], Config(root=root)))


def _lint(
    root: Path, files: list[str] | None = None, jobs: int = 1, cache: bool = False
) -> list[Diagnostic]:
    linter = Linter(
        Config(select=["TS"], root=root),
        jobs=jobs,
        cache=Cache(root) if cache else None,
        project_root=root,
    )
    return linter.lint_paths(files if files is not None else _files(root))


def _expected(root: Path) -> set[tuple[str, int, str]]:
    found = set()
    for path in _files(root):
        for line, code in expected_findings(Path(path).read_text("utf-8")):
            found.add((path, line, code))
    return found


def test_cross_module_findings_match_the_fixture_comments(project: Path) -> None:
    got = {(d.path, d.line, d.code) for d in _lint(project)}
    assert got == _expected(project)


def test_messages_name_the_module_where_the_thread_starts(project: Path) -> None:
    found = {(d.path, d.code): d.message for d in _lint(project)}
    message = found[("pkg/tasks.py", "TS102")]
    assert "'process' runs on several threads" in message
    assert "pkg/main.py:9" in message
    assert "pkg/main.py" in found[("pkg/helpers.py", "TS102")]


def test_output_is_identical_with_one_or_two_jobs(project: Path) -> None:
    assert _lint(project, jobs=1) == _lint(project, jobs=2)


def test_cache_never_changes_a_result(project: Path) -> None:
    cold = _lint(project, cache=True)
    assert (project / ".tsafe_lint_cache" / ".gitignore").read_text().strip().endswith("*")
    warm = _lint(project, cache=True)
    assert warm == cold == _lint(project)
    # A corrupt or truncated entry is a miss, never a wrong result.
    entries = sorted((project / ".tsafe_lint_cache" / "results").rglob("*.json"))
    assert entries
    entries[0].write_text("{not json")
    entries[-1].write_text(json.dumps({"unexpected": True})[:5])
    assert _lint(project, cache=True) == cold


def test_cache_follows_edits(project: Path) -> None:
    before = _lint(project, cache=True)
    tasks = project / "pkg" / "tasks.py"
    tasks.write_text(tasks.read_text().replace("    processed += 1  # error", "    pass  # error"))
    after = _lint(project, cache=True)
    assert after == _lint(project)
    assert len(after) < len(before)


@pytest.mark.parametrize("name", ["pkg/tasks.py", "pkg/helpers.py"])
def test_one_file_gets_its_findings_of_the_whole_project(project: Path, name: str) -> None:
    """Without a cache, with a cold one and a warm one: what the whole tree says."""
    whole = [d for d in _lint(project) if d.path == name]
    assert {d.code for d in whole} >= {"TS102", "TS205"}  # per-file and project steps
    assert _lint(project, [name]) == whole
    assert _lint(project, [name], cache=True) == whole  # cold
    assert _lint(project, [name], cache=True) == whole  # warm, from this one file
    shutil.rmtree(project / ".tsafe_lint_cache")
    assert _lint(project, cache=True) != []  # warm from the whole tree
    assert _lint(project, [name], cache=True) == whole


def test_a_long_lived_linter_follows_edits_of_files_it_does_not_report(project: Path) -> None:
    """The language server's Linter keeps the project in memory between runs: an edit
    on disk to another module must still change the named file's findings."""
    linter = Linter(Config(select=["TS"], root=project), cache=None, project_root=project)
    assert any(d.code == "TS102" for d in linter.lint_paths(["pkg/tasks.py"]))
    main = project / "pkg" / "main.py"
    main.write_text(
        main.read_text()
        .replace("list(executor.map(tasks.process, items))", "pass")
        .replace("executor.submit(pkg.process, item)", "executor.submit(print, item)")
    )
    assert not any(d.code == "TS102" for d in linter.lint_paths(["pkg/tasks.py"]))
    assert linter.lint_paths(["pkg/tasks.py"]) == [
        d for d in _lint(project) if d.path == "pkg/tasks.py"
    ]


def test_process_pools_are_not_thread_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "work.py").write_text(
        "total = 0\n\ndef add(x):\n    global total\n    total += x\n"
    )
    (tmp_path / "run.py").write_text(
        "from concurrent.futures import ProcessPoolExecutor\nimport work\n\n"
        "def main(xs):\n    with ProcessPoolExecutor() as ex:\n"
        "        return list(ex.map(work.add, xs))\n"
    )
    monkeypatch.chdir(tmp_path)
    assert _lint(tmp_path) == []


def test_code_table_matches_the_rule_classes() -> None:
    from tsafe_lint.codes import ENGINE_CODES, RULE_CODES
    from tsafe_lint.rules import ALL_RULES
    from tsafe_lint.rules import ENGINE_CODES as rules_engine_codes

    assert {r.code: (r.name, r.default_enabled) for r in ALL_RULES} == RULE_CODES
    assert rules_engine_codes == ENGINE_CODES


def test_cache_follows_edits_that_change_another_files_context(project: Path) -> None:
    """tasks.py is not edited, but main.py stops handing it to threads: the context
    tasks.py was analysed with last time is stale and must not be reused."""
    before = _lint(project, cache=True)
    assert any(d.path == "pkg/tasks.py" and d.code == "TS102" for d in before)
    main = project / "pkg" / "main.py"
    main.write_text(
        main.read_text()
        .replace("list(executor.map(tasks.process, items))", "pass")
        .replace("executor.submit(pkg.process, item)", "executor.submit(print, item)")
    )
    after = _lint(project, cache=True)
    assert after == _lint(project)
    assert not any(d.path == "pkg/tasks.py" and d.code == "TS102" for d in after)
