"""The flake8 plugin, through the real ``flake8``: the same findings, configuration and
suppression as the command line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.faces_support import (
    parse_text,
    run_flake8,
    run_tool,
    write,
)
from tests.samples import BAD, CLEAN
from tsafe_lint import __version__
from tsafe_lint.rules import ALL_RULES

# --- the flake8 plugin -----------------------------------------------------------------


@pytest.fixture(scope="module")
def flake8_installed() -> None:
    pytest.importorskip("flake8")


def test_flake8_lists_the_plugin(tmp_path: Path, flake8_installed: None) -> None:
    result = run_flake8("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"tsafe-lint: {__version__}" in result.stdout


def test_flake8_reports_what_tsafe_lint_reports(corpus: Path, flake8_installed: None) -> None:
    flake8 = run_flake8("--select", "TS", "fixtures", "examples", cwd=corpus)
    ours = run_tool("fixtures", "examples", cwd=corpus)
    assert flake8.returncode == 1, flake8.stderr
    assert ours.returncode == 1, ours.stderr
    flake8_rows = set(parse_text(flake8.stdout))
    our_rows = {row for row in parse_text(ours.stdout) if row[3] != "TS001"}
    # the corpus exercises every rule that runs by default, so each is compared
    default_codes = {rule.code for rule in ALL_RULES if rule.default_enabled}
    assert default_codes <= {row[3] for row in our_rows}
    assert {row[:4] for row in flake8_rows} == {row[:4] for row in our_rows}
    assert flake8_rows == our_rows  # the messages too


def test_flake8_plugin_uses_the_tsafe_lint_configuration(
    corpus: Path, flake8_installed: None
) -> None:
    before = {row[:4] for row in parse_text(run_tool("fixtures", "examples", cwd=corpus).stdout)}
    (corpus / "pyproject.toml").write_text(
        '[tool.tsafe-lint]\nignore = ["TS403"]\n\n'
        '[tool.tsafe-lint.per-file-ignores]\n"examples/*" = ["TS201"]\n',
        encoding="utf-8",
    )
    flake8 = run_flake8("--select", "TS", "fixtures", "examples", cwd=corpus)
    ours = run_tool("fixtures", "examples", cwd=corpus)
    flake8_rows = {row[:4] for row in parse_text(flake8.stdout)}
    our_rows = {row[:4] for row in parse_text(ours.stdout)}
    in_examples = os.path.join("examples", "")
    # the configuration did something ...
    assert any(row[3] == "TS403" for row in before)
    assert any(row[3] == "TS201" and row[0].startswith(in_examples) for row in before)
    assert not any(row[3] == "TS403" for row in our_rows)
    assert not any(row[3] == "TS201" and row[0].startswith(in_examples) for row in our_rows)
    assert any(row[3] == "TS201" for row in our_rows)  # still reported under fixtures/
    # ... and flake8 honours it the same way
    assert flake8_rows == our_rows


_ENCODING_CASES = {
    "crlf": (BAD.replace("\n", "\r\n"), "utf-8"),
    "bom": ("\ufeff" + BAD, "utf-8"),
    "tabs": (BAD.replace("    ", "\t"), "utf-8"),
    "non_ascii": (BAD.replace("    lock.acquire()", "    s = 'été'; lock.acquire()"), "utf-8"),
    "latin1": (
        "# -*- coding: latin-1 -*-\n"
        + BAD.replace("    lock.acquire()", "    s = 'été'; lock.acquire()"),
        "latin-1",
    ),
}


@pytest.mark.parametrize(
    "case",
    [
        "crlf",
        "bom",
        "tabs",
        "non_ascii",
        "latin1",
    ],
)
def test_flake8_parity_on_encodings_and_whitespace(
    tmp_path: Path, tools_installed: None, flake8_installed: None, case: str
) -> None:
    text, encoding = _ENCODING_CASES[case]
    write(tmp_path / "mod.py", text, encoding)
    flake8 = {row[:4] for row in parse_text(run_flake8("--select", "TS", ".", cwd=tmp_path).stdout)}
    ours = {row[:4] for row in parse_text(run_tool(".", cwd=tmp_path).stdout)}
    assert ours, "the acquire without try/finally must be found"
    assert {row[3] for row in ours} == {"TS201"}
    assert flake8 == ours


def test_parse_errors_are_ts001_for_tsafe_lint_and_e999_for_flake8(
    tmp_path: Path, tools_installed: None, flake8_installed: None
) -> None:
    write(tmp_path / "broken.py", "def f(:\n    pass\n")
    write(tmp_path / "bad.py", BAD)
    flake8 = parse_text(run_flake8("--select", "E999,TS", ".", cwd=tmp_path).stdout)
    ours = parse_text(run_tool(".", cwd=tmp_path).stdout)
    assert [(row[0], row[3]) for row in ours] == [("bad.py", "TS201"), ("broken.py", "TS001")]
    assert sorted((row[0], row[3]) for row in flake8) == [
        ("bad.py", "TS201"),
        ("broken.py", "E999"),
    ]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("select = 5\n", "'select' must be a list of strings"),
        ('selct = ["TS201"]\n', "unknown key(s) in [tool.tsafe-lint]: selct"),
        ('select = ["TS999"]\n', "unknown rule code or prefix 'TS999'"),
        ("max-file-size = 0\n", "'max-file-size' must be a positive number of bytes"),
        ("select = [\n", "invalid TOML"),
        ('baseline = "missing.json"\n', "cannot read baseline"),
    ],
)
def test_flake8_says_the_configuration_is_broken(
    tmp_path: Path, tools_installed: None, flake8_installed: None, body: str, needle: str
) -> None:
    # the plugin used to fall back to the defaults, silently, and flake8 exited 0
    write(tmp_path / "pyproject.toml", "[tool.tsafe-lint]\n" + body)
    write(tmp_path / "ok.py", CLEAN)
    ours = run_tool(".", cwd=tmp_path)
    assert ours.returncode == 2
    assert needle in ours.stderr
    flake8 = run_flake8("--select", "TS", ".", cwd=tmp_path)
    assert flake8.returncode == 1
    assert "There was a critical error during execution of Flake8" in flake8.stdout
    assert needle in flake8.stdout
    assert "The TS checks cannot run with this configuration" in flake8.stdout
    assert "Traceback" not in flake8.stdout + flake8.stderr


NOQA = """\
import threading
lock = threading.Lock()
def f():
    lock.acquire()  # noqa
    work()
    lock.release()
