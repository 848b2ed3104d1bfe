"""Hostile input: the linter reports TS001/TS002 and carries on, never a traceback,
and never executes the code it reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

from tests.clirunner import cli_runner
from tests.fixture_format import expected_findings, xfail_reason
from tests.samples import BAD
from tsafe_lint.cli import cli
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.engine import Linter
from tsafe_lint.rules import RULES_BY_CODE

TEXT_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>TS\d{3}) (?P<msg>.+)$")


def lint(source: bytes, path: str = "x.py") -> list[Diagnostic]:
    return Linter(Config()).lint_source(source, path)


def only_ts001(diagnostics: list[Diagnostic]) -> Diagnostic:
    assert [d.code for d in diagnostics] == ["TS001"], diagnostics
    return diagnostics[0]


def run(*args: str) -> Result:
    return cli_runner().invoke(cli, list(args))


def parse(output: str) -> list[tuple[str, int, int, str, str]]:
    found = []
    for line in output.splitlines():
        match = TEXT_LINE.match(line)
        assert match, f"not a flake8-style line: {line!r}"
        found.append(
            (match["path"], int(match["line"]), int(match["col"]), match["code"], match["msg"])
        )
    return found


# --- syntax errors -------------------------------------------------------------------


def test_syntax_error_is_one_ts001_at_the_right_line() -> None:
    source = b"import threading\n\ndef f(:\n    pass\n"
    diagnostic = only_ts001(lint(source))
    assert diagnostic.line == 3
    assert diagnostic.message.startswith("could not parse: syntax error: ")
    assert diagnostic.name == "parse-error"


def test_syntax_error_late_in_a_file() -> None:
    source = BAD.encode() + b"\n\nx = [1, 2\ny = 3\nclass :\n"
    diagnostic = only_ts001(lint(source))
    assert diagnostic.message.startswith("could not parse: syntax error: ")
    # CPython places it at the unclosed bracket's line or the line after it
    assert diagnostic.line in (9, 10)
    assert diagnostic.line > 6  # not reported at the top of the file


def test_syntax_error_does_not_stop_the_run(in_tmp: Path) -> None:
    (in_tmp / "a_broken.py").write_text("import threading\n\ndef f(:\n    pass\n")
    (in_tmp / "b_bad.py").write_text(BAD)
    (in_tmp / "c_broken.py").write_text("x = = 1\n")
    result = run(".")
    assert result.exit_code == 1
    found = parse(result.output)
    assert [(p, line, code) for p, line, _, code, _ in found] == [
        ("a_broken.py", 3, "TS001"),
        ("b_bad.py", 4, "TS201"),
        ("c_broken.py", 1, "TS001"),
    ]
    assert found[0][4].startswith("could not parse: syntax error: ")
    assert "Traceback" not in result.output


def test_syntax_error_only_file_exits_1(in_tmp: Path) -> None:
    (in_tmp / "broken.py").write_text("def f(:\n")
    result = run("broken.py")
    assert result.exit_code == 1
    assert [f[3] for f in parse(result.output)] == ["TS001"]


def test_python2_print_statement() -> None:
    diagnostic = only_ts001(lint(b'print "hi"\n'))
    assert diagnostic.line == 1
    assert diagnostic.message.startswith("could not parse: syntax error: ")


@pytest.mark.parametrize(
    ("source", "line"),
    [
        (b'exec "x = 1"\n', 1),
        (b"x = 1\ny = `x`\n", 2),
        (b"x = 0777\n", 1),
        (b'raise ValueError, "msg"\n', 1),
        (b"x = 10L\n", 1),
        (b"if x <> y:\n    pass\n", 1),
        (b"def f((a, b)):\n    pass\n", 1),
        (b'import sys\nprint >>sys.stderr, "x"\nprint "y"\n', 3),
    ],
)
def test_other_python2_syntax(source: bytes, line: int) -> None:
    diagnostic = only_ts001(lint(source))
    assert diagnostic.line == line
    assert diagnostic.message.startswith("could not parse: syntax error: ")


def _compiles(source: bytes) -> bool:
    try:
        compile(source, "x.py", "exec", dont_inherit=True)  # compiles only, never runs
    except SyntaxError:
        return False
    return True


PY2_EXCEPT = b"try:\n    pass\nexcept Exception, e:\n    pass\n"


def test_python2_except_comma_matches_the_running_python() -> None:
    found = lint(PY2_EXCEPT)
    if _compiles(PY2_EXCEPT):  # Python 3.14+: 'except Exception, e:' catches either name
        assert found == []
    else:
        assert only_ts001(found).line == 3


def test_syntax_error_can_be_ignored_like_any_code() -> None:
    linter = Linter(Config(ignore=["TS001"]))
    assert linter.lint_source(b"def f(:\n", "x.py") == []


# --- encodings and bytes -------------------------------------------------------------


def test_undecodable_bytes_without_cookie() -> None:
    diagnostic = only_ts001(lint(b"x = '\xff'\n"))
    assert diagnostic.message.startswith("could not parse: ")
    assert "decode" in diagnostic.message


def test_undecodable_bytes_on_a_later_line() -> None:
    diagnostic = only_ts001(lint(b"a = 1\nb = 2\nx = '\xff\xfe'\n"))
    assert "decode" in diagnostic.message


def test_bad_coding_cookie() -> None:
    diagnostic = only_ts001(lint(b"# -*- coding: no-such-codec -*-\nx = 1\n"))
    assert diagnostic.message.startswith("could not parse: ")
    assert "no-such-codec" in diagnostic.message


def test_cookie_that_does_not_match_the_bytes() -> None:
    # declared utf-8, but the bytes are latin-1
    diagnostic = only_ts001(lint("# coding: utf-8\ns = 'caf\xe9'\n".encode("latin-1")))
    assert "decode" in diagnostic.message


def test_nul_byte() -> None:
    diagnostic = only_ts001(lint(b"x = 1\ny = '\x00'\n"))
    assert diagnostic.line == 2
    assert "NUL" in diagnostic.message


def test_bom_prefixed_file_is_parsed() -> None:
    found = lint(b"\xef\xbb\xbf" + BAD.encode())
    assert [(d.line, d.col, d.code) for d in found] == [(4, 5, "TS201")]


def test_latin1_cookie_file_is_parsed() -> None:
    source = "# -*- coding: latin-1 -*-\n" + "caf\xe9 = 'cr\xe8me'\n" + BAD
    found = lint(source.encode("latin-1"))
    assert [(d.line, d.col, d.code) for d in found] == [(6, 5, "TS201")]


def test_latin1_cookie_noqa_still_works() -> None:
    source = "# -*- coding: latin-1 -*-\n# \xe9\n" + BAD.replace(
        "lock.acquire()", "lock.acquire()  # noqa"
    )
    assert lint(source.encode("latin-1")) == []


def test_crlf_line_endings() -> None:
    found = lint(BAD.replace("\n", "\r\n").encode())
    assert [(d.line, d.col, d.code) for d in found] == [(4, 5, "TS201")]


def test_non_ascii_identifiers_and_strings() -> None:
    source = "# é\nnombre = 'ñandú 🦆'\n" + BAD
    found = lint(source.encode("utf-8"))
    assert [(d.line, d.code) for d in found] == [(6, "TS201")]


def test_empty_file() -> None:
    assert lint(b"") == []


@pytest.mark.parametrize(
    "source", [b"# just a comment\n", b"# one\n\n   # two\n#three", b"\n\n\n", b"   \n\t\n"]
)
def test_comments_and_blank_lines_only(source: bytes) -> None:
    assert lint(source) == []


def test_empty_and_comment_files_through_cli(in_tmp: Path) -> None:
    (in_tmp / "empty.py").write_bytes(b"")
    (in_tmp / "comments.py").write_text("# nothing here\n# at all\n")
    (in_tmp / "__init__.py").write_bytes(b"")
    result = run(".")
    assert result.exit_code == 0
    assert result.output == ""


def test_undecodable_file_through_cli_does_not_stop_the_run(in_tmp: Path) -> None:
    (in_tmp / "a.py").write_bytes(b"x = '\xff'\n")
    (in_tmp / "b.py").write_bytes(b"\x00\x01\x02")
    (in_tmp / "c.py").write_text(BAD)
    result = run(".")
    assert result.exit_code == 1
    assert [(f[0], f[3]) for f in parse(result.output)] == [
        ("a.py", "TS001"),
        ("b.py", "TS001"),
        ("c.py", "TS201"),
    ]


def test_binary_garbage_named_py(in_tmp: Path) -> None:
    (in_tmp / "blob.py").write_bytes(bytes(range(256)) * 4)
    result = run("blob.py")
    assert result.exit_code == 1
    assert [f[3] for f in parse(result.output)] == ["TS001"]


# --- deep nesting --------------------------------------------------------------------


def assert_ts001_or_clean(diagnostics: list[Diagnostic]) -> None:
    assert all(d.code == "TS001" for d in diagnostics), diagnostics
    assert len(diagnostics) <= 1
    for d in diagnostics:
        assert d.message.startswith("could not parse: ")


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("x = " + "(" * 1000 + ")" * 1000 + "\n", id="1000-parentheses"),
        pytest.param("x = " + "[" * 200 + "]" * 200 + "\n", id="200-lists"),
        pytest.param("x = " + "f(" * 300 + ")" * 300 + "\n", id="300-calls"),
        pytest.param("x = " + "a." * 3000 + "b\n", id="3000-attributes"),
        pytest.param(
            "".join("    " * i + f"if x{i}:\n" for i in range(100)) + "    " * 100 + "pass\n",
            id="100-ifs",
        ),
        pytest.param(
            "".join("    " * i + f"def f{i}():\n" for i in range(99)) + "    " * 99 + "pass\n",
            id="99-defs",
        ),
    ],
)
def test_deep_nesting_never_crashes(source: str) -> None:
    assert_ts001_or_clean(lint(source.encode()))


def test_deep_but_valid_nesting_still_finds_smells() -> None:
    body = "".join("    " * i + f"if x{i}:\n" for i in range(1, 40))
    source = (
        "import threading\nlock = threading.Lock()\ndef f():\n"
        + body
        + "    " * 40
        + "lock.acquire()\n"
        + "    " * 40
        + "work()\n"
        + "    " * 40
        + "lock.release()\n"
    )
    found = lint(source.encode())
    assert [(d.line, d.col, d.code) for d in found] == [(43, 161, "TS201")]


def test_deep_nesting_through_cli_goes_on(in_tmp: Path) -> None:
    (in_tmp / "a_deep.py").write_text("x = " + "[" * 200 + "]" * 200 + "\n")
    (in_tmp / "b_deep.py").write_text("x = " + "(" * 1000 + ")" * 1000 + "\n")
    (in_tmp / "c_bad.py").write_text(BAD)
    result = run(".")
    assert result.exit_code == 1
    found = parse(result.output)
    assert ("c_bad.py", 4, 5, "TS201") in [f[:4] for f in found]
    assert {f[3] for f in found} <= {"TS001", "TS201"}
    assert "Traceback" not in result.output


def test_deep_nesting_through_console_script(tmp_path: Path) -> None:
    # a separate process: a real stack, not pytest's
    (tmp_path / "deep.py").write_text("x = " + "[" * 200 + "]" * 200 + "\n")
    (tmp_path / "deeper.py").write_text("y = " + "(" * 1000 + ")" * 1000 + "\n")
    (tmp_path / "bad.py").write_text(BAD)
    proc = subprocess.run(
        [sys.executable, "-m", "tsafe_lint", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    found = parse(proc.stdout)
    assert ("bad.py", 4, 5, "TS201") in [f[:4] for f in found]
    assert {f[3] for f in found} <= {"TS001", "TS201"}


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "x = " + " and ".join(f"a{i}" for i in range(50000)) + "\n",
            id="50000-term-and-valid-python",
        ),
        pytest.param("x = " + "[" * 20000 + "]" * 20000 + "\n", id="20000-lists"),
        pytest.param("x = " + "-" * 50000 + "1\n", id="50000-unary"),
        pytest.param(
            "if a0:\n    pass\n" + "".join(f"elif a{i}:\n    pass\n" for i in range(1, 20000)),
            id="20000-elif",
        ),
        pytest.param("x = " + "[" * 1000 + "]" * 1000 + "\n", id="1000-lists"),
        pytest.param(
            "x = " + " and ".join(f"a{i}" for i in range(3000)) + "\n", id="3000-term-and"
        ),
    ],
)
def test_huge_nesting_in_a_real_process(tmp_path: Path, source: str) -> None:
    # a separate process, so that a crash of the parser cannot take pytest down with it
    (tmp_path / "a_huge.py").write_text(source)
    (tmp_path / "b_bad.py").write_text(BAD)
    proc = subprocess.run(
        [sys.executable, "-m", "tsafe_lint", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, f"exit status {proc.returncode}; stderr: {proc.stderr[-500:]}"
    assert "Traceback" not in proc.stderr
    found = parse(proc.stdout)
    assert [f[:4] for f in found if f[0] == "b_bad.py"] == [("b_bad.py", 4, 5, "TS201")]
    huge = [f for f in found if f[0] == "a_huge.py"]
    assert len(huge) <= 1
    assert all(f[3] == "TS001" and f[4].startswith("could not parse: ") for f in huge)


# --- unreadable files ----------------------------------------------------------------


def test_unreadable_file(in_tmp: Path) -> None:
    secret = in_tmp / "secret.py"
    secret.write_text(BAD)
    (in_tmp / "z.py").write_text(BAD)
    secret.chmod(0)
    try:
        if os.access(secret, os.R_OK):
            pytest.skip("running with privileges that make a mode-000 file readable")
        result = run(".")
        assert result.exit_code == 1
        found = parse(result.output)
        assert [(f[0], f[1], f[3]) for f in found] == [
            ("secret.py", 1, "TS001"),
            ("z.py", 4, "TS201"),
        ]
        assert found[0][4].startswith("could not read file: ")
    finally:
        secret.chmod(0o644)


def test_unreadable_path_via_lint_file(tmp_path: Path) -> None:
    # a directory where a file is expected: reading fails on every platform and user
    directory = tmp_path / "dir.py"
    directory.mkdir()
    diagnostic = only_ts001(Linter(Config()).lint_file(str(directory)))
    assert diagnostic.message.startswith("could not read file: ")
    assert (diagnostic.line, diagnostic.col) == (1, 1)


def test_vanished_file_via_lint_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(BAD)
    found = Linter(Config()).lint_paths([str(tmp_path / "gone.py"), str(bad)])
    assert sorted(d.code for d in found) == ["TS001", "TS201"]
    gone = next(d for d in found if d.code == "TS001")
    assert gone.path.endswith("gone.py")
    assert gone.message.startswith("could not read file: ")


# --- files that are not regular files: never opened ----------------------------------

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
HANG_TIMEOUT = 60  # seconds; these runs take about one. A FIFO used to block forever.


def run_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m tsafe_lint`` in a real process, killed when it hangs."""
    return subprocess.run(
        [sys.executable, "-m", "tsafe_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=HANG_TIMEOUT,
    )


FIFO_REASON = "could not read file: it is a named pipe (FIFO), not a regular file"


@needs_fifo
@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no-cache"])
@pytest.mark.parametrize("given", ["d", "d/x.py"], ids=["found-in-a-directory", "named"])
def test_a_fifo_is_one_ts001_and_the_run_goes_on(
    tmp_path: Path, given: str, cache: list[str]
) -> None:
    (tmp_path / "d").mkdir()
    os.mkfifo(tmp_path / "d" / "x.py")
    (tmp_path / "d" / "y.py").write_text(BAD)
    paths = [given] if given == "d" else [given, "d/y.py"]
    for _ in range(2):  # the second run reads what the first cached
        proc = run_script(*cache, *paths, cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr == ""
        found = parse(proc.stdout)
        assert [(os.path.normpath(f[0]), f[1], f[3], f[4]) for f in found] == [
            (os.path.join("d", "x.py"), 1, "TS001", FIFO_REASON),
            (os.path.join("d", "y.py"), 4, "TS201", found[1][4]),
        ]


@needs_fifo
@pytest.mark.parametrize(
    "options",
    [
        ["--show-source"],
        ["--diff", "--unsafe-fixes"],
        ["--fix", "--unsafe-fixes"],
        ["--format", "sarif"],
        ["-j", "2"],
    ],
    ids=" ".join,
)
def test_a_fifo_never_hangs_any_mode(tmp_path: Path, options: list[str]) -> None:
    os.mkfifo(tmp_path / "x.py")
    (tmp_path / "y.py").write_text(BAD)
    (tmp_path / "z.py").write_text(BAD)
    proc = run_script("--no-cache", *options, ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_device_is_never_read(tmp_path: Path) -> None:
    device = Path(os.devnull)
    if not device.exists() or os.name == "nt":
        pytest.skip("no /dev/null to link to")
    (tmp_path / "null.py").symlink_to(device)
    (tmp_path / "y.py").write_text(BAD)
    found = parse(run_script(".", cwd=tmp_path).stdout)
    assert [(f[0], f[3], f[4]) for f in found[:1]] == [
        ("null.py", "TS001", "could not read file: it is a character device, not a regular file")
    ]
    assert [f[:4] for f in found[1:]] == [("y.py", 4, 5, "TS201")]


# --- valid Python that LibCST rejects ------------------------------------------------


def test_valid_python_libcst_cannot_parse() -> None:
    source = b"(x): int = 1\n"
    compile(source, "x.py", "exec", dont_inherit=True)  # CPython accepts it
    diagnostic = only_ts001(lint(source))
    assert diagnostic.message.startswith("could not parse: valid Python that LibCST cannot parse")
    assert diagnostic.line == 1


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b"(x):int=1\n", id="annotated-parenthesized-target"),
        pytest.param(b"a = 1\n(x): int = 1\n", id="second-line"),
        pytest.param(
            ("x = " + " ".join("'a'" for _ in range(5000)) + "\n").encode(),
            id="5000-implicitly-concatenated-strings",
        ),
    ],
)
def test_libcst_limitation_location_is_one_based_and_in_the_file(source: bytes) -> None:
    compile(source, "x.py", "exec", dont_inherit=True)  # valid Python for CPython
    found = lint(source)
    assert len(found) <= 1
    for d in found:
        assert d.code == "TS001"
        assert d.col >= 1, d.as_text()[:120]
        assert 1 <= d.line <= len(source.splitlines()), d.as_text()[:120]


