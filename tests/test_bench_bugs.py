"""bench/bugs.py, the real-bug recall benchmark: the parts that need no network.

Function ranges from ``ast``, scoring a bug against lint runs of its buggy and fixed
releases, the kept miss reasons, the bug list itself, and one end-to-end scoring of a
small package linted by the real console script.
"""

from __future__ import annotations

import importlib
import json
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _bench(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # the bench scripts import their siblings
    return importlib.import_module(name)


data = _bench("bugs_data")
scoring = _bench("bugs_scoring")
report = _bench("bugs_report")
bugs_script = _bench("bugs")

SOURCE = textwrap.dedent(
    '''\
    import threading

    LOCK = threading.Lock()


    class Cache:
        """A cache."""

        def get(self, key):
            with LOCK:
                return key

        @property
        def size(self):
            return 0

        @size.setter
        def size(self, value):
            pass

        class Inner:
            def deep(self):
                return 1


    def outer():
        x = 1

        def inner():
            return x

        return inner


    @staticmethod
    @other.decorator(
        1,
    )
    def decorated():
        return 2


    if threading:
        def conditional():
            return 3
    else:
        def conditional():
            return 4

    try:
        import fast
    except ImportError:
        async def fallback():
            return 5

    STATE = {}
    '''
)


def line_of(text: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of SOURCE containing ``text``."""
    seen = 0
    for number, line in enumerate(SOURCE.splitlines(), start=1):
        if text in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{text!r} not in SOURCE")


# -- function ranges ---------------------------------------------------------------------------
def test_method_range_is_the_def_to_its_last_line() -> None:
    scope = scoring.resolve(SOURCE, "Cache.get")
    assert (scope.start, scope.end) == (line_of("def get"), line_of("return key"))
    assert line_of("with LOCK") in scope
    assert line_of("def size") not in scope
    assert line_of("class Cache") not in scope


def test_nested_class_method_and_nested_function() -> None:
    deep = scoring.resolve(SOURCE, "Cache.Inner.deep")
    assert (deep.start, deep.end) == (line_of("def deep"), line_of("return 1"))
    inner = scoring.resolve(SOURCE, "outer.inner")
    assert (inner.start, inner.end) == (line_of("def inner"), line_of("return x"))
    outer = scoring.resolve(SOURCE, "outer")
    assert line_of("return x") in outer  # a nested function's lines are the outer's too
    assert (outer.start, outer.end) == (line_of("def outer"), line_of("return inner"))


def test_decorators_belong_to_the_function() -> None:
    scope = scoring.resolve(SOURCE, "decorated")
    assert scope.start == line_of("@staticmethod")
    assert line_of("1,") in scope  # inside a multi-line decorator call
    assert scope.end == line_of("return 2")
    assert line_of("@staticmethod") - 1 not in scope


def test_same_name_twice_picks_the_definition_holding_the_line() -> None:
    getter = scoring.resolve(SOURCE, "Cache.size", line_of("return 0"))
    assert getter.start == line_of("@property")
    setter = scoring.resolve(SOURCE, "Cache.size", line_of("pass"))
    assert setter.start == line_of("@size.setter")
    assert line_of("return 0") not in setter
    # without a line, the first definition
    assert scoring.resolve(SOURCE, "Cache.size").start == line_of("@property")


def test_conditional_definitions_under_if_and_try_are_found() -> None:
    second = scoring.resolve(SOURCE, "conditional", line_of("return 4"))
    assert (second.start, second.end) == (line_of("def conditional", 2), line_of("return 4"))
    fallback = scoring.resolve(SOURCE, "fallback")
    assert fallback.start == line_of("async def fallback")


def test_module_is_the_top_level_code_without_definitions() -> None:
    scope = scoring.resolve(SOURCE, "<module>")
    assert scope.start == 1 and scope.end == len(SOURCE.splitlines())
    assert line_of("LOCK = threading.Lock()") in scope
    assert line_of("STATE = {}") in scope
    assert line_of("import fast") in scope
    assert line_of("with LOCK") not in scope
    assert line_of("return x") not in scope
    assert line_of("@staticmethod") not in scope
    assert line_of("return 4") not in scope  # a conditional def is not top-level code


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Missing", "no 'Missing' in the module"),
        ("Cache.missing", "no 'missing' in Cache"),
        ("Cache.Inner.get", "no 'get' in Cache.Inner"),
        ("outer.inner.innermost", "no 'innermost' in outer.inner"),
        ("inner", "no 'inner' in the module"),  # nested functions need their outer name
    ],
)
def test_missing_names_raise_an_error_naming_them(name: str, message: str) -> None:
    with pytest.raises(scoring.ResolveError, match=message):
        scoring.resolve(SOURCE, name)


def test_missing_file_and_unparsable_file_raise(tmp_path: Path) -> None:
    with pytest.raises(scoring.ResolveError, match=r"no file pkg/gone\.py"):
        scoring.resolve_file(tmp_path, "pkg/gone.py", "f")
    (tmp_path / "old.py").write_text("print 'python 2'\n")
    with pytest.raises(scoring.ResolveError, match="cannot parse"):
        scoring.resolve_file(tmp_path, "old.py", "f")


def test_find_moved_follows_a_file_into_or_out_of_src() -> None:
    files = ["src/pkg/utils.py", "src/pkg/other.py", "setup.py"]
    assert scoring.find_moved(files, "pkg/utils.py") == "src/pkg/utils.py"
    assert scoring.find_moved(["pkg/utils.py"], "src/pkg/utils.py") == "pkg/utils.py"
    assert scoring.find_moved(files, "setup.py") == "setup.py"
    assert scoring.find_moved(files, "utils.py") is None  # one component: no guessing
    ambiguous = ["a/pkg/utils.py", "b/pkg/utils.py"]
    assert scoring.find_moved(ambiguous, "pkg/utils.py") is None


# -- scoring ----------------------------------------------------------------------------------
def finding(path: str, line: int, code: str = "TS203", message: str = "m") -> dict[str, Any]:
    return {"path": path, "line": line, "column": 1, "code": code, "message": message}


def test_hits_inside_outside_on_line_and_other_files() -> None:
    scope = scoring.Scope("f", 10, 20)
    findings = [
        finding("pkg/m.py", 9),  # just before
        finding("pkg/m.py", 10),  # first line
        finding("pkg/m.py", 20, "TS102"),  # last line
        finding("pkg/m.py", 21),  # just after
        finding("pkg/other.py", 15),  # inside the range, other file
        finding("./pkg/m.py", 15, "TS301"),  # same file spelt with ./
        finding("pkg/m.py", 30, "TS104"),  # outside, but on the named line
    ]
    got = scoring.hits(findings, "pkg/m.py", scope, line=30)
    assert [(f["line"], f["code"]) for f in got] == [
        (10, "TS203"),
        (20, "TS102"),
        (15, "TS301"),
        (30, "TS104"),
    ]
    assert scoring.hits(findings, "pkg/m.py", scope) == got[:3]
    assert scoring.hits([], "pkg/m.py", scope, line=15) == []


def test_hits_whose_trail_names_the_line() -> None:
    """A deadlock finding sits at one place and names the other: it counts when the
    place it names is the bug's line, in the same file or through a path."""
    scope = scoring.Scope("f", 10, 20)
    same_file = finding("pkg/m.py", 40, "TS203", "'g' acquires 'L' again (line 15) while held")
    other_file = finding("pkg/n.py", 3, "TS205", "'A' ... opposite order at pkg/m.py:15: dead")
    wrong_line = finding("pkg/m.py", 40, "TS203", "'g' acquires 'L' again (line 16) while held")
    other_path = finding("pkg/n.py", 3, "TS205", "'A' ... opposite order at pkg/x.py:15: dead")
    found = scoring.hits([same_file, other_file, wrong_line, other_path], "pkg/m.py", scope, 15)
    assert found == [same_file, other_file]
    assert scoring.hits([same_file], "pkg/m.py", scope) == []


def make_bug(**fields: Any) -> Any:
    values: dict[str, Any] = {
        "id": "pkg-bug",
        "package": "pkg",
        "buggy": "1.0",
        "fixed": "1.1",
        "dist": "sdist",
        "file": "pkg/m.py",
        "function": "Cache.get",
        "line": line_of("with LOCK"),
        "kind": "self-deadlock",
        "link": "https://example.org/issue/1",
        "what": "w",
    }
    values.update(fields)
    return data.Bug(**values)


def make_run(root: Path, version: str, findings: list[dict[str, Any]], relative: str) -> Any:
    path = root / version / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SOURCE)
    return scoring.Run("pkg", version, "sdist", root / version, [relative], findings)


def test_score_found_and_gone_in_the_fixed_release(tmp_path: Path) -> None:
    inside = finding("pkg/m.py", line_of("return key"))
    buggy = make_run(tmp_path, "1.0", [inside, finding("pkg/m.py", 1)], "pkg/m.py")
    fixed = make_run(tmp_path, "1.1", [finding("pkg/m.py", line_of("return 0"))], "pkg/m.py")
    outcome = scoring.score(make_bug(), buggy, fixed)
    assert outcome.status == scoring.FOUND
    assert outcome.hits == [inside]
    assert outcome.fixed_hits == [] and outcome.fixed_clean is True


def test_score_found_and_still_reported_in_the_fixed_release(tmp_path: Path) -> None:
    inside = finding("pkg/m.py", line_of("with LOCK"))
    buggy = make_run(tmp_path, "1.0", [inside], "pkg/m.py")
    fixed = make_run(tmp_path, "1.1", [inside], "pkg/m.py")
    outcome = scoring.score(make_bug(), buggy, fixed)
    assert outcome.status == scoring.FOUND
    assert outcome.fixed_hits == [inside] and outcome.fixed_clean is False


def test_score_missed_when_findings_are_elsewhere(tmp_path: Path) -> None:
    elsewhere = [finding("pkg/m.py", line_of("return 0")), finding("pkg/n.py", 11)]
    buggy = make_run(tmp_path, "1.0", elsewhere, "pkg/m.py")
    fixed = make_run(tmp_path, "1.1", [], "pkg/m.py")
    outcome = scoring.score(make_bug(), buggy, fixed)
    assert outcome.status == scoring.MISSED and outcome.hits == []


def test_score_module_code(tmp_path: Path) -> None:
    bug = make_bug(function="<module>", line=line_of("STATE = {}"))
    buggy = make_run(tmp_path, "1.0", [finding("pkg/m.py", line_of("LOCK = "))], "pkg/m.py")
    fixed = make_run(tmp_path, "1.1", [finding("pkg/m.py", line_of("with LOCK"))], "pkg/m.py")
    outcome = scoring.score(bug, buggy, fixed)
    assert outcome.status == scoring.FOUND and not outcome.warning
    assert outcome.fixed_clean is True  # a finding inside a function is not module code
    inside_def = make_run(tmp_path, "1.0", [finding("pkg/m.py", line_of("with LOCK"))], "pkg/m.py")
    assert scoring.score(bug, inside_def, fixed).status == scoring.MISSED


def test_score_counts_the_named_line_outside_the_function_and_warns(tmp_path: Path) -> None:
    bug = make_bug(line=line_of("STATE = {}"))  # not inside Cache.get: a data slip
    on_line = finding("pkg/m.py", line_of("STATE = {}"))
    buggy = make_run(tmp_path, "1.0", [on_line], "pkg/m.py")
    fixed = make_run(tmp_path, "1.1", [on_line], "pkg/m.py")
    outcome = scoring.score(bug, buggy, fixed)
    assert outcome.status == scoring.FOUND and outcome.hits == [on_line]
    assert f"line {bug.line} is outside Cache.get (lines " in outcome.warning
    assert outcome.fixed_clean is True  # the fixed release is judged by the function only


def test_score_follows_the_file_the_fix_moved(tmp_path: Path) -> None:
    inside = finding("pkg/m.py", line_of("with LOCK"))
    buggy = make_run(tmp_path, "1.0", [inside], "pkg/m.py")
    moved = finding("src/pkg/m.py", line_of("with LOCK"))
    fixed = make_run(tmp_path, "1.1", [moved], "src/pkg/m.py")
    outcome = scoring.score(make_bug(), buggy, fixed)
    assert outcome.fixed_hits == [moved]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"function": "Cache.put"}, "no 'put' in Cache"),
        ({"file": "pkg/gone.py"}, "no file pkg/gone.py"),
    ],
)
def test_score_error_rows_for_bad_entries(tmp_path: Path, fields: Any, message: str) -> None:
    buggy = make_run(tmp_path, "1.0", [finding("pkg/m.py", 1)], "pkg/m.py")
    fixed = make_run(tmp_path, "1.1", [], "pkg/m.py")
    outcome = scoring.score(make_bug(**fields), buggy, fixed)
    assert outcome.status == scoring.ERROR
    assert message in outcome.error


