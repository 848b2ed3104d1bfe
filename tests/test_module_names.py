"""Which module a file is: regular packages, namespace packages (PEP 420) inside them
and below the project's ``src`` directory, and where the walk must stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from tsafe_lint.module_names import module_name


def _tree(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", "utf-8")


def test_a_module_of_a_regular_package(tmp_path: Path) -> None:
    _tree(tmp_path, "pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/mod.py")
    assert module_name(str(tmp_path / "pkg/sub/mod.py")) == "pkg.sub.mod"
    assert module_name(str(tmp_path / "pkg/sub/__init__.py")) == "pkg.sub"


def test_a_namespace_directory_inside_a_regular_package(tmp_path: Path) -> None:
    _tree(tmp_path, "pkg/__init__.py", "pkg/core/lock.py")
    assert module_name(str(tmp_path / "pkg/core/lock.py")) == "pkg.core.lock"


def test_namespace_packages_below_the_projects_src(tmp_path: Path) -> None:
    _tree(tmp_path, "src/runtime/threading/__init__.py", "src/runtime/threading/core/lock.py")
    lock = str(tmp_path / "src/runtime/threading/core/lock.py")
    assert module_name(lock, str(tmp_path)) == "runtime.threading.core.lock"
    # without a project root, only what the packages' own __init__ files show
    assert module_name(lock) == "threading.core.lock"


def test_a_namespace_module_directly_below_src(tmp_path: Path) -> None:
    _tree(tmp_path, "src/acme/tool.py")
    assert module_name(str(tmp_path / "src/acme/tool.py"), str(tmp_path)) == "acme.tool"


def test_a_src_directory_above_the_project_root_is_not_the_projects(tmp_path: Path) -> None:
    # ~/src/proj holds the project proj, with its package proj/
    _tree(tmp_path, "src/proj/proj/__init__.py", "src/proj/proj/mod.py")
    root = str(tmp_path / "src/proj")
    assert module_name(str(tmp_path / "src/proj/proj/mod.py"), root) == "proj.mod"


@pytest.mark.parametrize(
    "files, path, expected",
    [
        (
            ("src/my-dist/pkg/__init__.py", "src/my-dist/pkg/mod.py"),
            "src/my-dist/pkg/mod.py",
            "pkg.mod",
        ),
        (("scripts/tool.py",), "scripts/tool.py", "tool"),
    ],
)
def test_directories_that_are_no_packages_stop_the_walk(
    tmp_path: Path, files: tuple[str, ...], path: str, expected: str
) -> None:
    _tree(tmp_path, *files)
    assert module_name(str(tmp_path / path), str(tmp_path)) == expected
