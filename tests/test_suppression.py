"""``# noqa`` comments: bare, with one code, with several, on the wrong line or code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clirunner import cli_runner
from tsafe_lint.cli import cli
from tsafe_lint.config import Config
from tsafe_lint.engine import Linter
from tsafe_lint.suppression import is_suppressed, noqa_codes

# TS402 at 9:33 and TS403 at 9:52 (same line), TS201 at 17:5, TS301 at 18:5.
SOURCE = """\
import threading


def greet(name):
    print(name)


def main(user):
    t = threading.Thread(target=greet(user), args=(user))
    t.start()


cv = threading.Condition()


def g():
    cv.acquire()
    cv.wait(); handle()
    cv.release()
"""


def with_comments(comments: dict[int, str]) -> str:
    """SOURCE with ``comments`` appended to the given (1-based) lines."""
    lines = SOURCE.splitlines()
    for number, comment in comments.items():
        lines[number - 1] += comment
    return "\n".join(lines) + "\n"


def lint(**comments: str) -> list[tuple[int, str]]:
    """Findings as (line, code); keyword ``l9="  # noqa"`` appends a comment to line 9."""
    source = with_comments({int(key[1:]): value for key, value in comments.items()})
    diagnostics = Linter(Config()).lint_source(source.encode("utf-8"), "s.py")
    return [(d.line, d.code) for d in diagnostics]


ALL = [(9, "TS402"), (9, "TS403"), (17, "TS201"), (18, "TS301")]


def test_without_noqa_everything_is_reported() -> None:
    assert lint() == ALL


@pytest.mark.parametrize("comment", ["  # noqa", "  #noqa", "  # NOQA", "  # noqa  trailing words"])
def test_bare_noqa_silences_every_code_on_its_line(comment: str) -> None:
    assert lint(l9=comment) == [(17, "TS201"), (18, "TS301")]


def test_noqa_with_one_code_silences_that_code() -> None:
    assert lint(l17="  # noqa: TS201") == [(9, "TS402"), (9, "TS403"), (18, "TS301")]
    assert lint(l18="  # noqa:TS301") == [(9, "TS402"), (9, "TS403"), (17, "TS201")]


@pytest.mark.parametrize(
    ("comment", "left"),
    [("  # noqa: TS403", "TS402"), ("  # noqa: TS402", "TS403"), ("  # noqa:TS402", "TS403")],
)
def test_noqa_with_one_code_silences_only_that_code(comment: str, left: str) -> None:
    assert lint(l9=comment) == [(9, left), (17, "TS201"), (18, "TS301")]


@pytest.mark.parametrize(
    "comment",
    [
        "  # noqa:TS402,TS403",
        "  # noqa: TS402,TS403",
        "  # noqa: TS402, TS403",
        "  # noqa: TS403,TS201,TS402",
        "  # noqa: ts402,ts403",
    ],
)
def test_noqa_with_several_codes(comment: str) -> None:
    assert lint(l9=comment) == [(17, "TS201"), (18, "TS301")]


def test_noqa_with_several_codes_silences_only_those() -> None:
    assert lint(l9="  # noqa:TS201,TS402") == [(9, "TS403"), (17, "TS201"), (18, "TS301")]


def test_noqa_with_several_codes_on_another_line() -> None:
    assert lint(l17="  # noqa:TS201,TS301") == [(9, "TS402"), (9, "TS403"), (18, "TS301")]


def test_noqa_with_a_prefix() -> None:
    assert lint(l9="  # noqa: TS4") == [(17, "TS201"), (18, "TS301")]
    assert lint(l9="  # noqa: TS40") == [(17, "TS201"), (18, "TS301")]


@pytest.mark.parametrize(
    "comment", ["  # noqa: TS301", "  # noqa: TS2", "  # noqa:TS999,TS301", "  # noqa: TS4031"]
)
def test_noqa_for_another_code_does_not_silence(comment: str) -> None:
    assert lint(l9=comment) == ALL


def test_noqa_for_a_foreign_code_does_not_silence() -> None:
    assert lint(l9="  # noqa: E501", l17="  # noqa: F401,W291") == ALL


@pytest.mark.parametrize("comment", ["  # noqa", "  # noqa: TS402,TS403", "  # noqa: TS201"])
def test_noqa_on_a_different_line_does_not_silence(comment: str) -> None:
    # the lines before and after each finding carry the noqa, the finding lines do not
    assert lint(l8=comment, l10=comment, l16=comment, l19=comment) == ALL


def test_noqa_on_each_line() -> None:
    assert lint(l9="  # noqa", l17="  # noqa: TS201", l18="  # noqa:TS301") == []


def test_noqa_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.py").write_text(
        with_comments({9: "  # noqa: TS403", 17: "  # noqa", 18: "  # noqa: TS201"})
    )
    result = cli_runner().invoke(cli, ["s.py"])
    assert result.exit_code == 1
    assert [line.split(" ")[:2] for line in result.output.splitlines()] == [
        ["s.py:9:33:", "TS402"],
        ["s.py:18:5:", "TS301"],
    ]


def test_noqa_through_the_cli_bare_and_other_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.py").write_text(with_comments({9: "  # noqa", 16: "  # noqa"}))
    result = cli_runner().invoke(cli, ["s.py"])
    assert result.exit_code == 1
    assert [line.split(" ")[:2] for line in result.output.splitlines()] == [
        ["s.py:17:5:", "TS201"],
        ["s.py:18:5:", "TS301"],
    ]


def test_fully_suppressed_file_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.py").write_text(
        with_comments({9: "  # noqa", 17: "  # noqa: TS201", 18: "  # noqa: TS301"})
    )
    result = cli_runner().invoke(cli, ["s.py"])
    assert result.exit_code == 0
    assert result.output == ""


# --- the comment parser itself -------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("x = 1", None),
        ("x = 1  # a comment", None),
        ("x = 1  # noqa", frozenset()),
        ("x = 1  # NoQA", frozenset()),
        ("x = 1  # noqa: E501", frozenset({"E501"})),
        ("x = 1  # noqa:E501,W291", frozenset({"E501", "W291"})),
        pytest.param("x = 1  # noqa: TS201", frozenset({"TS201"})),
        pytest.param("x = 1  # noqa:TS201,TS301", frozenset({"TS201", "TS301"})),
        pytest.param("x = 1  # noqa: ts201, TS301", frozenset({"TS201", "TS301"})),
        pytest.param("x = 1  # noqa: TS201 TS301", frozenset({"TS201", "TS301"})),
    ],
)
def test_noqa_codes(line: str, expected: frozenset[str] | None) -> None:
    assert noqa_codes(line) == expected


@pytest.mark.parametrize(
    ("code", "line", "suppressed"),
    [
        ("TS201", "lock.acquire()", False),
        ("TS201", "lock.acquire()  # noqa", True),
        ("TS201", "lock.acquire()  # noqa: TS201", True),
        ("TS201", "lock.acquire()  # noqa: TS2", True),
        ("TS201", "lock.acquire()  # noqa: E501", False),
        pytest.param("TS201", "lock.acquire()  # noqa: TS202", False),
        pytest.param("TS201", "lock.acquire()  # noqa: TS2011", False),
        ("TS201", "lock.acquire()  # noqa:TS301,TS201", True),
        ("TS201", "lock.acquire()  # type: ignore  # noqa: TS201", True),
    ],
)
def test_is_suppressed(code: str, line: str, suppressed: bool) -> None:
    assert is_suppressed(code, line) is suppressed
