"""Released distributions for the benchmarks: fetch, cache, unpack, pick files, lint them.

Shared by bench/corpus.py and bench/bugs.py so both read the same cache directory and
lint a package the same way. The cache directory is, in order: the ``--cache-dir`` the
script was given, ``$TSAFE_LINT_CORPUS_CACHE``, ``$XDG_CACHE_HOME/tsafe-lint-corpus``,
``~/.cache/tsafe-lint-corpus``; it must lie outside the repository. Archives go to
``sdists/`` (``pip download --no-binary NAME``) or ``wheels/`` (``--only-binary :all:``)
and are unpacked once under ``src/``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SDIST_ARCHIVES = (".tar.gz", ".tgz", ".tar.bz2", ".zip")
WHEEL = ".whl"


# -- the cache directory ---------------------------------------------------------------------
def default_cache_dir() -> Path:
    if os.environ.get("TSAFE_LINT_CORPUS_CACHE"):
        return Path(os.environ["TSAFE_LINT_CORPUS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tsafe-lint-corpus"


def resolve_cache_dir(chosen: Path | None) -> Path:
    """The cache directory to use; ValueError when it lies inside the repository."""
    cache = (chosen or default_cache_dir()).expanduser().resolve()
    if cache == REPO or REPO in cache.parents:
        raise ValueError(f"the cache directory must be outside the repository: {cache}")
    return cache


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# -- fetching --------------------------------------------------------------------------------
def archive_name_version(filename: str) -> tuple[str, str] | None:
    """(distribution, version) from an sdist or wheel file name, None for anything else."""
    if filename.endswith(WHEEL):
        fields = filename[: -len(WHEEL)].split("-")
        return (fields[0], fields[1]) if len(fields) >= 5 else None
    for ext in SDIST_ARCHIVES:
        if filename.endswith(ext):
            dist, _, version = filename[: -len(ext)].rpartition("-")
            return (dist, version) if dist else None
    return None


def find_archive(directory: Path, name: str, version: str, wheel: bool = False) -> Path | None:
    if not directory.is_dir():
        return None
    for candidate in sorted(directory.iterdir()):
        if candidate.name.endswith(WHEEL) != wheel:
            continue
        found = archive_name_version(candidate.name)
        if found and canonical(found[0]) == canonical(name) and found[1] == version:
            return candidate
    return None


def download(
    name: str, version: str, directory: Path, wheel: bool = False
) -> tuple[Path | None, str]:
    """The cached archive of ``name==version``, downloaded first if missing; else the error."""
    existing = find_archive(directory, name, version, wheel)
    if existing is not None:
        return existing, ""
    directory.mkdir(parents=True, exist_ok=True)
    # ``--no-binary NAME``, not ``:all:``: the package's own sdist, while its build
    # backend (uv_build, maturin, hatchling) may come as a wheel; built from source, a
    # Rust backend needs a toolchain and the crates index just to read the metadata
    only = ["--only-binary", ":all:"] if wheel else ["--no-binary", canonical(name)]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", *only]
    command += [f"{name}=={version}", "-d", str(directory)]
    print(f"  downloading {name}=={version}{' (wheel)' if wheel else ''}", file=sys.stderr)
    done = subprocess.run(command, capture_output=True, text=True)
    found = find_archive(directory, name, version, wheel)
    if done.returncode != 0 or found is None:
        return None, (done.stderr or done.stdout).strip()[-2000:]
    return found, ""


def unpack(archive: Path, destination: Path) -> Path:
    """Unpack once into ``destination``; the root is an sdist's single top directory, or
    ``destination`` itself for a wheel (whose files sit at the top of the archive)."""
    if not destination.is_dir():
        destination.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".unpack-"))
        try:
            if archive.name.endswith((".zip", WHEEL)):
                with zipfile.ZipFile(archive) as bundle:
                    bundle.extractall(staging)
            else:
                with tarfile.open(archive) as bundle:
                    if hasattr(tarfile, "data_filter"):
                        bundle.extractall(staging, filter="data")
                    else:  # pragma: no cover - old Pythons
                        bundle.extractall(staging)
            staging.rename(destination)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    if archive.name.endswith(WHEEL):
        return destination
    # hidden folders are not the sdist's: a `.tsafe_lint_cache` an ad-hoc run left there
    # once made a package select no files
    children = [p for p in destination.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return children[0] if len(children) == 1 else destination


# -- selecting and linting -------------------------------------------------------------------
def excluded(relative: Path, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in patterns)


def select_files(root: Path, paths: list[str], exclude: list[str]) -> list[str]:
    """The ``*.py`` files to lint, relative to ``root``, sorted."""
    found: set[str] = set()
    for pattern in paths:
        matches = [root] if pattern in (".", "") else sorted(root.glob(pattern))
        for match in matches:
            candidates = sorted(match.rglob("*.py")) if match.is_dir() else [match]
            for path in candidates:
                if path.suffix != ".py" or not path.is_file():
                    continue
                relative = path.relative_to(root)
                if "__pycache__" in relative.parts or excluded(relative, exclude):
                    continue
                found.add(relative.as_posix())
    return sorted(found, key=lambda p: Path(p).parts)


def count_lines(root: Path, files: list[str]) -> int:
    total = 0
    for name in files:
        data = (root / name).read_bytes()
        total += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return total


def launcher() -> list[str]:
    """The installed ``tsafe-lint`` console script next to the running interpreter."""
    script = Path(sys.executable).with_name("tsafe-lint")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-P", "-m", "tsafe_lint"]  # pragma: no cover


def tool_version() -> str:
    done = subprocess.run([*launcher(), "--version"], capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()


def isolating_config(root: Path, excludes: list[str], evidence: list[str] | None = None) -> Path:
    """The configuration of one run, written into the linted tree's top directory.

    tsafe-lint analyses named files with the facts of their whole project: the files
    under the configuration's directory. So the file stands in ``root`` (the project is
    the package, never the whole cache), and it excludes what the benchmark does not lint
    (tests, docs, examples), so that the project's facts come from the linted files. It
    also keeps the sdist's own pyproject.toml from configuring the run. ``evidence``:
    opt-in evidence kinds to turn on (``extend-evidence``)."""
    config = root / "tsafe-lint-bench.toml"
    patterns = ", ".join(json.dumps(pattern) for pattern in excludes)
    text = f"# written by bench/: tsafe-lint defaults\nexclude = [{patterns}]\n"
    if evidence:
        text += f"extend-evidence = [{', '.join(json.dumps(kind) for kind in evidence)}]\n"
    config.write_text(text)
    return config