def test_libcst_limitation_column_is_converted_to_one_based() -> None:
    diagnostic = only_ts001(lint(b"(x):int=1\n"))
    match = re.search(r"error at (\d+):(\d+)", diagnostic.message)
    assert match, diagnostic.message
    libcst_line, libcst_col = int(match[1]), int(match[2])
    assert (diagnostic.line, diagnostic.col) == (libcst_line, libcst_col + 1)


def test_libcst_limitation_through_cli_goes_on(in_tmp: Path) -> None:
    (in_tmp / "a.py").write_text("import threading\n(x): int = 1\n")
    (in_tmp / "b.py").write_text(BAD)
    result = run(".")
    assert result.exit_code == 1
    found = parse(result.output)
    assert [(f[0], f[3]) for f in found] == [("a.py", "TS001"), ("b.py", "TS201")]
    assert "LibCST" in found[0][4]
    assert "valid Python" in found[0][4]


# --- internal errors: TS002 ----------------------------------------------------------

MIXED = """\
import threading

cv = threading.Condition()


def g():
    cv.acquire()
    cv.wait(); handle()
    cv.release()
"""


def _boom(self: object, analysis: object) -> Iterator[object]:
    raise RuntimeError("boom from a test")


def test_rule_exception_becomes_ts002(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [d.code for d in lint(MIXED.encode())] == ["TS201", "TS301"]
    monkeypatch.setattr(RULES_BY_CODE["TS301"], "check", _boom)
    found = lint(MIXED.encode())
    assert [d.code for d in found] == ["TS002", "TS201"]
    ts002 = found[0]
    assert "TS301" in ts002.message
    assert RULES_BY_CODE["TS301"].name in ts002.message
    assert "boom from a test" in ts002.message
    assert ts002.name == "internal-error"


def test_rule_exception_mid_iteration_becomes_ts002(monkeypatch: pytest.MonkeyPatch) -> None:
    original = RULES_BY_CODE["TS201"].check

    def half_then_boom(self: object, analysis: object) -> Iterator[object]:
        yield from original(self, analysis)  # type: ignore[arg-type]
        raise ValueError("late failure")

    monkeypatch.setattr(RULES_BY_CODE["TS201"], "check", half_then_boom)
    found = lint(MIXED.encode())
    codes = [d.code for d in found]
    assert codes.count("TS002") == 1
    assert "TS301" in codes
    assert any("TS201" in d.message and "late failure" in d.message for d in found)


def test_rule_exception_through_cli(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RULES_BY_CODE["TS301"], "check", _boom)
    (in_tmp / "a.py").write_text(MIXED)
    (in_tmp / "b.py").write_text(BAD)
    result = run(".")
    assert result.exit_code == 3  # an internal error, not a finding about the code
    assert result.exception is None or isinstance(result.exception, SystemExit)
    found = parse(result.output)
    # the broken rule fails once per file; the other rules still report
    assert [(f[0], f[3]) for f in found] == [
        ("a.py", "TS002"),
        ("a.py", "TS201"),
        ("b.py", "TS002"),
        ("b.py", "TS201"),
    ]
    assert all("TS301" in f[4] for f in found if f[3] == "TS002")


def test_every_rule_failing_gives_one_ts002_each(monkeypatch: pytest.MonkeyPatch) -> None:
    for rule in RULES_BY_CODE.values():
        monkeypatch.setattr(rule, "check", _boom)
    found = lint(MIXED.encode())
    assert {d.code for d in found} == {"TS002"}
    # one per rule, each naming its rule (not deduplicated away)
    for code in RULES_BY_CODE:
        assert sum(f"rule {code} " in d.message for d in found) == 1, code


def test_analysis_exception_becomes_ts002(monkeypatch: pytest.MonkeyPatch) -> None:
    import tsafe_lint.pipeline as pipeline

    def broken_analysis(*args: object, **kwargs: object) -> None:
        raise KeyError("analysis exploded")

    monkeypatch.setattr(pipeline, "ModuleAnalysis", broken_analysis)
    found = lint(MIXED.encode())
    assert [d.code for d in found] == ["TS002"]
    assert "analysis" in found[0].message


def test_ts002_can_be_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RULES_BY_CODE["TS301"], "check", _boom)
    found = Linter(Config(ignore=["TS002"])).lint_source(MIXED.encode(), "x.py")
    assert [d.code for d in found] == ["TS201"]


