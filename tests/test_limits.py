"""Limits: deeply nested input finishes with a result or a TS001, never a traceback.

The inputs come from bench/limits.py, which also measures time and peak memory of these
cases and of the slow ones kept out of the test suite (a 5 MB file, 10,000 functions).
"""

from __future__ import annotations

import importlib.util
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType

import pytest

from tsafe_lint.config import Config
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
