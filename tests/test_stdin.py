"""Standard input: ``tsafe-lint -`` and ``--stdin-filename``, as editors call it."""

from __future__ import annotations

import os
from pathlib import Path

from tests.faces_support import (
    parse_text,
    run_tool,
    write,
)
from tests.samples import BAD, CLEAN

# --- standard input --------------------------------------------------------------------


def test_stdin_reports_with_the_given_name(tmp_path: Path, tools_installed: None) -> None:
    result = run_tool("--stdin-filename", "pkg/mod.py", "-", cwd=tmp_path, stdin=BAD)
    assert result.returncode == 1
    assert [row[:4] for row in parse_text(result.stdout)] == [
        (os.path.normpath("pkg/mod.py"), 4, 5, "TS201")
    ]
    assert not (tmp_path / "pkg").exists()  # nothing was read from (or written to) disk


def test_stdin_without_a_name_is_reported_as_dash(tmp_path: Path, tools_installed: None) -> None:
    result = run_tool("-", cwd=tmp_path, stdin=BAD)
    assert result.returncode == 1
    assert result.stdout.startswith("-:4:5: TS201 ")


def test_stdin_clean_source_exits_0(tmp_path: Path, tools_installed: None) -> None:
    result = run_tool("--stdin-filename", "pkg/mod.py", "-", cwd=tmp_path, stdin=CLEAN)
    assert result.returncode == 0
    assert result.stdout == ""


def test_stdin_filename_gets_per_file_ignores(tmp_path: Path, tools_installed: None) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tsafe-lint.per-file-ignores]\n"pkg/*" = ["TS201"]\n', encoding="utf-8"
    )
    ignored = run_tool("--stdin-filename", "pkg/mod.py", "-", cwd=tmp_path, stdin=BAD)
    other = run_tool("--stdin-filename", "other/mod.py", "-", cwd=tmp_path, stdin=BAD)
    assert (ignored.returncode, ignored.stdout) == (0, "")
    assert other.returncode == 1
    assert [row[:4] for row in parse_text(other.stdout)] == [
        (os.path.normpath("other/mod.py"), 4, 5, "TS201")
    ]


def test_stdin_with_force_exclude_skips_an_excluded_name(
    tmp_path: Path, tools_installed: None
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tsafe-lint]\nexclude = ["generated/*"]\n', encoding="utf-8"
    )
    args = ("--force-exclude", "--stdin-filename")
    skipped = run_tool(*args, "generated/mod.py", "-", cwd=tmp_path, stdin=BAD)
    linted = run_tool(*args, "src/mod.py", "-", cwd=tmp_path, stdin=BAD)
    assert (skipped.returncode, skipped.stdout) == (0, "")
    assert linted.returncode == 1


def test_stdin_with_other_paths_is_a_usage_error(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "bad.py", BAD)
    for args in (("-", "bad.py"), ("bad.py", "-")):
        result = run_tool(*args, cwd=tmp_path, stdin=BAD)
        assert result.returncode == 2, args
        assert result.stdout == ""
        assert "standard input" in result.stderr
