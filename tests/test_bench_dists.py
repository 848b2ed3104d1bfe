"""bench/dists.py: how the benchmarks fetch released distributions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_bench_bugs import _bench

dists = _bench("dists")


def test_download_asks_pip_for_the_package_s_own_sdist_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--no-binary NAME``, not ``:all:``: the sdist of the package, while its build backend
    (uv_build, maturin) may come as a wheel; built from source it needs a Rust toolchain and
    the crates index just to read the package's metadata."""
    commands: list[list[str]] = []

    def fake_run(command: list[str], **_: Any) -> Any:
        commands.append(command)
        (tmp_path / "dexter_controller-0.3.0.tar.gz").write_bytes(b"")

        class Done:
            returncode = 0
            stdout = stderr = ""

        return Done()

    monkeypatch.setattr(dists.subprocess, "run", fake_run)
    archive, error = dists.download("Dexter_Controller", "0.3.0", tmp_path)
    assert error == "" and archive == tmp_path / "dexter_controller-0.3.0.tar.gz"
    (command,) = commands
    at = command.index("--no-binary")
    assert command[at + 1] == "dexter-controller"
    assert ":all:" not in command
    assert "Dexter_Controller==0.3.0" in command
