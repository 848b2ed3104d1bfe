"""Shared pytest configuration."""

from __future__ import annotations

from pathlib import Path

import pytest


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