def test_score_error_when_the_file_was_not_linted_or_the_run_failed(tmp_path: Path) -> None:
    buggy = make_run(tmp_path, "1.0", [], "pkg/m.py")
    buggy.files = []  # on disk, but excluded from the run
    fixed = make_run(tmp_path, "1.1", [], "pkg/m.py")
    assert "was not linted" in scoring.score(make_bug(), buggy, fixed).error
    failed = scoring.Run("pkg", "1.0", "sdist", error="download failed: no such version")
    assert "download failed" in scoring.score(make_bug(), failed, fixed).error


def test_fixed_release_not_checked_when_the_function_is_gone(tmp_path: Path) -> None:
    buggy = make_run(tmp_path, "1.0", [finding("pkg/m.py", line_of("with LOCK"))], "pkg/m.py")
    fixed = make_run(tmp_path, "1.1", [], "pkg/m.py")
    (tmp_path / "1.1" / "pkg" / "m.py").write_text("class Cache:\n    pass\n")
    outcome = scoring.score(make_bug(), buggy, fixed)
    assert outcome.status == scoring.FOUND
    assert outcome.fixed_hits is None and outcome.fixed_clean is None
    assert "no 'get' in Cache" in outcome.fixed_error
    renamed = make_bug(fixed_function="Cache")
    assert scoring.score(renamed, buggy, fixed).fixed_hits == []


