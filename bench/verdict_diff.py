"""What a change of the rules did to reviewed findings: the findings one raw findings file
has and the other has not, each with the verdict a reviewer gave it (if any).

Tuning on a retired validation set means asking, after every change: which findings went
away, were they the false ones, and did a true one go too? Run the corpus before and after
the change (``python bench/corpus.py --corpus bench/validation_seen_8.toml --results
/tmp/after.md`` writes its raw findings to the cache; copy the file between runs), then:

    python bench/verdict_diff.py BEFORE.json AFTER.json --data bench/validation_seen_8_triage.toml

``--data`` may be given several times. Default-on codes only: TS104 (opt-in) is left out
unless ``--all-codes``. Prints a count of gone and new findings by verdict, then each one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from triage import Key, key_of, load_verdicts

OPT_IN = frozenset({"TS104"})


def findings_of(raw: dict[str, Any], all_codes: bool = False) -> dict[Key, str]:
    """(package, path, line, code) -> message, for every finding of a raw findings file."""
    found: dict[Key, str] = {}
    for package, entry in raw.get("packages", {}).items():
        for finding in entry.get("findings", []):
            if not all_codes and finding["code"] in OPT_IN:
                continue
            found[key_of(package, finding)] = finding.get("message", "")
    return found


def diff(
    before: dict[Key, str], after: dict[Key, str], verdicts: dict[Key, dict[str, Any]]
) -> tuple[list[tuple[Key, str, str]], list[tuple[Key, str, str]]]:
    """(gone, new): each (key, verdict or "unjudged", message), sorted by key."""

    def rows(keys: Iterable[Key], messages: dict[Key, str]) -> list[tuple[Key, str, str]]:
        return [
            (key, verdicts[key]["verdict"] if key in verdicts else "unjudged", messages[key])
            for key in sorted(keys)
        ]

    return rows(before.keys() - after.keys(), before), rows(after.keys() - before.keys(), after)


def report(gone: list[tuple[Key, str, str]], new: list[tuple[Key, str, str]]) -> str:
    lines = []
    for title, rows in (("gone", gone), ("new", new)):
        counts = Counter(verdict for _, verdict, _ in rows)
        summary = ", ".join(f"{count} {verdict}" for verdict, count in sorted(counts.items()))
        lines.append(f"{title}: {len(rows)}" + (f" ({summary})" if rows else ""))
        for (package, path, line, code), verdict, message in rows:
            lines.append(f"  {verdict:9} {package} {path}:{line} {code} {message[:120]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--data", type=Path, action="append", default=[])
    parser.add_argument("--all-codes", action="store_true", help="include opt-in TS104")
    options = parser.parse_args(argv)
    verdicts: dict[Key, dict[str, Any]] = {}
    for data in options.data:
        verdicts.update(load_verdicts(data))
    loaded = [json.loads(path.read_text("utf-8")) for path in (options.before, options.after)]
    before, after = (findings_of(raw, options.all_codes) for raw in loaded)
    gone, new = diff(before, after, verdicts)
    sys.stdout.write(f"before: {len(before)} findings, after: {len(after)}\n")
    sys.stdout.write(report(gone, new))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
