"""Autofixes: before/after cases, idempotence, the finding gone, and every refusal."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.clirunner import cli_runner
from tsafe_lint import fixes
from tsafe_lint.analysis import ModuleAnalysis
from tsafe_lint.cli import cli
from tsafe_lint.config import Config
from tsafe_lint.engine import Linter
from tsafe_lint.fixes import fix_file, fix_source
from tsafe_lint.project_context import EMPTY_CONTEXT
from tsafe_lint.source import ParseFailure, parse_source

CASES = Path(__file__).parent / "fix_cases"
BEFORE = sorted(p for p in CASES.glob("*.py") if not p.name.endswith(".expected.py"))
FIXABLE = {"TS201", "TS202", "TS301", "TS402", "TS403"}


def _expected(path: Path) -> bytes:
    return path.with_name(path.stem + ".expected.py").read_bytes()


def _codes(source: bytes) -> list[str]:
    return [d.code for d in Linter(Config(select=["TS"])).lint_source(source, "x.py")]


@pytest.mark.parametrize("case", BEFORE, ids=[p.name for p in BEFORE])
def test_fix_gives_the_expected_code(case: Path) -> None:
    outcome = fix_source(case.read_bytes(), case.name, unsafe=True)
    assert outcome.problem is None
    assert outcome.fixed == _expected(case)


@pytest.mark.parametrize("case", BEFORE, ids=[p.name for p in BEFORE])
def test_fixed_code_has_no_fixable_finding_left_and_fixing_again_changes_nothing(
    case: Path,
) -> None:
    before = [c for c in _codes(case.read_bytes()) if c in FIXABLE]
    assert before, "the case must exercise a fix"
    fixed = _expected(case)
    remaining = _codes(fixed)
    fixed_outcome = fix_source(fixed, case.name, unsafe=True)
    assert fixed_outcome.fixed is None  # idempotent
    assert len([c for c in remaining if c in FIXABLE]) < len(before)


@pytest.mark.parametrize("case", BEFORE, ids=[p.name for p in BEFORE])
def test_every_fix_is_unsafe_and_needs_unsafe_fixes(case: Path) -> None:
    # every fix changes what the program does (ruff's definition of unsafe)
    source = case.read_bytes()
    held_back = fix_source(source, case.name)
    assert held_back.fixed is None and held_back.problem is None
    assert held_back.unsafe_left >= 1
    assert fix_source(source, case.name, unsafe=True).fixed == _expected(case)


def test_fix_safety_is_declared_documented_and_honoured() -> None:
    from tsafe_lint.docgen import rule_page
    from tsafe_lint.rules import ALL_RULES

    fixable = {rule.code: rule for rule in ALL_RULES if rule.fixable}
    assert set(fixable) == FIXABLE
    for rule in ALL_RULES:
        page = rule_page(rule)
        if not rule.fixable:
            assert rule.fix_safety is None and "## Fix safety" not in page
            continue
        assert rule.fix_safety in {"safe", "unsafe", "sometimes"}
        section = page.split("## Fix safety\n", 1)[1].split("\n## ", 1)[0]
        assert section.strip().lower().startswith(rule.fix_safety), rule.code
        if rule.fix_safety != "safe":
            assert "--unsafe-fixes" in section
            assert f"- Autofix: yes ({rule.fix_safety}), with `--unsafe-fixes`" in page
    # each finding's Fix says what its rule declares
    seen: dict[str, set[bool]] = {}
    for case in BEFORE:
        parsed = parse_source(case.read_bytes())
        assert not isinstance(parsed, ParseFailure)
        analysis = ModuleAnalysis(parsed.module, case.name, EMPTY_CONTEXT, "case")
        for code, rule in fixable.items():
            for finding in rule().check(analysis):
                if finding.fix is not None:
                    seen.setdefault(code, set()).add(finding.fix.safe)
    assert set(seen) == FIXABLE
    for code, safeties in seen.items():
        declared = fixable[code].fix_safety
        expected = {True} if declared == "safe" else {False} if declared == "unsafe" else None
        assert expected is None or safeties == expected, code


def test_fix_file_writes_atomically_keeping_mode_bom_and_line_endings(tmp_path: Path) -> None:
    source = (CASES / "ts402_ts403_threads.py").read_bytes()
    crlf = b"\xef\xbb\xbf" + source.replace(b"\n", b"\r\n")
    target = tmp_path / "threads.py"
    target.write_bytes(crlf)
    target.chmod(0o640)
    outcome = fix_file(str(target), unsafe=True)
    assert outcome.problem is None and outcome.applied == 4
    written = target.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    assert written.count(b"\r\n") == crlf.count(b"\r\n")
    assert b"\n" not in written.replace(b"\r\n", b"")
    assert written == b"\xef\xbb\xbf" + _expected(CASES / "ts402_ts403_threads.py").replace(
        b"\n", b"\r\n"
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["threads.py"]  # no temporary left


def test_latin1_file_keeps_its_encoding(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nimport threading\nprint('café')\n"
    source += "threading.Thread(target=print, args=('é')).start()\n"
    target = tmp_path / "enc.py"
    target.write_bytes(source.encode("latin-1"))
    assert fix_file(str(target), unsafe=True).applied == 1
    assert target.read_bytes() == source.replace("('é')", "('é',)").encode("latin-1")


def test_a_file_with_a_syntax_error_is_never_touched(tmp_path: Path) -> None:
    target = tmp_path / "broken.py"
    target.write_text("import threading\nthreading.Thread(target=f, args=(x))\ndef (:\n")
    before = target.read_bytes()
    outcome = fix_file(str(target), unsafe=True)
    assert outcome.problem is not None and "does not parse" in outcome.problem
    assert target.read_bytes() == before


def test_a_read_only_file_is_left_alone_with_a_message(tmp_path: Path) -> None:
    target = tmp_path / "ro.py"
    target.write_text("import threading\nthreading.Thread(target=print, args=('x')).start()\n")
    target.chmod(0o444)
    before = target.read_bytes()
    outcome = fix_file(str(target), unsafe=True)
    assert outcome.problem == "not fixed: the file is read-only"
    assert target.read_bytes() == before
    result = cli_runner().invoke(cli, ["--fix", "--unsafe-fixes", str(target)])
    assert "read-only" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 1  # the finding is still there


def test_a_file_changed_on_disk_while_fixing_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "moving.py"
    target.write_text("import threading\nthreading.Thread(target=print, args=('x')).start()\n")
    real_fix_source = fixes.fix_source

    def fix_then_someone_edits(*args: object, **kwargs: object) -> fixes.FixOutcome:
        outcome = real_fix_source(*args, **kwargs)  # type: ignore[arg-type]
        target.write_text("# edited by someone else meanwhile\n")
        return outcome

    monkeypatch.setattr(fixes, "fix_source", fix_then_someone_edits)
    outcome = fix_file(str(target), unsafe=True)
    assert outcome.problem == "not fixed: the file changed on disk while it was being fixed"
    assert target.read_text() == "# edited by someone else meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["moving.py"]


def test_cli_diff_and_fix_hold_unsafe_fixes_back_and_apply_them_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for case in BEFORE:
        (tmp_path / case.name).write_bytes(case.read_bytes())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    runner = cli_runner()
    # --diff alone: every fix is unsafe, so there is no change to show (it used to show
    # the TS301 if -> while and the TS402 target=f() -> target=f as safe)
    diff = runner.invoke(cli, ["--diff", "--no-cache", "."])
    assert diff.exit_code == 0 and diff.stdout == ""
    assert "more fixes are available with --unsafe-fixes" in diff.stderr
    # --diff --unsafe-fixes: every rule's fix, and still nothing written
    unsafe_diff = runner.invoke(cli, ["--diff", "--unsafe-fixes", "--no-cache", "."])
    assert unsafe_diff.exit_code == 1
    for change in (
        "+    with lock:  # keep this comment",  # TS201
        "+        while not queue:  # nothing yet",  # TS301
        "+    threading.Thread(target=tick).start()",  # TS402
        '+    threading.Thread(target=greet, args=("Ada",)).start()',  # TS403
    ):
        assert change in unsafe_diff.stdout.splitlines(), change
    assert "--unsafe-fixes" not in unsafe_diff.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    # --fix alone changes nothing and says why; --fix --unsafe-fixes writes every case
    held_back = runner.invoke(cli, ["--fix", "--no-cache", "."])
    assert "Applied" not in held_back.stderr
    assert "available with --unsafe-fixes" in held_back.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    fixed = runner.invoke(cli, ["--fix", "--unsafe-fixes", "--no-cache", "."])
    assert "Applied" in fixed.stderr
    for case in BEFORE:
        assert (tmp_path / case.name).read_bytes() == _expected(case), case.name
    again = runner.invoke(cli, ["--diff", "--unsafe-fixes", "--no-cache", "."])
    assert again.exit_code == 0 and again.stdout == "" and again.stderr == ""


def test_noqa_keeps_a_line_from_being_fixed(tmp_path: Path) -> None:
    source = b"import threading\nthreading.Thread(target=print, args=('x')).start()  # noqa\n"
    outcome = fix_source(source, "x.py", unsafe=True)
    assert outcome.fixed is None and outcome.unsafe_left == 0
    assert fix_source(source.replace(b"  # noqa", b""), "x.py", unsafe=True).fixed is not None


def test_json_output_says_which_findings_are_fixable(tmp_path: Path) -> None:
    import json

    target = tmp_path / "t.py"
    target.write_bytes((CASES / "ts402_ts403_threads.py").read_bytes())
    result = cli_runner().invoke(cli, ["--format", "json", "--no-cache", str(target)])
    records = json.loads(result.stdout)
    by_line = {(r["line"], r["code"]): r["fix_available"] for r in records}
    assert by_line[(14, "TS403")] is True
    assert by_line[(19, "TS402")] is False  # greet("Bob") has arguments: no fix


# -- property: whatever the formatting, a fix never leaves code that does not parse ----
_PARTS = {
    "acquire": "{i}lock.acquire(){c}\n{i}{work}\n{i}lock.release(){c}\n",
    "wait": "{i}with cv:\n{i}    if not items:{c}\n{i}        cv.wait()\n",
    "args": "{i}threading.Thread(target=print, args=({sp}{value}{sp})){c}\n",
    "target": "{i}threading.Thread(target=tick()){c}\n",
}


@st.composite
def _programs(draw: st.DrawFn) -> str:
    body = []
    for _ in range(draw(st.integers(1, 5))):
        part = draw(st.sampled_from(sorted(_PARTS)))
        body.append(
            _PARTS[part].format(
                i="    ",
                c=draw(st.sampled_from(["", "  # note", "  #", " ;"]))
                if part != "acquire"
                else draw(st.sampled_from(["", "  # note"])),
                work=draw(
                    st.sampled_from(["items.append(1)", "return 1", "pass", "x = (1,\n        2)"])
                ),
                sp=draw(st.sampled_from(["", " ", "\n        "])),
                value=draw(st.sampled_from(["'a'", "items", "f(x)", "(1)", "'''q'''"])),
            )
        )
    header = "import threading\nlock = threading.Lock()\ncv = threading.Condition()\n"
    header += "items = []\n\ndef tick():\n    pass\n\ndef f(x):\n    return x\n\n"
    return header + "def run(x):\n" + "".join(body)


@settings(max_examples=60, deadline=None)
@given(_programs(), st.booleans())
def test_fix_output_always_parses(program: str, unsafe: bool) -> None:
    source = program.encode()
    if isinstance(parse_source(source), ParseFailure):
        return  # only valid programs are fixed at all
    outcome = fix_source(source, "gen.py", unsafe=unsafe)
    assert outcome.problem is None
    result = outcome.fixed if outcome.fixed is not None else source
    assert not isinstance(parse_source(result), ParseFailure)
    assert fix_source(result, "gen.py", unsafe=unsafe).fixed is None  # idempotent


def test_fix_through_the_console_script(tmp_path: Path) -> None:
    target = tmp_path / "t.py"
    target.write_text("import threading\nthreading.Thread(target=print, args=('x')).start()\n")
    script = Path(sys.executable).with_name("tsafe-lint")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tsafe_lint"]
    held_back = subprocess.run([*command, "--fix", str(target)], capture_output=True, text=True)
    assert held_back.returncode == 1, held_back.stderr  # TS403 is still there
    assert "1 more fix is available with --unsafe-fixes" in held_back.stderr
    assert "args=('x')" in target.read_text()
    done = subprocess.run(
        [*command, "--fix", "--unsafe-fixes", str(target)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "args=('x',)" in target.read_text()
    assert os.path.exists(target)