# -- misses.toml and the report ----------------------------------------------------------------
def test_stale_reasons_warn_about_found_and_unknown_ids() -> None:
    reasons = {"missed-one": "r1", "found-one": "r2", "gone-from-list": "r3"}
    known = {"missed-one", "found-one", "other"}
    warnings = data.stale_reasons(reasons, known, {"found-one", "other"})
    assert len(warnings) == 2
    assert "'found-one', which is now found" in warnings[0]
    assert "'gone-from-list', which is not in bugs.toml" in warnings[1]
    assert data.stale_reasons({"missed-one": "r1"}, known, {"found-one"}) == []


def test_parse_reasons_rejects_what_is_not_a_reason() -> None:
    assert data.parse_reasons({}) == {}
    assert data.parse_reasons({"reasons": {"a": "why"}}) == {"a": "why"}
    with pytest.raises(data.DataError, match="non-empty strings: a, b"):
        data.parse_reasons({"reasons": {"a": "", "b": 3, "c": "ok"}})
    with pytest.raises(data.DataError, match=r"\[reasons\] table"):
        data.parse_reasons({"reasons": ["a"]})


def outcomes_for_report(tmp_path: Path) -> list[Any]:
    found = scoring.Outcome(
        make_bug(id="found", kind="self-deadlock"),
        scoring.FOUND,
        scope=scoring.Scope("Cache.get", 9, 11),
        hits=[finding("pkg/m.py", 10, "TS203", "re-acquires | lock")],
        fixed_hits=[],
    )
    still = scoring.Outcome(
        make_bug(id="still", kind="self-deadlock"),
        scoring.FOUND,
        hits=[finding("pkg/m.py", 10)],
        fixed_hits=[finding("pkg/m.py", 12, "TS201")],
    )
    explained = scoring.Outcome(make_bug(id="explained", kind="lock-order"), scoring.MISSED)
    silent = scoring.Outcome(make_bug(id="silent", kind="lock-order"), scoring.MISSED)
    broken = scoring.Outcome(make_bug(id="broken"), scoring.ERROR, error="no file pkg/x.py")
    return [found, still, explained, silent, broken]


