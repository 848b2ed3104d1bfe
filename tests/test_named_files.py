"""The same findings whatever files you name (issue 15).

A race in ``work.py`` exists only because ``runner.py`` submits ``book`` to a thread
pool. Naming one file (pre-commit, an editor, CI on changed files) must report what the
whole tree reports for it, with a cold cache, a warm one and ``--no-cache``, whichever of
the two files changed last; and the flake8 plugin must agree. The console script and
flake8 run for real, in a temporary project as the working directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faces_support import REPO, Row, clean_env, parse_text, run_flake8, run_tool, write
from tests.samples import RUNNER_POOL, WORK_RACY
from tsafe_lint import project_files
from tsafe_lint.config import Config

WORK_LOCKED = """\
import threading

seats = 10
seats_lock = threading.Lock()


def book(n):
    global seats
    with seats_lock:
        if seats > 0:
            seats -= 1
"""

RUNNER_SERIAL = """\
from work import book


def main():
    for i in range(20):
        book(i)
"""

#: Each order of change: the files' texts step by step, and whether work.py races.
ORDERS = {
    "runner changes last": [
        ({"work.py": WORK_RACY, "runner.py": RUNNER_SERIAL}, False),
        ({"runner.py": RUNNER_POOL}, True),
        ({"runner.py": RUNNER_SERIAL}, False),
    ],
    "work changes last": [
        ({"work.py": WORK_LOCKED, "runner.py": RUNNER_POOL}, False),
        ({"work.py": WORK_RACY}, True),
        ({"work.py": WORK_LOCKED}, False),
    ],
}
CACHE = ".tsafe_lint_cache"


def rows(output: str) -> set[Row]:
    return set(parse_text(output))


def lint(root: Path, *args: str) -> set[Row]:
    done = run_tool(*args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return rows(done.stdout)


def flake8(root: Path, *args: str) -> set[Row]:
    done = run_flake8("--select", "TS", *args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return rows(done.stdout)


def of(found: set[Row], name: str) -> set[Row]:
    return {row for row in found if row[0] == name}


@pytest.fixture
def project(tmp_path: Path, tools_installed: None) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    return root


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_a_named_file_gets_what_the_whole_tree_reports_in_every_cache_state(
    project: Path, order: str
) -> None:
    for step, (texts, racy) in enumerate(ORDERS[order]):
        for name, text in texts.items():
            write(project / name, text)
        whole = lint(project, "--no-cache", ".")
        races = {row[3] for row in of(whole, "work.py")} & {"TS102", "TS103"}
        assert races == ({"TS102", "TS103"} if racy else set()), (order, step, whole)
        if racy:
            assert all("runner.py:" in row[4] for row in of(whole, "work.py"))
        for name in ("work.py", "runner.py"):
            expected = of(whole, name)
            # warm: the cache holds the previous step, filled by named and whole runs
            assert lint(project, name) == expected, (order, step, name, "warm")
            assert lint(project, "--no-cache", name) == expected, (order, step, name)
            shutil.rmtree(project / CACHE, ignore_errors=True)
            assert lint(project, name) == expected, (order, step, name, "cold")
        assert lint(project, ".") == whole  # and fills the cache for the next step


def test_the_scenario_of_the_issue(project: Path) -> None:
    """``tsafe-lint work.py`` in a fresh clone, with ``--no-cache``, then warm."""
    write(project / "work.py", WORK_RACY)
    write(project / "runner.py", RUNNER_POOL)
    for args in (["work.py"], ["--no-cache", "work.py"], ["work.py"]):
        found = lint(project, *args)
        assert {(row[1], row[3]) for row in found} == {(6, "TS103"), (7, "TS102")}, args
        assert all("submitted to a thread pool at runner.py:8" in row[4] for row in found)


def test_standard_input_with_a_name_is_that_file_in_its_project(project: Path) -> None:
    write(project / "work.py", WORK_LOCKED)
    write(project / "runner.py", RUNNER_POOL)
    done = run_tool("--stdin-filename", "work.py", "-", cwd=project, stdin=WORK_RACY)
    assert {row[3] for row in rows(done.stdout)} == {"TS102", "TS103"}
    assert lint(project, "work.py") == set()  # the file on disk is still the locked one


@pytest.fixture(scope="module")
def flake8_installed() -> None:
    pytest.importorskip("flake8")


def test_flake8_reports_the_cross_module_findings(project: Path, flake8_installed: None) -> None:
    write(project / "work.py", WORK_RACY)
    write(project / "runner.py", RUNNER_POOL)
    whole = lint(project, "--no-cache", ".")
    assert {row[3] for row in of(whole, "work.py")} == {"TS102", "TS103"}
    assert flake8(project, "work.py") == of(whole, "work.py")  # cold
    assert flake8(project, ".") == whole  # warm
    assert flake8(project, "--jobs", "2", "work.py", "runner.py") == whole
    shutil.rmtree(project / CACHE)
    assert flake8(project, "--jobs", "2", ".") == whole  # cold, two processes
    # an editor's unsaved buffer on standard input: its text, the project's facts
    assert flake8_stdin(project, "work.py", WORK_LOCKED) == set()
    write(project / "work.py", WORK_LOCKED)
    assert flake8_stdin(project, "work.py", WORK_RACY) == of(whole, "work.py")


def flake8_stdin(root: Path, name: str, text: str) -> set[Row]:
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TS", "--stdin-display-name", name, "-"],
        cwd=root,
        input=text,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=clean_env(),
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    return rows(done.stdout)


@pytest.mark.parametrize("corpus", ["tests/projects/crossmod", "examples"])
def test_flake8_and_tsafe_lint_agree_file_by_file(
    tmp_path: Path, tools_installed: None, flake8_installed: None, corpus: str
) -> None:
    root = tmp_path / "corpus"
    shutil.copytree(REPO / corpus, root)
    whole = lint(root, ".")
    assert whole
    assert flake8(root, ".") == {row for row in whole if row[3] != "TS001"}
    for name in sorted({row[0] for row in whole}):
        shutil.rmtree(root / CACHE, ignore_errors=True)
        assert lint(root, name) == of(whole, name), name
        assert flake8(root, name) == of(whole, name), name


def test_outside_any_project_a_named_file_reads_only_its_own_directory(
    tmp_path: Path, tools_installed: None
) -> None:
    """A current directory that is no project (no pyproject.toml, .git, setup.py...) may
    hold a whole download folder: naming ``pkg/work.py`` there reads ``pkg``, where its
    runner lies, and not the folder's other files."""
    downloads = tmp_path / "downloads"
    config = Config(root=downloads)
    if project_files.project_root(config, []) != downloads:
        pytest.skip("the temporary directory lies inside a project")
    write(downloads / "pkg" / "work.py", WORK_RACY)
    write(downloads / "pkg" / "runner.py", RUNNER_POOL)
    write(downloads / "other" / "big.py", "import threading\n" + "x = 1\n" * 10)
    work, other = str(downloads / "pkg" / "work.py"), str(downloads / "other")
    assert project_files.project_root(config, [work]) == (downloads / "pkg").resolve()
    assert project_files.project_root(config, [work, other]) == downloads.resolve()
    link = tmp_path / "link"
    link.symlink_to(downloads)  # the current directory through a link keeps its spelling
    assert project_files.project_root(Config(root=link), [str(link)]) == link
    found = lint(downloads, "--no-cache", "pkg/work.py")
    races = {("pkg/work.py", "TS102"), ("pkg/work.py", "TS103")}
    assert {(row[0], row[3]) for row in found} == races  # runner.py was read
    (downloads / ".git").mkdir()  # now it is a project: its root is the current directory
    assert project_files.project_root(config, [work]) == downloads
    assert lint(downloads, "--no-cache", "pkg/work.py") == found


def test_flake8_chooses_the_same_root_outside_any_project(
    tmp_path: Path, tools_installed: None, flake8_installed: None
) -> None:
    downloads = tmp_path / "downloads"
    if project_files.project_root(Config(root=downloads), []) != downloads:
        pytest.skip("the temporary directory lies inside a project")
    write(downloads / "pkg" / "work.py", WORK_RACY)
    write(downloads / "pkg" / "runner.py", RUNNER_POOL)
    write(downloads / "other" / "big.py", "import threading\n" + "x = 1\n" * 10)
    found = lint(downloads, "--no-cache", "pkg/work.py")
    assert {row[3] for row in found} == {"TS102", "TS103"}
    assert flake8(downloads, "pkg/work.py") == found
