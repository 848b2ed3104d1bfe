"""Configuration: ``[tool.tsafe-lint]`` in the nearest ``pyproject.toml``, plus CLI overrides.

Selection follows ruff: a code runs when the most specific matching prefix among
``select`` and ``ignore`` is a ``select`` one. Rules that are off by default run only when
selected explicitly. Unknown keys and unknown codes are errors, not silent no-ops.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from tsafe_lint.codes import ALL_CODES, ENGINE_CODES, default_enabled

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older Pythons only
    import tomli as tomllib

SECTION = "tsafe-lint"
KNOWN_CODES = ALL_CODES
_LIST_KEYS = ("select", "ignore", "exclude", "extend-exclude")
#: Classes and functions the user knows are shared or confined (the configuration's
#: twin of ``# tsafe: shared`` / ``# tsafe: single-thread``): dotted names.
_NAME_LIST_KEYS = ("shared", "single-thread")
_KNOWN_KEYS = frozenset(
    {
        *_LIST_KEYS,
        *_NAME_LIST_KEYS,
        "per-file-ignores",
        "baseline",
        "max-file-size",
        "extend-evidence",
    }
)
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
#: The evidence kinds ``extend-evidence`` may turn on (``tsafe_lint.analysis.evidence``;
#: repeated here so that the configuration loads without LibCST; a test keeps them equal).
OPT_IN_EVIDENCE = (
    "own-thread",
    "process-wide",
    "check-outside-lock",
    "lock-owned",
    "docstring",
    "started-threads",
    "shared-argument",
)

#: Files larger than this (bytes) are not analysed: one TS001 says so. LibCST's tree of a
#: dense generated file takes about 800 MB and 10 s per MiB, and grows faster than the
#: file (3 MiB: 2.5 GB, 54 s); bench/limits.py measures it. The largest file of the
#: standard library (pydoc_data/topics.py, 0.75 MB) stays under it.
DEFAULT_MAX_FILE_SIZE = 1024 * 1024


class ConfigError(Exception):
    """A configuration or usage problem; the CLI exits with status 2."""


def validate_codes(codes: Iterable[str], where: str) -> list[str]:
    """Upper-case ``codes`` and check each is a known code or a prefix of one."""
    result = []
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if code != "ALL" and not any(known.startswith(code) for known in KNOWN_CODES):
            raise ConfigError(f"{where}: unknown rule code or prefix '{raw.strip()}'")
        result.append(code)
    return result


@dataclass
class Config:
    """The effective settings of a run."""

    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    baseline: Path | None = None  # findings accepted earlier (``tsafe_lint.baseline``)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    #: opt-in evidence kinds turned on, sorted (``OPT_IN_EVIDENCE``)
    extend_evidence: list[str] = field(default_factory=list)
    #: classes whose public methods (and functions that) run on several threads at once
    shared: list[str] = field(default_factory=list)
    #: classes and functions confined to one thread: no evidence counts for them
    single_thread: list[str] = field(default_factory=list)

    def analysis_options(self) -> tuple[str, ...]:
        """What the per-file analysis needs of the configuration (and its cache key):
        the opt-in evidence kinds, then ``shared=NAME`` and ``single-thread=NAME``."""
        return (
            *self.extend_evidence,
            *(f"shared={name}" for name in self.shared),
            *(f"single-thread={name}" for name in self.single_thread),
        )

    def is_enabled(self, code: str, extra_ignores: Iterable[str] = ()) -> bool:
        """Does ``code`` run, given select/ignore and any per-file ignores?"""
        default_on = default_enabled(code)
        selectors = self.select
        select_len = -1
        if selectors is None:
            select_len = 0 if default_on else -1
        else:
            for prefix in selectors:
                if prefix == "ALL" or code.startswith(prefix):
                    length = 0 if prefix == "ALL" else len(prefix)
                    if prefix == "ALL" and not default_on:
                        continue
                    select_len = max(select_len, length)
            if code in ENGINE_CODES:
                select_len = max(select_len, 0)
        ignore_len = -1
        for prefix in (*self.ignore, *extra_ignores):
            if prefix == "ALL" or code.startswith(prefix):
                ignore_len = max(ignore_len, 0 if prefix == "ALL" else len(prefix))
        return select_len >= 0 and select_len > ignore_len

    def ignores_for(self, path: str) -> list[str]:
        """Codes ignored for ``path`` by ``per-file-ignores`` (glob patterns)."""
        codes: list[str] = []
        for pattern, pattern_codes in self.per_file_ignores.items():
            if matches(path, pattern, self.root):
                codes.extend(pattern_codes)
        return codes

    def is_excluded(self, path: str) -> bool:
        return any(matches(path, pattern, self.root) for pattern in self.exclude)


def matches(path: str, pattern: str, root: Path) -> bool:
    """flake8/ruff-style matching: the pattern against the path relative to the
    configuration root, the path as given, or any single path component."""
    pure = PurePath(path)
    candidates = {pure.as_posix(), pure.name}
    with contextlib.suppress(ValueError):
        candidates.add(Path(path).resolve().relative_to(root.resolve()).as_posix())
    pattern = pattern.rstrip("/")
    for candidate in candidates:
        if fnmatch.fnmatch(candidate, pattern) or fnmatch.fnmatch(candidate, pattern + "/*"):
            return True
    return any(fnmatch.fnmatch(part, pattern) for part in pure.parts)


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` with a ``[tool.tsafe-lint]``."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                data = _read_toml(candidate)
            except ConfigError:
                raise
            if SECTION in data.get("tool", {}):
                return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from exc


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    """Read the configuration: ``explicit`` file, else the nearest pyproject.toml."""
    path = explicit if explicit is not None else find_pyproject(start or Path.cwd())
    if path is None:
        return Config()
    data = _read_toml(path)
    section = data.get("tool", {}).get(SECTION)
    if section is None:
        # a dedicated file (``--config``) may hold the keys at top level
        section = data if explicit is not None and "tool" not in data else {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.{SECTION}] must be a table")
    return _from_table(section, path)


def _from_table(table: dict[str, Any], path: Path) -> Config:
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [tool.{SECTION}]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_KNOWN_KEYS))})"
        )
    lists: dict[str, list[str]] = {}
    for key in _LIST_KEYS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{path}: '{key}' must be a list of strings")
        lists[key] = value
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{path}: 'per-file-ignores' must be a table of pattern = [codes]")
    per_file_ignores: dict[str, list[str]] = {}
    for pattern, codes in per_file.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{path}: per-file-ignores '{pattern}' must be a list of codes")
        per_file_ignores[pattern] = validate_codes(codes, f"{path}: per-file-ignores")
    baseline = table.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise ConfigError(f"{path}: 'baseline' must be a file name (a string)")
    max_file_size = table.get("max-file-size", DEFAULT_MAX_FILE_SIZE)
    if not isinstance(max_file_size, int) or isinstance(max_file_size, bool) or max_file_size < 1:
        raise ConfigError(f"{path}: 'max-file-size' must be a positive number of bytes")
    evidence = table.get("extend-evidence", [])
    if not isinstance(evidence, list) or not all(kind in OPT_IN_EVIDENCE for kind in evidence):
        raise ConfigError(
            f"{path}: 'extend-evidence' must be a list of: {', '.join(OPT_IN_EVIDENCE)}"
        )
    names: dict[str, list[str]] = {}
    for key in _NAME_LIST_KEYS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(item, str) and _DOTTED_NAME.fullmatch(item) for item in value
        ):
            raise ConfigError(
                f"{path}: '{key}' must be a list of dotted names of classes or functions "
                "('package.module.Class', 'module.function' or 'Class')"
            )
        names[key] = sorted(set(value))
    return Config(
        select=validate_codes(lists["select"], f"{path}: select") if "select" in table else None,
        ignore=validate_codes(lists["ignore"], f"{path}: ignore"),
        exclude=[*lists["exclude"], *lists["extend-exclude"]],
        per_file_ignores=per_file_ignores,
        root=path.parent,
        source=path,
        baseline=path.parent / baseline if baseline else None,
        max_file_size=max_file_size,
        extend_evidence=sorted(set(evidence)),
        shared=names["shared"],
        single_thread=names["single-thread"],
    )