def test_report_rows_recall_and_fixed_release_share(tmp_path: Path) -> None:
    header = {k: "x" for k in ("date", "command", "tool", "python", "rules", "bugs")}
    outcomes = outcomes_for_report(tmp_path)
    reasons = {"explained": "no lock-order graph across classes"}
    text = report.render(header, outcomes, [], reasons, ["misses.toml: stale"])
    assert "**Recall: 2/4 = 50%**" in text
    assert "1 not scored" in text
    assert "1/2 = 50% of the found bugs" in text
    assert "| self-deadlock | 2 | 2 | 2/2 = 100% |" in text
    assert "| lock-order | 2 | 0 | 0/2 = 0% |" in text
    rows = {line.split("]")[0].lstrip("| ["): line for line in text.splitlines() if "](" in line}
    assert "`TS203` line 10: re-acquires \\| lock" in rows["found"]
    assert "1.1: gone" in rows["found"]
    assert "1.1: still reported (`TS201` line 12)" in rows["still"]
    assert rows["explained"].endswith("| no lock-order graph across classes |")
    assert rows["silent"].endswith(f"| {report.NO_REASON} |")
    assert "error: no file pkg/x.py" in rows["broken"]
    assert "## Warnings" in text and "misses.toml: stale" in text


def test_print_misses_prints_reason_or_placeholder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bugs_script.print_misses(outcomes_for_report(tmp_path), {"explained": "why"})
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "missed explained: why",
        f"missed silent: {report.NO_REASON}",
        "error  broken: no file pkg/x.py",
    ]


