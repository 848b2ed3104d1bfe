"""Shared pytest configuration."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fuzz: long fuzzing run, skipped unless selected with `pytest -m fuzz` "
        "(or TSAFE_FUZZ=1 is set)",
    )
