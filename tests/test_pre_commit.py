"""End-to-end test of the pre-commit hook defined in ``.pre-commit-hooks.yaml``.

This drives the real ``pre-commit`` executable: it turns a snapshot of this
checkout into a temporary git repository, points a throw-away project's
``.pre-commit-config.yaml`` at it, and lets pre-commit build the hook
environment (``pip install`` of the snapshot, so it needs access to the
package index) exactly as a user's pre-commit would.

It takes a while (pre-commit creates a virtualenv and installs tsafe-lint and
its dependencies into it), but the environment is built only once per test
session and shared by the tests in this module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.samples import RUNNER_POOL, WORK_RACY

PROJECT_ROOT = Path(__file__).resolve().parent.parent

BAD_SOURCE = """\
import threading
lock = threading.Lock()
def f():
    lock.acquire()
    do()
    lock.release()
"""

FIXED_SOURCE = """\
import threading
lock = threading.Lock()
def f():
    with lock:
        do()
"""

# Generous: the first run creates the hook environment (virtualenv + pip install).
PRE_COMMIT_TIMEOUT = 900


def _find_pre_commit() -> list[str] | None:
    """The pre-commit of the environment running the tests, as an argv prefix."""
    bindir = Path(sys.executable).parent
    for name in ("pre-commit", "pre-commit.exe"):
        candidate = bindir / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pass
    else:
        return [sys.executable, "-m", "pre_commit"]
    found = shutil.which("pre-commit")
    if found:
        return [found]
    return None


def _clean_env() -> dict[str, str]:
    """os.environ without variables that would redirect git or skip hooks.

    GIT_DIR, GIT_INDEX_FILE, ... are set when the tests themselves run inside a
    git hook; SKIP would make pre-commit skip our hook.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.pop("SKIP", None)
    return env


def _isolated_git_env() -> dict[str, str]:
    """Environment for git/pre-commit on throw-away repositories.

    Ignores the user's/system git configuration (signing, templates, hooks,
    missing user.name/email on CI, ...) and provides an identity explicitly.
    """
    env = _clean_env()
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "tsafe-lint tests",
            "GIT_AUTHOR_EMAIL": "tests@tsafe-lint.invalid",
            "GIT_COMMITTER_NAME": "tsafe-lint tests",
            "GIT_COMMITTER_EMAIL": "tests@tsafe-lint.invalid",
            "GIT_TERMINAL_PROMPT": "0",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
        }
    )
    return env