def test_report_command_line_never_names_the_cache_dir() -> None:
    assert bugs_script.command_line(None, None) == "python bench/bugs.py"
    assert (
        bugs_script.command_line(["a", "b"], "TS2")
        == "python bench/bugs.py --only a b --select TS2"
    )


# -- the list ----------------------------------------------------------------------------------
def test_bugs_toml_parses_with_required_fields_known_kinds_and_spread() -> None:
    bugs = data.load_bugs()
    assert bugs, "bench/bugs/bugs.toml lists no bug"
    per_package: dict[str, int] = {}
    for bug in bugs:
        for field, kind in data.FIELDS.items():
            assert isinstance(getattr(bug, field), kind), (bug.id, field)
        assert bug.kind in data.KINDS, bug.id
        assert bug.dist in data.DISTS, bug.id
        assert bug.line >= 1 and bug.link.startswith("https://"), bug.id
        name = data.canonical(bug.package)
        per_package[name] = per_package.get(name, 0) + 1
    assert max(per_package.values()) <= data.MAX_PER_PACKAGE
    assert len({b.id for b in bugs}) == len(bugs)


def test_misses_toml_parses_and_names_only_listed_bugs() -> None:
    reasons = data.load_reasons()
    known = {b.id for b in data.load_bugs()}
    assert set(reasons) <= known, set(reasons) - known


def valid_entry(**fields: Any) -> dict[str, Any]:
    entry = {
        "id": "p-x",
        "package": "p",
        "buggy": "1",
        "fixed": "2",
        "dist": "sdist",
        "file": "p/m.py",
        "function": "f",
        "line": 3,
        "kind": "lock-leak",
        "link": "https://example.org",
        "what": "w",
    }
    entry.update(fields)
    return entry


def test_parse_bugs_accepts_a_valid_entry_with_optional_fields() -> None:
    [bug] = data.parse_bugs({"bug": [valid_entry(fixed_file="src/p/m.py")]})
    assert bug.file_in_fixed() == "src/p/m.py" and bug.function_in_fixed() == "f"


