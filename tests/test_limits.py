"""Limits: deeply nested input finishes with a result or a TS001, never a traceback, and
a file over max-file-size is not analysed at all (one TS001 says so).

The inputs come from bench/limits.py, which also measures time and peak memory of these
cases and of the slow ones kept out of the test suite (files at and over max-file-size,
10,000 functions).
"""

from __future__ import annotations

import importlib.util
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType

import pytest

from tests.clirunner import cli_runner
from tests.samples import BAD, write
from tsafe_lint.cli import cli
from tsafe_lint.config import DEFAULT_MAX_FILE_SIZE, Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.engine import Linter

SECONDS = 10.0  # each case takes well under a second; this only catches a blow-up


def _load_limits() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "bench" / "limits.py"
    spec = importlib.util.spec_from_file_location("tsafe_bench_limits", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


limits = _load_limits()


def lint(source: str) -> list[Diagnostic]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = Linter(Config(select=["TS"])).lint_source(source, "case.py")
    assert time.perf_counter() - start < SECONDS
    assert all(isinstance(d, Diagnostic) for d in found)
    assert "TS002" not in {d.code for d in found}, found
    return found


def codes(found: list[Diagnostic]) -> set[str]:
    return {d.code for d in found}


def test_100_nested_blocks_is_ts001_like_cpython() -> None:
    source = limits.nested_blocks(100)
    assert not limits.compiles(source)  # CPython: too many levels of indentation
    found = lint(source)
    assert codes(found) == {"TS001"}


def test_deepest_nest_cpython_accepts_is_analysed() -> None:
    depth = limits.deepest_valid_blocks()
    assert depth >= 90
    found = lint(limits.nested_blocks(depth, ("if state:",)))
    assert "TS001" not in codes(found)


@pytest.mark.parametrize("kind", sorted(limits.EXPRESSIONS))
def test_200_deep_expression_is_analysed(kind: str) -> None:
    source = limits.nested_expression(kind, 200)
    assert limits.compiles(source)
    assert "TS001" not in codes(lint(source))


@pytest.mark.parametrize("kind", ["elif", "+", "and"])
def test_long_flat_chain_is_analysed(kind: str) -> None:
    source = limits.flat_chain(kind, 1000)
    assert limits.compiles(source)
    assert "TS001" not in codes(lint(source))


# --- max-file-size ---------------------------------------------------------------------


def padded(size: int) -> str:
    """BAD (a TS201 at 4:5), padded with a comment to exactly ``size`` bytes."""
    padding = size - len(BAD) - 2
    assert padding >= 0
    return BAD + "#" + "x" * padding + "\n"


def too_large(size: int, limit: int) -> str:
    return f"not analysed: {size:,} bytes is over the max-file-size limit of {limit:,} "


def refuse_to_analyse(monkeypatch: pytest.MonkeyPatch) -> None:
    def analyse_source(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file over max-file-size was analysed")

    monkeypatch.setattr("tsafe_lint.pipeline.analyse_source", analyse_source)


def test_a_file_over_the_default_limit_is_not_analysed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LibCST took 54 s and 2.5 GB for a 3 MB generated table; now nothing parses it
    big = write(tmp_path / "big.py", padded(DEFAULT_MAX_FILE_SIZE + 1))
    at_limit = write(tmp_path / "at_limit.py", padded(DEFAULT_MAX_FILE_SIZE))
    linter = Linter(Config(root=tmp_path))
    found = linter.lint_paths([str(at_limit), str(big)])
    assert [(Path(d.path).name, d.line, d.code) for d in found] == [
        ("at_limit.py", 4, "TS201"),
        ("big.py", 1, "TS001"),
    ]
    assert found[1].message.startswith(too_large(DEFAULT_MAX_FILE_SIZE + 1, DEFAULT_MAX_FILE_SIZE))
    refuse_to_analyse(monkeypatch)
    assert linter.lint_paths([str(big)]) == found[1:]
    assert linter.lint_source(big.read_bytes(), str(big)) == found[1:]


def test_max_file_size_through_the_cli_and_standard_input(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(in_tmp / "pyproject.toml", "[tool.tsafe-lint]\nmax-file-size = 2000\n")
    write(in_tmp / "big.py", padded(2001))
    write(in_tmp / "ok.py", padded(2000))
    result = cli_runner().invoke(cli, ["--show-source", "."])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("big.py:1:1: TS001 " + too_large(2001, 2000))
    assert lines[1].startswith("ok.py:4:5: TS201 ")  # no source line under the TS001
    refuse_to_analyse(monkeypatch)
    piped = cli_runner().invoke(cli, ["--stdin-filename", "x.py", "-"], input=padded(2001))
    assert piped.exit_code == 1
    assert piped.stdout.startswith("x.py:1:1: TS001 " + too_large(2001, 2000))


def test_the_cache_follows_a_change_of_max_file_size(in_tmp: Path) -> None:
    config = write(in_tmp / "pyproject.toml", "[tool.tsafe-lint]\nmax-file-size = 2000\n")
    write(in_tmp / "big.py", padded(3000))
    for _ in range(2):
        result = cli_runner().invoke(cli, ["."])
        assert [line[:16] for line in result.stdout.splitlines()] == ["big.py:1:1: TS00"]
    config.write_text("[tool.tsafe-lint]\nmax-file-size = 4000\n")
    result = cli_runner().invoke(cli, ["."])
    assert [line[:16] for line in result.stdout.splitlines()] == ["big.py:4:5: TS20"]