def _git(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"git {' '.join(args)} failed in {cwd} (exit {proc.returncode}):\n"
            f"{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


@pytest.fixture(scope="module")
def pre_commit_cmd() -> list[str]:
    cmd = _find_pre_commit()
    if cmd is None:
        pytest.skip("pre-commit is not installed (install the 'test' extra: pip install '.[test]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed; pre-commit requires git")
    return cmd


@pytest.fixture(scope="module")
def hook_repo(
    pre_commit_cmd: list[str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """A committed git snapshot of this checkout's working tree: (path, sha).

    pre-commit's ``repo:`` must be a git repository and ``rev:`` a commit, so
    tracked files and untracked-but-not-ignored files are copied into a fresh
    repository and committed. This tests the working tree, not only HEAD.
    """
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=PROJECT_ROOT,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        pytest.skip(
            f"{PROJECT_ROOT} is not a git checkout, cannot snapshot it as a hook repository: "
            f"{exc.stderr.decode(errors='replace').strip()}"
        )

    repo = tmp_path_factory.mktemp("hook-repo")
    copied = 0
    for raw in listing.split(b"\0"):
        if not raw:
            continue
        rel = os.fsdecode(raw)
        src = PROJECT_ROOT / rel
        if not src.is_file() and not src.is_symlink():
            continue  # deleted in the working tree but still in the index
        dst = repo / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
        copied += 1
    for required in (".pre-commit-hooks.yaml", "pyproject.toml"):
        assert (repo / required).is_file(), f"{required} missing from the checkout ({copied} files)"

    env = _isolated_git_env()
    _git(["init", "-q"], repo, env)
    _git(["add", "-A"], repo, env)
    _git(["-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", "snapshot"], repo, env)
    sha = _git(["rev-parse", "HEAD"], repo, env).strip()
    return repo, sha


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the module's tests so the hook environment is built only once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _run_hook(
    pre_commit_cmd: list[str],
    hook_repo: tuple[Path, str],
    pre_commit_home: Path,
    project: Path,
    files: dict[str, str],
    args: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the hook once in a fresh repository."""
    repo_path, sha = hook_repo
    project.mkdir()
    env = _isolated_git_env()
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    env.pop("PRE_COMMIT_COLOR", None)

    # JSON strings are valid YAML scalars, which keeps Windows paths intact.
    config = (
        "repos:\n"
        f"  - repo: {json.dumps(str(repo_path))}\n"
        f"    rev: {json.dumps(sha)}\n"
        "    hooks:\n"
        "      - id: tsafe-lint\n"
    )
    if args:
        config += f"        args: {json.dumps(args)}\n"
    (project / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")

    _git(["init", "-q"], project, env)
    _git(["add", "-A"], project, env)

    return subprocess.run(
        [*pre_commit_cmd, "run", "--all-files", "--color", "never", "--verbose"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=PRE_COMMIT_TIMEOUT,
        check=False,
    )


def _describe(proc: subprocess.CompletedProcess[str], pre_commit_home: Path) -> str:
    text = (
        f"exit status {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )
    log = pre_commit_home / "pre-commit.log"
    if log.is_file():
        text += f"\n--- pre-commit.log ---\n{log.read_text(encoding='utf-8', errors='replace')}"
    return text


def test_hook_reports_manual_acquire_release(
    pre_commit_cmd: list[str],
    hook_repo: tuple[Path, str],
    pre_commit_home: Path,
    tmp_path: Path,
) -> None:
    proc = _run_hook(
        pre_commit_cmd, hook_repo, pre_commit_home, tmp_path / "project", {"bad.py": BAD_SOURCE}
    )
    details = _describe(proc, pre_commit_home)

    assert proc.returncode != 0, f"pre-commit should fail on bad.py\n{details}"
    output = proc.stdout + proc.stderr
    assert "An unexpected error has occurred" not in output, details
    assert any("bad.py" in line and "TS201" in line for line in output.splitlines()), (
        f"expected a TS201 finding for bad.py in the hook output\n{details}"
    )


def test_hook_passes_on_with_statement(
    pre_commit_cmd: list[str],
    hook_repo: tuple[Path, str],
    pre_commit_home: Path,
    tmp_path: Path,
) -> None:
    proc = _run_hook(
        pre_commit_cmd, hook_repo, pre_commit_home, tmp_path / "project", {"good.py": FIXED_SOURCE}
    )
    details = _describe(proc, pre_commit_home)

    assert proc.returncode == 0, f"pre-commit should pass on good.py\n{details}"
    # "Passed", not "(no files to check)Skipped": the hook really ran on good.py.
    assert any(
        line.startswith("tsafe-lint") and line.rstrip().endswith("Passed")
        for line in proc.stdout.splitlines()
    ), details
    assert "TS201" not in proc.stdout + proc.stderr, details


def test_hook_with_fix_fails_once_then_passes(
    pre_commit_cmd: list[str],
    hook_repo: tuple[Path, str],
    pre_commit_home: Path,
    tmp_path: Path,
) -> None:
    """``args: [--fix, --unsafe-fixes]`` (TS201's fix is unsafe): the first run rewrites
    bad.py (pre-commit fails the hook because a file changed), the second finds nothing
    left."""
    project = tmp_path / "project"
    first = _run_hook(
        pre_commit_cmd,
        hook_repo,
        pre_commit_home,
        project,
        {"bad.py": BAD_SOURCE},
        ["--fix", "--unsafe-fixes"],
    )
    assert first.returncode != 0, _describe(first, pre_commit_home)
    assert "files were modified by this hook" in first.stdout, _describe(first, pre_commit_home)
    fixed = (project / "bad.py").read_text(encoding="utf-8")
    assert "with lock:" in fixed and "acquire()" not in fixed
    env = _isolated_git_env()
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    second = subprocess.run(
        [*pre_commit_cmd, "run", "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=PRE_COMMIT_TIMEOUT,
        check=False,
    )
    assert second.returncode == 0, _describe(second, pre_commit_home)


def test_hook_on_one_staged_file_reports_what_the_project_makes_of_it(
    pre_commit_cmd: list[str],
    hook_repo: tuple[Path, str],
    pre_commit_home: Path,
    tmp_path: Path,
) -> None:
    """pre-commit names only work.py (``--files``); the race exists because runner.py,
    not named, submits ``book`` to a thread pool. Cold cache, then warm."""
    project = tmp_path / "project"
    files = {"work.py": WORK_RACY, "runner.py": RUNNER_POOL}
    _run_hook(pre_commit_cmd, hook_repo, pre_commit_home, project, files)  # sets it up
    shutil.rmtree(project / ".tsafe_lint_cache", ignore_errors=True)
    env = _isolated_git_env()
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    for state in ("cold", "warm"):
        proc = subprocess.run(
            [*pre_commit_cmd, "run", "--files", "work.py", "--color", "never", "--verbose"],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PRE_COMMIT_TIMEOUT,
            check=False,
        )
        details = f"{state}\n{_describe(proc, pre_commit_home)}"
        assert proc.returncode == 1, details
        found = [line for line in proc.stdout.splitlines() if line.startswith("work.py:")]
        assert [line.split(" ")[1] for line in found] == ["TS103", "TS102"], details
        assert all("submitted to a thread pool at runner.py:8" in line for line in found)
        assert not any(line.startswith("runner.py:") for line in proc.stdout.splitlines())