SPELLINGS = ["A_b", "a_b", "A-B", "a.b"]  # one project, four spellings


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{k: v for k, v in valid_entry().items() if k != "line"}], "missing field 'line'"),
        ([valid_entry(kind="race")], "unknown kind 'race'"),
        ([valid_entry(dist="egg")], "dist must be one of"),
        ([valid_entry(line="12")], "'line' must be an integer"),
        ([valid_entry(line=True)], "'line' must be an integer"),
        ([valid_entry(line=0)], "line must be 1 or more"),
        ([valid_entry(what=" ")], "'what' is empty"),
        ([valid_entry(file="/abs/p/m.py")], "'file' must be relative"),
        ([valid_entry(colour="red")], "unknown field 'colour'"),
        ([valid_entry(), valid_entry()], "duplicate id 'p-x'"),
        (
            [valid_entry(id=f"x{i}", package=p) for i, p in enumerate(SPELLINGS)],
            "package 'a-b' has 4 bugs",
        ),
    ],
)
def test_parse_bugs_rejects_bad_entries(entries: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(data.DataError, match=message):
        data.parse_bugs({"bug": entries})


# -- end to end, without the network -----------------------------------------------------------
BUGGY_MODULE = """\
import threading

ready = threading.Condition()


def announce():
    ready.notify_all()
"""

FIXED_MODULE = """\
import threading

ready = threading.Condition()


def announce():
    with ready:
        ready.notify_all()
"""


def test_a_package_linted_by_the_console_script_is_scored(tmp_path: Path) -> None:
    config = tmp_path / "empty.toml"
    config.write_text("")
    runs = []
    for version, source in (("1.0", BUGGY_MODULE), ("1.1", FIXED_MODULE)):
        root = tmp_path / version
        (root / "pkg").mkdir(parents=True)
        (root / "pkg" / "signals.py").write_text(source)
        run = scoring.Run("pkg", version, "sdist", root, ["pkg/signals.py"])
        bugs_script.lint_files(run, config, None)
        assert not run.error, run.stderr
        runs.append(run)
    bug = make_bug(file="pkg/signals.py", function="announce", line=7, kind="notify-not-held")
    outcome = scoring.score(bug, *runs)
    assert outcome.status == scoring.FOUND
    assert [f["code"] for f in outcome.hits] == ["TS302"]
    assert outcome.fixed_clean is True


# -- archives in the cache, and the whole script offline ----------------------------------------
dists = _bench("dists")


def make_sdist(directory: Path, name: str, version: str, files: dict[str, str]) -> Path:
    """An sdist as ``pip download`` leaves it: ``name-version.tar.gz`` with one top dir."""
    tree = directory / f".build-{name}-{version}" / f"{name}-{version}"
    for relative, text in files.items():
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        (tree / relative).write_text(text)
    directory.mkdir(parents=True, exist_ok=True)
    archive = directory / f"{name}-{version}.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(tree, arcname=tree.name)
    return archive


def test_find_archive_tells_sdists_from_wheels(tmp_path: Path) -> None:
    for name in ("Jinja2-2.10.3.tar.gz", "jinja2-2.10.3-py2.py3-none-any.whl", "x-1.zip"):
        (tmp_path / name).write_text("")
    assert dists.find_archive(tmp_path, "jinja2", "2.10.3").name == "Jinja2-2.10.3.tar.gz"
    wheel = dists.find_archive(tmp_path, "Jinja2", "2.10.3", wheel=True)
    assert wheel.name == "jinja2-2.10.3-py2.py3-none-any.whl"
    assert dists.find_archive(tmp_path, "jinja2", "2.10.1") is None
    assert dists.find_archive(tmp_path, "x", "1", wheel=True) is None
    assert dists.archive_name_version("a_b-1.0-1-cp311-cp311-linux_x86_64.whl") == ("a_b", "1.0")


def test_unpack_roots_an_sdist_at_its_top_dir_and_a_wheel_at_its_root(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "sdists", "pkg", "1.0", {"pkg/m.py": "x = 1\n"})
    root = dists.unpack(sdist, tmp_path / "src" / "pkg-1.0")
    assert root == tmp_path / "src" / "pkg-1.0" / "pkg-1.0"
    assert (root / "pkg" / "m.py").is_file()
    (tmp_path / "src" / "pkg-1.0" / ".tsafe_lint_cache").mkdir()  # left by an ad-hoc run
    assert dists.unpack(sdist, tmp_path / "src" / "pkg-1.0") == root
    wheel = tmp_path / "wheels" / "pkg-1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as bundle:
        bundle.writestr("pkg_mod.py", "x = 1\n")  # a single-module wheel: one dir in it
        bundle.writestr("pkg-1.0.dist-info/METADATA", "Name: pkg\n")
    root = dists.unpack(wheel, tmp_path / "src" / "pkg-1.0-wheel")
    assert root == tmp_path / "src" / "pkg-1.0-wheel"
    assert dists.select_files(root, ["."], []) == ["pkg_mod.py"]


BUGS_TOML = """\
[[bug]]
id = "pkg-notify"
package = "pkg"
buggy = "1.0"
fixed = "1.1"
dist = "sdist"
file = "pkg/signals.py"
function = "announce"
line = 7
kind = "notify-not-held"
link = "https://example.org/1"
what = "notify without the condition"

[[bug]]
id = "pkg-quiet"
package = "pkg"
buggy = "1.0"
fixed = "1.1"
dist = "sdist"
file = "pkg/quiet.py"
function = "Counter.bump"
line = 3
kind = "read-modify-write"
link = "https://example.org/2"
what = "lost update"
"""

QUIET = "class Counter:\n    def bump(self):\n        self.n += 1\n"
NOISY_TEST = "import threading\nc = threading.Condition()\ndef t():\n    c.notify()\n"


def test_the_script_end_to_end_with_cached_sdists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    for version, source in (("1.0", BUGGY_MODULE), ("1.1", FIXED_MODULE)):
        files = {"pkg/signals.py": source, "pkg/quiet.py": QUIET, "tests/test_x.py": NOISY_TEST}
        make_sdist(cache / "sdists", "pkg", version, files)
    (tmp_path / "bugs.toml").write_text(BUGS_TOML)
    (tmp_path / "misses.toml").write_text('[reasons]\npkg-notify = "old"\nnot-a-bug = "x"\n')
    monkeypatch.setattr(bugs_script, "BUGS", tmp_path / "bugs.toml")
    monkeypatch.setattr(bugs_script, "MISSES", tmp_path / "misses.toml")
    monkeypatch.setattr(bugs_script, "REPORT", tmp_path / "bugs.md")

    assert bugs_script.main(["--cache-dir", str(cache)]) == 0

    out, err = capsys.readouterr()
    assert out.splitlines() == [f"missed pkg-quiet: {report.NO_REASON}"]
    assert "reason kept for 'pkg-notify', which is now found" in err
    assert "reason kept for 'not-a-bug', which is not in bugs.toml" in err
    text = (tmp_path / "bugs.md").read_text()
    assert "**Recall: 1/2 = 50%**" in text
    assert "1/1 = 100% of the found bugs" in text
    assert "`TS302` line 7" in text
    assert str(tmp_path) not in text  # no local path in the committed report
    raw = json.loads((cache / bugs_script.RAW).read_text())
    assert [(r["package"], r["version"]) for r in raw["runs"]] == [("pkg", "1.0"), ("pkg", "1.1")]
    assert all(r["files"] == ["pkg/quiet.py", "pkg/signals.py"] for r in raw["runs"])  # no tests/


def test_the_script_refuses_a_malformed_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bugs.toml").write_text(BUGS_TOML.replace("read-modify-write", "race"))
    monkeypatch.setattr(bugs_script, "BUGS", tmp_path / "bugs.toml")
    monkeypatch.setattr(bugs_script, "REPORT", tmp_path / "bugs.md")
    assert bugs_script.main(["--cache-dir", str(tmp_path / "cache")]) == 2
    assert "unknown kind 'race'" in capsys.readouterr().err
    assert not (tmp_path / "bugs.md").exists()