def g():
    lock.acquire()  # noqa: TS201
    work()
    lock.release()
def h():
    lock.acquire()  # noqa: TS301
    work()
    lock.release()
"""


def test_flake8_applies_noqa_itself_so_disable_noqa_works(
    tmp_path: Path, tools_installed: None, flake8_installed: None
) -> None:
    write(tmp_path / "mod.py", NOQA)
    write(tmp_path / "bare" / "mod.py", re.sub(r"  # noqa.*", "", NOQA))
    unsilenced = {row[1:] for row in parse_text(run_tool("bare", cwd=tmp_path).stdout)}
    assert {(row[0], row[2]) for row in unsilenced} == {(4, "TS201"), (8, "TS201"), (12, "TS201")}
    # the command line applies the noqa comments, and so does flake8 by default
    ours = {row[1:] for row in parse_text(run_tool("mod.py", cwd=tmp_path).stdout)}
    flake8 = parse_text(run_flake8("--select", "TS", "mod.py", cwd=tmp_path).stdout)
    assert {(row[0], row[2]) for row in ours} == {(12, "TS201")}
    assert {row[1:] for row in flake8} == ours
    # --disable-noqa: flake8 reports what the comments silenced (the plugin used not to)
    disabled = run_flake8("--select", "TS", "--disable-noqa", "mod.py", cwd=tmp_path)
    assert {row[1:] for row in parse_text(disabled.stdout)} == unsilenced


def test_flake8_reports_a_file_over_max_file_size_like_tsafe_lint(
    tmp_path: Path, tools_installed: None, flake8_installed: None
) -> None:
    write(tmp_path / "pyproject.toml", "[tool.tsafe-lint]\nmax-file-size = 2000\n")
    write(tmp_path / "big.py", BAD + "#" + "x" * 2000 + "\n")
    write(tmp_path / "ok.py", BAD)
    ours = parse_text(run_tool(".", cwd=tmp_path).stdout)
    flake8 = parse_text(run_flake8("--select", "TS", ".", cwd=tmp_path).stdout)
    assert [row[:4] for row in ours] == [("big.py", 1, 1, "TS001"), ("ok.py", 4, 5, "TS201")]
    assert ours[0][4].startswith("not analysed: ")
    assert sorted(flake8) == ours
