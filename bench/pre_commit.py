"""The pre-commit hook, serial or in pre-commit's parallel batches, on a mid-size project.

Every run of tsafe-lint analyses the project the named files belong to, so each batch
pre-commit starts (``require_serial: false``) reads, or with a cold cache analyses, the
whole project again. This measures both ways with the real ``pre-commit``: a ``local``
hook running this environment's ``tsafe-lint --force-exclude`` on every file
(``pre-commit run --all-files``) and on one changed file, cold and warm. Run:

    python bench/pre_commit.py [--repeat 3] [--write]

The project is a copy of some packages of the running interpreter's standard library
(threads, processes, e-mail, HTTP, logging, XML, IDLE, unittest: about 250 files). ``--write`` saves
bench/results/pre_commit.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGES = (
    "asyncio",
    "concurrent",
    "multiprocessing",
    "email",
    "http",
    "logging",
    "xml",
    "idlelib",
    "unittest",
)
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@invalid",
}


def make_project(root: Path) -> int:
    lib = Path(sysconfig.get_paths()["stdlib"])
    count = 0
    for package in PACKAGES:
        for path in (lib / package).rglob("*.py"):
            target = root / path.relative_to(lib)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            count += 1
    return count


def configure(root: Path, serial: bool) -> None:
    script = Path(sys.executable).with_name("tsafe-lint")
    hook = {
        "id": "tsafe-lint",
        "name": "tsafe-lint",
        "entry": f"{script} --force-exclude --exit-zero",
        "language": "system",
        "types": ["python"],
        "require_serial": serial,
    }
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (root / ".pre-commit-config.yaml").write_text(json.dumps(config), encoding="utf-8")


def pre_commit(root: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    command = [sys.executable, "-m", "pre_commit", "run", "--color", "never", *args]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pre-commit failed:\n{done.stdout}{done.stderr}")
    return elapsed


def measure(root: Path, serial: bool, repeat: int) -> dict[str, float]:
    configure(root, serial)
    cache = root / ".tsafe_lint_cache"
    victim = root / "concurrent" / "futures" / "thread.py"

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return pre_commit(root, "--all-files")

    def one_changed() -> float:
        with victim.open("a", encoding="utf-8") as handle:
            handle.write("\n# edited by bench/pre_commit.py\n")
        return pre_commit(root, "--files", str(victim.relative_to(root)))

    return {
        "all files, cold": min(cold() for _ in range(repeat)),
        "all files, warm": min(pre_commit(root, "--all-files") for _ in range(repeat)),
        "one file changed": min(one_changed() for _ in range(repeat)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "project"
        files = make_project(root)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
        subprocess.run(["git", "init", "-q"], cwd=root, env=env, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
        serial = measure(root, True, options.repeat)
        batched = measure(root, False, options.repeat)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    out = [
        "# The pre-commit hook: serial or in batches",
        "",
        f"Measured {datetime.date.today().isoformat()} on {machine} by "
        "`python bench/pre_commit.py`,",
        f"on {files} files of the standard library ({', '.join(PACKAGES)}).",
        f"Seconds, best of {options.repeat}, for the whole `pre-commit run` (pre-commit's own",
        "start included).",
        "",
        "| run | `require_serial: true` | `require_serial: false` |",
        "| --- | ---: | ---: |",
    ]
    for key in serial:
        out.append(f"| {key} | {serial[key]:.2f} | {batched[key]:.2f} |")
    text = "\n".join(out) + "\n"
    print(text)
    if options.write:
        (HERE / "results" / "pre_commit.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
