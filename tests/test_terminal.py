"""Text for humans: colour, ``--show-source`` and ``--statistics``."""

from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.clirunner import cli_runner, runner_options
from tests.faces_support import (
    ANSI,
    STAT_LINE,
    clean_env,
    parse_text,
    run_tool,
    write,
)
from tests.samples import BAD
from tsafe_lint.cli import cli
from tsafe_lint.rules import RULES_BY_CODE

# --- colour ----------------------------------------------------------------------------


def test_color_always_strips_to_exactly_the_plain_lines(corpus: Path) -> None:
    for extra in ((), ("--show-source",)):
        plain = run_tool("--color", "never", *extra, "examples", cwd=corpus)
        coloured = run_tool("--color", "always", *extra, "examples", cwd=corpus)
        assert coloured.returncode == plain.returncode == 1
        assert "\x1b[" in coloured.stdout
        assert "\x1b[" not in plain.stdout
        assert ANSI.sub("", coloured.stdout) == plain.stdout
        assert ANSI.sub("", coloured.stdout).splitlines() == plain.stdout.splitlines()


def test_color_always_wins_over_no_color(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "bad.py", BAD)
    result = run_tool("--color", "always", "bad.py", cwd=tmp_path, env=clean_env(NO_COLOR="1"))
    assert "\x1b[" in result.stdout


def test_no_colour_in_a_pipe_by_default(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "bad.py", BAD)
    default = run_tool("bad.py", cwd=tmp_path)
    auto = run_tool("--color", "auto", "bad.py", cwd=tmp_path)
    never = run_tool("--color", "never", "bad.py", cwd=tmp_path)
    assert default.returncode == auto.returncode == never.returncode == 1
    assert "\x1b[" not in default.stdout + default.stderr
    assert default.stdout == auto.stdout == never.stdout
    assert [row[:4] for row in parse_text(default.stdout)] == [("bad.py", 4, 5, "TS201")]


class TerminalRunner(CliRunner):
    """A CliRunner whose standard output says it is a terminal.

    The CLI decides with ``sys.stdout.isatty()``; CliRunner swaps ``sys.stdout`` for its
    own stream inside ``isolation()``, so that is where the method is replaced.
    """

    @contextlib.contextmanager
    def isolation(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with super().isolation(*args, **kwargs) as streams:
            sys.stdout.isatty = lambda: True  # type: ignore[method-assign]
            yield streams


def test_color_auto_colours_a_terminal_unless_no_color(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bad.py", BAD)
    path = "bad.py"
    plain_line = "bad.py:4:5: TS201 "
    terminal = TerminalRunner(**runner_options()).invoke(
        cli, ["--color", "auto", path], env={"NO_COLOR": None}
    )
    assert terminal.exit_code == 1
    assert "\x1b[" in terminal.stdout
    assert ANSI.sub("", terminal.stdout).startswith(plain_line)
    no_color = TerminalRunner(**runner_options()).invoke(
        cli, ["--color", "auto", path], env={"NO_COLOR": "1"}
    )
    assert no_color.exit_code == 1
    assert "\x1b[" not in no_color.stdout
    assert no_color.stdout.startswith(plain_line)
    pipe = cli_runner().invoke(cli, ["--color", "auto", path], env={"NO_COLOR": None})
    assert "\x1b[" not in pipe.stdout
    assert pipe.stdout == no_color.stdout


# --- --show-source ---------------------------------------------------------------------


def test_show_source_prints_the_line_and_a_caret(corpus: Path) -> None:
    plain = run_tool("examples", cwd=corpus)
    result = run_tool("--show-source", "examples", cwd=corpus)
    assert result.returncode == 1
    findings = parse_text(plain.stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == 3 * len(findings) > 0
    for index, (path, line, col, _code, _message) in enumerate(findings):
        header, source, caret = lines[3 * index : 3 * index + 3]
        assert parse_text(header)[0][:3] == (path, line, col)
        file_line = (corpus / path).read_text(encoding="utf-8").splitlines()[line - 1]
        assert source == "    " + file_line.expandtabs(8)
        assert caret == "    " + " " * (col - 1) + "^"
        assert not source[len(caret) - 1].isspace(), (source, caret)


def test_show_source_reads_standard_input(tmp_path: Path, tools_installed: None) -> None:
    result = run_tool(
        "--show-source", "--stdin-filename", "pkg/mod.py", "-", cwd=tmp_path, stdin=BAD
    )
    assert result.stdout.splitlines()[1:] == ["        lock.acquire()", "        ^"]


def test_show_source_caret_with_tab_indentation(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "tabs.py", BAD.replace("    ", "\t"))
    result = run_tool("--show-source", "tabs.py", cwd=tmp_path)
    header, source, caret = result.stdout.splitlines()
    assert header.startswith("tabs.py:4:2: TS201 ")
    assert source[len(caret) - 1 :].startswith("lock.acquire()"), (source, caret)


# --- --statistics ----------------------------------------------------------------------


def test_statistics_count_per_code(corpus: Path) -> None:
    result = run_tool("--statistics", "fixtures", "examples", cwd=corpus)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    split = next(i for i, line in enumerate(lines) if STAT_LINE.match(line))
    findings = parse_text("\n".join(lines[:split]))
    stats = [STAT_LINE.match(line) for line in lines[split:]]
    assert all(stats), lines[split:]
    counts = Counter(row[3] for row in findings)
    assert {m["code"]: int(m["count"]) for m in stats if m} == dict(counts)
    assert len(set(counts.values())) > 1  # the ordering below is really exercised
    keys = [(-int(m["count"]), m["code"]) for m in stats if m]
    assert keys == sorted(keys)
    for match in stats:
        assert match and match["name"] == RULES_BY_CODE[match["code"]].name


def test_statistics_do_not_corrupt_json(corpus: Path) -> None:
    result = run_tool("--statistics", "--format", "json", "examples", cwd=corpus)
    assert result.returncode == 1
    assert len(json.loads(result.stdout)) > 0
