"""The ``tsafe-lint`` command line: output, exit codes, options, paths and entry points."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result

from tests.clirunner import cli_runner
from tests.samples import BAD, CLEAN, JSON_KEYS, MIXED, write
from tsafe_lint import __version__
from tsafe_lint.cli import cli
from tsafe_lint.rules import ALL_RULES, ENGINE_CODES

TEXT_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>TS\d{3}) (?P<msg>.+)$")
CONSOLE_SCRIPT = Path(sys.executable).parent / "tsafe-lint"


def run(*args: str) -> Result:
    return cli_runner().invoke(cli, list(args))


def parse(output: str) -> list[tuple[str, int, int, str]]:
    """(path, line, col, code) of every text-format line; fails on any other line."""
    found = []
    for line in output.splitlines():
        match = TEXT_LINE.match(line)
        assert match, f"not a flake8-style line: {line!r}"
        found.append((match["path"], int(match["line"]), int(match["col"]), match["code"]))
    return found


# --- output format -------------------------------------------------------------------


def test_text_format_is_path_line_col_code_message(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    result = run("a.py")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("a.py:4:5: TS201 ")
    message = lines[0][len("a.py:4:5: TS201 ") :]
    assert "lock.acquire()" in message


def test_line_and_column_are_one_based(in_tmp: Path) -> None:
    # the acquire call at the very start of line 3 is column 1, not 0
    source = "import threading\nlock = threading.Lock()\nlock.acquire()\nwork()\nlock.release()\n"
    write(in_tmp / "a.py", source)
    result = run("a.py")
    assert parse(result.output) == [("a.py", 3, 1, "TS201")]


def test_findings_sorted_by_path_line_col(in_tmp: Path) -> None:
    write(in_tmp / "z.py", MIXED)
    write(in_tmp / "a.py", MIXED)
    write(in_tmp / "m" / "b.py", BAD)
    # name them out of order on purpose
    result = run("z.py", "m", "a.py")
    found = parse(result.output)
    assert found == sorted(found, key=lambda f: (f[0], f[1], f[2]))
    assert {f[0] for f in found} == {"a.py", "z.py", os.path.join("m", "b.py")}
    # two findings on line 9, ordered by column
    assert [(f[1], f[2], f[3]) for f in found if f[0] == "a.py"][:2] == [
        (9, 33, "TS402"),
        (9, 52, "TS403"),
    ]


def test_path_shown_relative_as_given(in_tmp: Path) -> None:
    write(in_tmp / "src" / "pkg" / "a.py", BAD)
    result = run("src/")
    assert parse(result.output) == [(os.path.join("src", "pkg", "a.py"), 4, 5, "TS201")]
    result = run("src/pkg/a.py")
    assert parse(result.output) == [(os.path.join("src", "pkg", "a.py"), 4, 5, "TS201")]


def test_absolute_path_below_cwd_is_shown_relative(in_tmp: Path) -> None:
    write(in_tmp / "src" / "a.py", BAD)
    result = run(str(in_tmp / "src"))
    assert parse(result.output) == [(os.path.join("src", "a.py"), 4, 5, "TS201")]


def test_directory_is_recursed_for_py_files_only(in_tmp: Path) -> None:
    write(in_tmp / "d" / "one.py", BAD)
    write(in_tmp / "d" / "deep" / "er" / "two.py", BAD)
    write(in_tmp / "d" / "notes.txt", BAD)
    write(in_tmp / "d" / "script.pyw", BAD)
    write(in_tmp / "d" / "data.pyc.bak", BAD)
    result = run("d")
    assert {f[0] for f in parse(result.output)} == {
        os.path.join("d", "one.py"),
        os.path.join("d", "deep", "er", "two.py"),
    }


@pytest.mark.parametrize(
    "skipped",
    [".git", "venv", ".venv", "__pycache__", "build", "dist", ".tox", "node_modules"],
)
def test_standard_directories_are_skipped(in_tmp: Path, skipped: str) -> None:
    write(in_tmp / "kept.py", BAD)
    write(in_tmp / skipped / "hidden.py", BAD)
    write(in_tmp / "pkg" / skipped / "nested.py", BAD)
    result = run(".")
    assert [f[0] for f in parse(result.output)] == ["kept.py"]


def test_any_virtualenv_directory_is_skipped(in_tmp: Path) -> None:
    write(in_tmp / "kept.py", BAD)
    write(in_tmp / "myenv" / "pyvenv.cfg", "home = /usr/bin\n")
    write(in_tmp / "myenv" / "lib" / "site.py", BAD)
    result = run(".")
    assert [f[0] for f in parse(result.output)] == ["kept.py"]


def test_skipped_directory_named_explicitly_file_is_still_linted(in_tmp: Path) -> None:
    write(in_tmp / "build" / "gen.py", BAD)
    result = run("build/gen.py")
    assert parse(result.output) == [(os.path.join("build", "gen.py"), 4, 5, "TS201")]


def test_default_path_is_current_directory(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    write(in_tmp / "sub" / "b.py", BAD)
    result = run()
    assert result.exit_code == 1
    assert [f[0] for f in parse(result.output)] == ["a.py", os.path.join("sub", "b.py")]


def test_same_file_given_twice_is_reported_once(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    result = run("a.py", "./a.py", ".")
    assert parse(result.output) == [("a.py", 4, 5, "TS201")]


# --- exit codes ----------------------------------------------------------------------


def test_exit_0_without_findings(in_tmp: Path) -> None:
    write(in_tmp / "a.py", CLEAN)
    result = run("a.py")
    assert result.exit_code == 0
    assert result.output == ""


def test_exit_0_on_empty_directory(in_tmp: Path) -> None:
    result = run(".")
    assert result.exit_code == 0
    assert result.output == ""


def test_exit_1_with_findings(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    assert run("a.py").exit_code == 1


def test_exit_zero_flag(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    result = run("--exit-zero", "a.py")
    assert result.exit_code == 0
    # the findings are still printed
    assert parse(result.output) == [("a.py", 4, 5, "TS201")]


def test_nonexistent_path_is_usage_error(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    result = run("a.py", "missing.py")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["tsafe-lint: error: path does not exist: missing.py"]
    assert result.stdout == ""


def test_unknown_code_in_select_is_usage_error(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    result = run("--select", "TS999", "a.py")
    assert result.exit_code == 2
    assert "TS999" in result.stderr
    assert result.stderr.startswith("tsafe-lint: error:")
    assert result.stdout == ""


def test_unknown_code_in_ignore_is_usage_error(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    result = run("--ignore", "XY1", "a.py")
    assert result.exit_code == 2
    assert "XY1" in result.stderr


def test_unknown_format_is_usage_error(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    result = run("--format", "xml", "a.py")
    assert result.exit_code == 2


def test_unknown_option_is_usage_error(in_tmp: Path) -> None:
    assert run("--no-such-option").exit_code == 2


def test_unknown_config_key_is_usage_error(in_tmp: Path) -> None:
    write(in_tmp / "pyproject.toml", '[tool.tsafe-lint]\nselec = ["TS201"]\n')
    write(in_tmp / "a.py", BAD)
    result = run("a.py")
    assert result.exit_code == 2
    assert "selec" in result.stderr


def test_invalid_toml_is_usage_error(in_tmp: Path) -> None:
    write(in_tmp / "pyproject.toml", "[tool.tsafe-lint\nselect = [\n")
    write(in_tmp / "a.py", BAD)
    result = run("a.py")
    assert result.exit_code == 2
    assert "invalid TOML" in result.stderr


# --- select / ignore -----------------------------------------------------------------


def codes_of(result: Result) -> list[str]:
    return sorted({f[3] for f in parse(result.output)})


ALL_MIXED = ["TS201", "TS204", "TS301", "TS402", "TS403"]


def test_default_reports_all_mixed(in_tmp: Path) -> None:
    write(in_tmp / "m.py", MIXED)
    assert codes_of(run("m.py")) == ALL_MIXED


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--select", "TS201"], ["TS201"]),
        (["--select", "ts201"], ["TS201"]),
        (["--select", "TS2"], ["TS201", "TS204"]),
        (["--select", "TS4"], ["TS402", "TS403"]),
        (["--select", "TS201,TS301"], ["TS201", "TS301"]),
        (["--select", "TS201", "--select", "TS403"], ["TS201", "TS403"]),
        (["--select", "TS2, TS40"], ["TS201", "TS204", "TS402", "TS403"]),
        (["--ignore", "TS201"], ["TS204", "TS301", "TS402", "TS403"]),
        (["--ignore", "TS2"], ["TS301", "TS402", "TS403"]),
        (["--ignore", "TS2,TS3"], ["TS402", "TS403"]),
        (["--ignore", "TS2", "--ignore", "TS403"], ["TS301", "TS402"]),
        (["--select", "TS2", "--ignore", "TS201"], ["TS204"]),
        (["--select", "TS", "--ignore", "TS4"], ["TS201", "TS204", "TS301"]),
        # the most specific prefix wins: a longer select beats a shorter ignore
        (["--select", "TS201", "--ignore", "TS2"], ["TS201"]),
        (["--select", "ALL", "--ignore", "TS3,TS4"], ["TS201", "TS204"]),
        (["--ignore", "ALL"], []),
    ],
)
def test_select_and_ignore(in_tmp: Path, args: list[str], expected: list[str]) -> None:
    write(in_tmp / "m.py", MIXED)
    result = run(*args, "m.py")
    assert codes_of(result) == expected
    assert result.exit_code == (1 if expected else 0)


def test_select_keeps_positions(in_tmp: Path) -> None:
    write(in_tmp / "m.py", MIXED)
    result = run("--select", "TS403", "m.py")
    assert parse(result.output) == [("m.py", 9, 52, "TS403")]


# --- exclude -------------------------------------------------------------------------


def test_exclude_glob_on_file_names(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    write(in_tmp / "gen_one.py", BAD)
    write(in_tmp / "sub" / "gen_two.py", BAD)
    result = run("--exclude", "gen_*.py", ".")
    assert [f[0] for f in parse(result.output)] == ["a.py"]


def test_exclude_directory(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    write(in_tmp / "generated" / "x.py", BAD)
    write(in_tmp / "generated" / "deep" / "y.py", BAD)
    write(in_tmp / "keep" / "z.py", BAD)
    result = run("--exclude", "generated", ".")
    assert [f[0] for f in parse(result.output)] == ["a.py", os.path.join("keep", "z.py")]


def test_exclude_comma_separated(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    write(in_tmp / "generated" / "x.py", BAD)
    write(in_tmp / "legacy" / "deep" / "y.py", BAD)
    write(in_tmp / "keep" / "z.py", BAD)
    result = run("--exclude", "generated,legacy", ".")
    assert [f[0] for f in parse(result.output)] == ["a.py", os.path.join("keep", "z.py")]


def test_exclude_repeated_option(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    write(in_tmp / "b.py", BAD)
    write(in_tmp / "c.py", BAD)
    result = run("--exclude", "a.py", "--exclude", "c.py", ".")
    assert [f[0] for f in parse(result.output)] == ["b.py"]


def test_exclude_path_glob(in_tmp: Path) -> None:
    write(in_tmp / "src" / "a.py", BAD)
    write(in_tmp / "src" / "migrations" / "m1.py", BAD)
    write(in_tmp / "other" / "migrations" / "m2.py", BAD)
    result = run("--exclude", "src/migrations/*", ".")
    assert [f[0] for f in parse(result.output)] == [
        os.path.join("other", "migrations", "m2.py"),
        os.path.join("src", "a.py"),
    ]


def test_explicit_excluded_file_is_linted_without_force_exclude(in_tmp: Path) -> None:
    write(in_tmp / "gen_a.py", BAD)
    result = run("--exclude", "gen_*.py", "gen_a.py")
    assert result.exit_code == 1
    assert parse(result.output) == [("gen_a.py", 4, 5, "TS201")]


def test_force_exclude_applies_to_explicit_files(in_tmp: Path) -> None:
    write(in_tmp / "gen_a.py", BAD)
    write(in_tmp / "b.py", BAD)
    result = run("--force-exclude", "--exclude", "gen_*.py", "gen_a.py", "b.py")
    assert result.exit_code == 1
    assert parse(result.output) == [("b.py", 4, 5, "TS201")]
    result = run("--force-exclude", "--exclude", "gen_*.py", "gen_a.py")
    assert result.exit_code == 0
    assert result.output == ""


def test_force_exclude_with_config_exclude(in_tmp: Path) -> None:
    write(in_tmp / "pyproject.toml", '[tool.tsafe-lint]\nexclude = ["vendored/*"]\n')
    write(in_tmp / "vendored" / "lib.py", BAD)
    assert run("vendored/lib.py").exit_code == 1
    result = run("--force-exclude", "vendored/lib.py")
    assert result.exit_code == 0
    assert result.output == ""


# --- json ----------------------------------------------------------------------------


def test_json_format(in_tmp: Path) -> None:
    write(in_tmp / "m.py", MIXED)
    write(in_tmp / "a.py", BAD)
    text = run("m.py", "a.py")
    result = run("--format", "json", "m.py", "a.py")
    assert result.exit_code == 1
    records = json.loads(result.output)
    assert isinstance(records, list)
    assert len(records) == len(text.output.splitlines()) == 6
    names = {rule.code: rule.name for rule in ALL_RULES}
    for record, line in zip(records, text.output.splitlines()):
        assert set(record) == JSON_KEYS
        assert line == (
            f"{record['path']}:{record['line']}:{record['column']}: "
            f"{record['code']} {record['message']}"
        )
        assert record["name"] == names[record["code"]]
        assert isinstance(record["fix_available"], bool)
        assert isinstance(record["severity"], str) and record["severity"]
        assert (record["end_line"], record["end_column"]) >= (record["line"], record["column"])
    first = records[0]
    assert (first["path"], first["line"], first["column"], first["code"]) == (
        "a.py",
        4,
        5,
        "TS201",
    )
    # 'lock.acquire()' is 14 characters long, starting at column 5
    assert (first["end_line"], first["end_column"]) == (4, 19)


def test_json_format_without_findings_is_empty_list(in_tmp: Path) -> None:
    write(in_tmp / "a.py", CLEAN)
    result = run("--format", "json", "a.py")
    assert result.exit_code == 0
    assert json.loads(result.output) == []


def test_json_format_reports_parse_errors(in_tmp: Path) -> None:
    write(in_tmp / "broken.py", "def f(:\n    pass\n")
    result = run("--format", "json", "broken.py")
    assert result.exit_code == 1
    [record] = json.loads(result.output)
    assert record["code"] == "TS001"
    assert record["line"] == 1
    assert record["message"].startswith("could not parse: syntax error")


# --- statistics, list-rules, explain, version ----------------------------------------


def test_statistics(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    write(in_tmp / "b.py", BAD)
    write(in_tmp / "m.py", MIXED)
    result = run("--statistics", ".")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    findings = [line for line in lines if TEXT_LINE.match(line)]
    stats = [line for line in lines if not TEXT_LINE.match(line)]
    assert len(findings) == 7
    counts = {}
    for line in stats:
        count, code, name = line.split()
        counts[code] = int(count)
        assert name == {rule.code: rule.name for rule in ALL_RULES}[code]
    assert counts == {"TS201": 3, "TS204": 1, "TS301": 1, "TS402": 1, "TS403": 1}
    # most frequent first
    assert stats[0].split()[1] == "TS201"
    # statistics come after the findings
    assert lines[: len(findings)] == findings


def test_statistics_without_findings(in_tmp: Path) -> None:
    write(in_tmp / "a.py", CLEAN)
    result = run("--statistics", "a.py")
    assert result.exit_code == 0
    assert result.output.strip() == ""


def test_list_rules_lists_every_rule() -> None:
    result = run("--list-rules")
    assert result.exit_code == 0
    rows = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    for rule in ALL_RULES:
        assert rule.code in rows, rule.code
        assert rule.name in rows[rule.code]
        assert rule.summary in rows[rule.code]
    for code in ENGINE_CODES:
        assert code in rows


def test_list_rules_ignores_paths_and_does_not_lint(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    result = run("--list-rules", "a.py")
    assert result.exit_code == 0
    assert "a.py:" not in result.output


@pytest.mark.parametrize("code", ["TS201", "ts201"])
def test_explain_rule(code: str) -> None:
    result = run("--explain", code)
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("TS201 acquire-without-try-finally")
    sections = ["What it does", "Why is this bad", "Example", "Use instead"]
    positions = [out.index(section) for section in sections]
    assert positions == sorted(positions)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_explain_every_rule_has_the_sections(rule: type) -> None:
    result = run("--explain", rule.code)
    assert result.exit_code == 0
    for section in ["What it does", "Why is this bad", "Example", "Use instead"]:
        assert section in result.output, (rule.code, section)


def test_explain_engine_code() -> None:
    result = run("--explain", "TS001")
    assert result.exit_code == 0
    assert "TS001" in result.output and "parse" in result.output


@pytest.mark.parametrize("code", ["TS999", "E501", "TS2"])
def test_explain_unknown_code(code: str) -> None:
    result = run("--explain", code)
    assert result.exit_code == 2
    assert result.stderr.startswith("tsafe-lint: error:")
    assert code in result.stderr
    assert result.stdout == ""


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output
    assert "tsafe-lint" in result.output


def test_help() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for option in ["--select", "--ignore", "--exclude", "--format", "--exit-zero", "--config"]:
        assert option in result.output


# --- the installed console script and ``python -m`` ----------------------------------


def run_process(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def console_script() -> Path:
    if not CONSOLE_SCRIPT.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    return CONSOLE_SCRIPT


def test_console_script_findings(tmp_path: Path, console_script: Path) -> None:
    write(tmp_path / "src" / "a.py", BAD)
    write(tmp_path / "src" / "ok.py", CLEAN)
    proc = run_process([str(console_script), "src/"], tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert parse(proc.stdout) == [(os.path.join("src", "a.py"), 4, 5, "TS201")]
    assert proc.stderr == ""


def test_console_script_clean_and_default_path(tmp_path: Path, console_script: Path) -> None:
    write(tmp_path / "ok.py", CLEAN)
    proc = run_process([str(console_script)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""


def test_console_script_nonexistent_path(tmp_path: Path, console_script: Path) -> None:
    proc = run_process([str(console_script), "nope.py"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["tsafe-lint: error: path does not exist: nope.py"]
    assert proc.stdout == ""


def test_console_script_json_and_exit_zero(tmp_path: Path, console_script: Path) -> None:
    write(tmp_path / "a.py", BAD)
    proc = run_process([str(console_script), "--format", "json", "--exit-zero", "a.py"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    [record] = json.loads(proc.stdout)
    assert (record["path"], record["line"], record["column"], record["code"]) == (
        "a.py",
        4,
        5,
        "TS201",
    )


def test_console_script_version(tmp_path: Path, console_script: Path) -> None:
    proc = run_process([str(console_script), "--version"], tmp_path)
    assert proc.returncode == 0
    assert __version__ in proc.stdout


def test_python_dash_m(tmp_path: Path) -> None:
    write(tmp_path / "a.py", BAD)
    proc = run_process([sys.executable, "-m", "tsafe_lint", "a.py"], tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert parse(proc.stdout) == [("a.py", 4, 5, "TS201")]


def test_python_dash_m_usage_error(tmp_path: Path) -> None:
    proc = run_process([sys.executable, "-m", "tsafe_lint", "--select", "NOPE1"], tmp_path)
    assert proc.returncode == 2
    assert "NOPE1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_python_dash_m_list_rules(tmp_path: Path) -> None:
    proc = run_process([sys.executable, "-m", "tsafe_lint", "--list-rules"], tmp_path)
    assert proc.returncode == 0
    for rule in ALL_RULES:
        assert rule.code in proc.stdout


# --- standard input ------------------------------------------------------------------


def test_stdin_with_stdin_filename(in_tmp: Path) -> None:
    result = cli_runner().invoke(cli, ["--stdin-filename", "pkg/mod.py", "-"], input=BAD)
    assert result.exit_code == 1
    assert parse(result.output) == [("pkg/mod.py", 4, 5, "TS201")]


def test_stdin_cannot_be_combined_with_paths(in_tmp: Path) -> None:
    write(in_tmp / "a.py", BAD)
    result = cli_runner().invoke(cli, ["-", "a.py"], input=BAD)
    assert result.exit_code == 2
    assert result.stderr.startswith("tsafe-lint: error:")
    assert result.stdout == ""


def test_stdin_filename_without_dash_is_usage_error(in_tmp: Path) -> None:
    # without '-', the run used to lint '.' (here: BAD) and ignore standard input
    write(in_tmp / "a.py", BAD)
    result = cli_runner().invoke(cli, ["--stdin-filename", "x.py"], input=CLEAN)
    assert result.exit_code == 2
    assert result.stderr.startswith("tsafe-lint: error: --stdin-filename")
    assert "'-'" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("value", ["", ",", " , "])
def test_empty_select_is_usage_error(in_tmp: Path, value: str) -> None:
    # an empty --select used to select nothing, silently, and exit 0
    write(in_tmp / "a.py", BAD)
    result = run("--select", value, "a.py")
    assert result.exit_code == 2
    assert result.stderr.startswith("tsafe-lint: error: --select: no rule code given")
    assert result.stdout == ""


# --- internal errors: exit status 3 ---------------------------------------------------


def _explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("exploded in a test")


def test_a_crash_exits_3_with_the_traceback(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tsafe_lint.cli as cli_module

    write(in_tmp / "a.py", BAD)
    monkeypatch.setattr(cli_module, "render_human", _explode)
    result = run("a.py")
    assert result.exit_code == 3
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" in result.stderr and "exploded in a test" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("tsafe-lint: internal error (exit status 3)")


def test_a_crash_exits_3_through_the_console_entry_point(tmp_path: Path) -> None:
    write(tmp_path / "a.py", BAD)
    program = (
        "import sys, tsafe_lint.cli as c\n"
        "def boom(*a, **k): raise RuntimeError('exploded in a test')\n"
        "c.render_human = boom\n"
        "sys.argv = ['tsafe-lint', '--no-cache', 'a.py']\n"
        "c.main()\n"
    )
    proc = run_process([sys.executable, "-c", program], tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "exploded in a test" in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("extra", [[], ["--exit-zero"]])
def test_ts002_exits_3_even_with_exit_zero(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    from tsafe_lint.rules import RULES_BY_CODE

    monkeypatch.setattr(RULES_BY_CODE["TS201"], "check", _explode)
    write(in_tmp / "a.py", BAD)
    result = run("--no-cache", *extra, "a.py")
    assert result.exit_code == 3
    assert [row[3] for row in parse(result.output)] == ["TS002"]


def test_ignored_ts002_does_not_change_the_exit_status(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tsafe_lint.rules import RULES_BY_CODE

    monkeypatch.setattr(RULES_BY_CODE["TS301"], "check", _explode)
    write(in_tmp / "a.py", BAD)
    result = run("--no-cache", "--ignore", "TS002", "a.py")
    assert result.exit_code == 1
    assert [row[3] for row in parse(result.output)] == ["TS201"]


TWO_DECISIONS = """\
import threading


class Starter:
    def __init__(self):
        self._cond = threading.Condition()
        self._reply = None
        self._command = None

    def on_message(self, reply):
        with self._cond:
            self._reply = reply
            self._cond.notify_all()

    def reset(self):
        with self._cond:
            self._command = None
            self._reply = None

    def wait_for_reply(self, command):
        with self._cond:
            replied = self._cond.wait_for(
                lambda: self._command != command or self._reply is not None, timeout=5
            )
            reply = dict(self._reply) if self._reply is not None else None
        if not replied or reply is None:
            self.reset()
"""


def test_output_does_not_change_with_the_hash_seed(tmp_path: Path, console_script: Path) -> None:
    """A finding that could name either of two decisions names the one its test reads
    first, whatever order a set of names has in this process (watcherobot's TS108 named
    'reply' or 'replied' depending on PYTHONHASHSEED)."""
    write(tmp_path / "starter.py", TWO_DECISIONS)
    outputs = set()
    for seed in ("1", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [str(console_script), "--no-cache", "--select", "TS108", "starter.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert proc.returncode == 1, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    assert "'replied' was decided" in outputs.pop()
