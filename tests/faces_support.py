"""Shared helpers of the face tests (flake8 plugin, formats, standard input, terminal,
docs): how to run the installed tools and read what they print."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BINDIR = Path(sys.executable).parent
TSAFE_LINT = BINDIR / ("tsafe-lint.exe" if os.name == "nt" else "tsafe-lint")

TEXT_LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)$"
)
STAT_LINE = re.compile(r"^(?P<count>\d+)\s+(?P<code>TS\d{3}) (?P<name>\S+)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ENGINE_NAMES = {"TS001": "parse-error", "TS002": "internal-error"}


# TS201 at 6:9 whose receiver spans two lines and carries a comment with '%': the
# message quotes the receiver's source, so it holds a '%' and a newline.
MULTILINE_RECEIVER = """\
import threading
class C:
    def __init__(self):
        self.lk = threading.Lock()
    def g(self):
        (self  # 100%
         .lk).acquire()
        work()
        self.lk.release()
"""

Row = tuple[str, int, int, str, str]


# --- helpers ---------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """The test environment without the variables that change colour decisions."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "PYTHONWARNINGS"}
    }
    env.update(extra)
    return env


def run_tool(
    *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``tsafe-lint`` console script; standard output is a pipe, not a terminal."""
    return subprocess.run(
        [str(TSAFE_LINT), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env if env is not None else clean_env(),
        timeout=300,
    )


def run_flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=clean_env(),
        timeout=300,
    )


def parse_text(output: str) -> list[Row]:
    """(path, line, col, code, message) of every flake8-style line; fails on any other."""
    rows = []
    for line in output.splitlines():
        match = TEXT_LINE.match(line)
        assert match, f"not a flake8-style line: {line!r}"
        rows.append(
            (
                os.path.normpath(match["path"]),
                int(match["line"]),
                int(match["col"]),
                match["code"],
                match["message"],
            )
        )
    return rows


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
