"""A click test runner with standard error captured apart, on every supported click.

click 8.2+ (Python 3.10+) always keeps stderr apart; click 8.1 (the last on Python 3.9)
mixes it into the output unless asked not to.
"""

from __future__ import annotations

import inspect
from typing import Any

from click.testing import CliRunner

_SEPARATE = {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner).parameters else {}


def cli_runner(**kwargs: Any) -> CliRunner:
    return CliRunner(**_SEPARATE, **kwargs)


def runner_options() -> dict[str, Any]:
    """For subclasses of CliRunner: the same options."""
    return dict(_SEPARATE)
