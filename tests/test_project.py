"""Whole-project analysis: threads started in one module, work done in others; the
cache; parallel workers. Expectations are ``# error:`` comments in tests/projects/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Optional

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


def test_one_object_for_every_task_reaches_another_module_when_asked(project: Path) -> None:
    """scan.py hands one Device to every task of its pool; the counter in device.py, a
    module with no threading vocabulary, races only with the opt-in evidence on."""
    device = ("pkg/device.py", 13, "TS102")
    assert device not in {(d.path, d.line, d.code) for d in _lint(project)}
    config = Config(select=["TS"], root=project, extend_evidence=["shared-argument"])
    found = Linter(config, project_root=project).lint_paths(_files(project))
    message = {(d.path, d.line, d.code): d.message for d in found}[device]
    assert "called on the one 'device' every task shares" in message
    assert "pkg/scan.py:12" in message


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


# --- cache entries of the wrong shape are misses, never crashes -----------------------


def _entries(root: Path) -> list[Path]:
    return sorted((root / ".tsafe_lint_cache" / "results").rglob("*.json"))


def _mutate_summary(data: object, change: str) -> object:
    """A real entry, changed in one way that breaks its shape."""
    assert isinstance(data, dict)
    data = json.loads(json.dumps(data))
    summary = data.get("summary")
    if change == "thread_functions item too short" and summary:
        summary["thread_functions"] = {"process": ["submitted"]}
    elif change == "call line is a string" and summary:
        summary["calls"] = {"f": [["local:g", [], "7"]]}
    elif change == "summary field missing" and summary:
        del summary["imports"]
    elif change == "extra key":
        data["extra"] = 1
    elif change == "line is a bool" and data.get("diagnostics"):
        data["diagnostics"][0]["line"] = True
    elif change == "diagnostic field missing" and data.get("diagnostics"):
        del data["diagnostics"][0]["code"]
    return data


WRONG_SHAPES = [
    "{}",
    '{"diagnostics": 5, "summary": null}',
    "[]",
    "null",
    "5",
    '{"diagnostics": [{"path": 1}], "summary": null}',
    '{"diagnostics": [], "summary": {"path": "x"}}',
    '{"diagnostics": [], "summary": []}',
]
MUTATIONS = [
    "thread_functions item too short",
    "call line is a string",
    "summary field missing",
    "extra key",
    "line is a bool",
    "diagnostic field missing",
]


@pytest.mark.parametrize("partial", [False, True], ids=["whole", "one-file"])
@pytest.mark.parametrize("text", WRONG_SHAPES)
def test_cache_entries_of_the_wrong_shape_are_misses(
    project: Path, text: str, partial: bool
) -> None:
    files = ["pkg/tasks.py"] if partial else None
    cold = _lint(project, files, cache=True)
    for entry in _entries(project):
        entry.write_text(text)
    assert _lint(project, files, cache=True) == cold
    assert _lint(project, files, cache=True) == cold  # and the entries were rewritten


@pytest.mark.parametrize("partial", [False, True], ids=["whole", "one-file"])
@pytest.mark.parametrize("change", MUTATIONS)
def test_cache_entries_changed_inside_are_misses(project: Path, change: str, partial: bool) -> None:
    files = ["pkg/tasks.py"] if partial else None
    _lint(project, cache=True)  # every file's entry, for the one-file run to read
    cold = _lint(project, files, cache=True)
    changed = 0
    for entry in _entries(project):
        data = json.loads(entry.read_text())
        if set(data) == {"diagnostics"}:
            entry.unlink()  # a whole run's findings: gone, so the files' entries are read
            continue
        mutated = _mutate_summary(data, change)
        changed += mutated != data
        entry.write_text(json.dumps(mutated))
    assert changed
    found = _lint(project, files, cache=True)
    if partial:  # what the broken entries told of the other files is lost, nothing more
        assert set(_lint(project, files)) <= set(found) <= set(cold)
    else:
        assert found == cold


def test_every_entry_a_run_writes_is_read_back(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shape checks accept everything the cache really holds: a warm run analyses
    nothing (a check stricter than the writer would make every run cold)."""
    from tsafe_lint.results import is_findings_json, is_result_json

    (project / "pkg" / "spawner.py").write_text(
        "import threading\n\ncount = 0\n\n\ndef bump():\n    global count\n    count += 1\n"
        "\n\ndef run():\n    for _ in range(3):\n        threading.Thread(target=bump).start()\n"
    )
    cold = _lint(project, cache=True)
    entries = [json.loads(entry.read_text()) for entry in _entries(project)]
    assert entries and all(is_result_json(e) or is_findings_json(e) for e in entries)
    summaries = [e["summary"] for e in entries if is_result_json(e) and e["summary"]]
    for field in ("thread_functions", "external_starts", "calls", "acquires", "imports"):
        assert any(summary[field] for summary in summaries), field  # every shape is seen

    def no_analysis(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm run analysed a file")

    monkeypatch.setattr("tsafe_lint.pipeline.analyse_source", no_analysis)
    assert _lint(project, cache=True) == cold
    assert _lint(project, ["pkg/tasks.py"], cache=True) == [
        d for d in cold if d.path == "pkg/tasks.py"
    ]


@pytest.mark.parametrize(
    ("value", "hint", "expected"),
    [
        (3, int, True),
        (True, int, False),  # JSON true is not a line number
        (3.5, float, True),
        ("x", Optional[str], True),
        (None, Optional[str], True),
        (5, Optional[str], False),
        (["a", 1, True], tuple[str, int, bool], True),
        (["a", 1], tuple[str, int, bool], False),
        ([1, 2, 3], tuple[int, ...], True),
        ({"a": [1]}, dict[str, list[int]], True),
        ({"a": ["1"]}, dict[str, list[int]], False),
        ([{"x": 1}], list[Any], True),
    ],
)
def test_conforms(value: object, hint: object, expected: bool) -> None:
    from tsafe_lint.shapes import conforms

    assert conforms(value, hint) is expected


def test_conforms_checks_dataclass_fields_exactly() -> None:
    from dataclasses import asdict

    from tsafe_lint.shapes import conforms

    record = asdict(Diagnostic("a.py", 1, 2, "TS201", "m", 1, 5, "n", True))
    assert conforms(record, Diagnostic)
    assert not conforms({**record, "more": 1}, Diagnostic)
    assert not conforms({k: v for k, v in record.items() if k != "name"}, Diagnostic)
    assert not conforms({**record, "fixable": 1}, Diagnostic)
    with pytest.raises(TypeError):
        conforms(record, set[str])


def test_the_cache_is_keyed_by_the_opt_in_evidence(tmp_path: Path) -> None:
    """Turning an opt-in evidence kind on changes the analysis: a cached result of the
    defaults must not be served for it (nor the other way round)."""
    fixture = Path(__file__).parent / "fixtures" / "shared_state" / "evidence_process_wide.py"
    target = tmp_path / "registry.py"
    shutil.copy(fixture, target)
    cache = Cache(tmp_path)

    def codes(evidence: list[str]) -> list[tuple[int, str]]:
        config = Config(select=["TS"], extend_evidence=evidence, root=tmp_path)
        linter = Linter(config, cache=cache, project_root=tmp_path)
        return [(d.line, d.code) for d in linter.lint_paths([str(target)])]

    default = codes([])
    extended = codes(["process-wide", "check-outside-lock"])
    assert len(extended) > len(default)
    assert codes([]) == default
    assert codes(["process-wide", "check-outside-lock"]) == extended