# --- the linted code is never executed -----------------------------------------------

HOSTILE = """\
import os
open("MARKER", "w").write("executed")
os.makedirs("MARKER_DIR", exist_ok=True)
raise SystemExit(42)
import threading
lock = threading.Lock()
def f():
    lock.acquire()
    work()
    lock.release()
"""


def test_linted_code_is_never_executed_in_process(in_tmp: Path) -> None:
    (in_tmp / "hostile.py").write_text(HOSTILE)
    (in_tmp / "__init__.py").write_text('open("MARKER_INIT", "w")\n')
    (in_tmp / "conftest.py").write_text('open("MARKER_CONFTEST", "w")\n')
    result = run(".")
    assert result.exit_code == 1
    assert [(f[0], f[1], f[3]) for f in parse(result.output)] == [("hostile.py", 8, "TS201")]
    for marker in ["MARKER", "MARKER_DIR", "MARKER_INIT", "MARKER_CONFTEST"]:
        assert not (in_tmp / marker).exists(), marker


def test_linted_code_is_never_executed_by_console_script(tmp_path: Path) -> None:
    (tmp_path / "hostile.py").write_text(HOSTILE)
    (tmp_path / "__main__.py").write_text('open("MARKER_MAIN", "w")\n')
    proc = subprocess.run(
        [sys.executable, "-m", "tsafe_lint", "hostile.py", "__main__.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert [(f[0], f[1], f[3]) for f in parse(proc.stdout)] == [("hostile.py", 8, "TS201")]
    assert not (tmp_path / "MARKER").exists()
    assert not (tmp_path / "MARKER_DIR").exists()
    assert not (tmp_path / "MARKER_MAIN").exists()


def test_lint_source_does_not_execute(in_tmp: Path) -> None:
    lint(HOSTILE.encode())
    assert not (in_tmp / "MARKER").exists()


# --- the fixture-format parser used by test_fixtures.py ------------------------------


def test_fixture_format_several_codes_on_a_line() -> None:
    source = (
        "x = 1\n"
        "lock.acquire()  # error: TS201, TS202\n"
        "y = 2  # a comment\n"
        "cv.wait()  # error: TS301,TS302 ,TS303\n"
        "z = 3  # error: TS403\n"
    )
    assert expected_findings(source) == {
        (2, "TS201"),
        (2, "TS202"),
        (4, "TS301"),
        (4, "TS302"),
        (4, "TS303"),
        (5, "TS403"),
    }


@pytest.mark.parametrize(
    "line",
    [
        "x = 1",
        "x = 1  # error:",
        "x = 1  # error: TS20",
        "x = 1  # error: TS201 and more words",
        "x = 1  # error: E501",
        "x = 1  # errors: TS201",
    ],
)
def test_fixture_format_ignores_non_markers(line: str) -> None:
    assert expected_findings(line + "\n") == set()


def test_fixture_format_xfail_marker(tmp_path: Path) -> None:
    marked = tmp_path / "marked.py"
    marked.write_text("# fixture: xfail: TS301 misses waits in lambdas\nx = 1  # error: TS301\n")
    assert xfail_reason(marked) == "TS301 misses waits in lambdas"
    assert expected_findings(marked.read_text()) == {(2, "TS301")}


@pytest.mark.parametrize(
    "text",
    [
        "x = 1\n",
        "",
        "x = 1\n# fixture: xfail: only on the first line counts\n",
        "# fixture xfail: missing colon\n",
    ],
)
def test_fixture_format_no_xfail_marker(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plain.py"
    path.write_text(text)
    assert xfail_reason(path) is None
