"""Shared pytest configuration."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.faces_support import REPO, TSAFE_LINT


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fuzz: long fuzzing run, skipped unless selected with `pytest -m fuzz` "
        "(or TSAFE_FUZZ=1 is set)",
    )


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary directory as the working directory (the CLI reads config from there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def tools_installed() -> None:
    if not TSAFE_LINT.is_file():
        pytest.skip(f"the tsafe-lint console script is not installed next to {sys.executable}")


@pytest.fixture
def corpus(tmp_path: Path, tools_installed: None) -> Path:
    """A copy of tests/fixtures/ and examples/ to run in (cwd), as ``fixtures``/``examples``."""
    shutil.copytree(REPO / "tests" / "fixtures", tmp_path / "fixtures")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path
