"""A baseline: the findings a project accepted when it adopted tsafe-lint.

``--write-baseline FILE`` records today's findings; ``--baseline FILE`` (or the
``baseline`` configuration key) then reports only the others. A finding matches an entry
by rule, file (relative to the project root) and fingerprint (enclosing function and
normalised code, not the line number: see ``tsafe_lint.fingerprints``). Entries are a
multiset: three identical findings in one function are three entries, and a fourth is
new. The line and message of each entry are for the people who review the file; they
take no part in matching.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tsafe_lint.config import ConfigError
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.fingerprints import fingerprints, relative_path

FORMAT_VERSION = 1

Key = tuple[str, str, str]  # (relative path, code, fingerprint)


@dataclass
class Baseline:
    """The accepted findings, by key, with how many of each."""

    counts: Counter[Key]

    @classmethod
    def read(cls, path: Path) -> Baseline:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"cannot read baseline {path}: {exc.strerror} (create it with --write-baseline)"
            ) from exc
        except ValueError as exc:
            raise ConfigError(f"baseline {path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ConfigError(f"baseline {path}: not a tsafe-lint baseline (version 1)")
        counts: Counter[Key] = Counter()
        for entry in data.get("findings", []):
            try:
                counts[(entry["path"], entry["code"], entry["fingerprint"])] += 1
            except (KeyError, TypeError) as exc:
                raise ConfigError(f"baseline {path}: malformed entry {entry!r}") from exc
        return cls(counts)

    def new_findings(
        self,
        diagnostics: Sequence[Diagnostic],
        root: Path,
        sources: dict[str, bytes] | None = None,
    ) -> list[Diagnostic]:
        """The findings the baseline does not account for, in their order."""
        left = Counter(self.counts)
        new = []
        for d, key in zip(diagnostics, keys(diagnostics, root, sources)):
            if left[key] > 0:
                left[key] -= 1
            else:
                new.append(d)
        return new


def keys(
    diagnostics: Sequence[Diagnostic], root: Path, sources: dict[str, bytes] | None = None
) -> list[Key]:
    prints = fingerprints(diagnostics, sources)
    return [(relative_path(d.path, root), d.code, p) for d, p in zip(diagnostics, prints)]


def render_baseline(
    diagnostics: Sequence[Diagnostic], root: Path, sources: dict[str, bytes] | None = None
) -> str:
    """The baseline file for ``diagnostics``: stable order, one entry per finding."""
    entries = [
        {
            "path": key[0],
            "code": key[1],
            "fingerprint": key[2],
            "line": d.line,
            "message": d.message,
        }
        for d, key in zip(diagnostics, keys(diagnostics, root, sources))
    ]
    entries.sort(key=lambda e: (e["path"], e["line"], e["code"], e["fingerprint"]))
    document = {"tool": "tsafe-lint", "version": FORMAT_VERSION, "findings": entries}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_baseline(
    path: Path,
    diagnostics: Sequence[Diagnostic],
    root: Path,
    sources: dict[str, bytes] | None = None,
) -> None:
    try:
        path.write_text(render_baseline(diagnostics, root, sources), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write baseline {path}: {exc.strerror}") from exc
