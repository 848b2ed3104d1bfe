"""Generate ``docs/rules/`` from the rule docstrings, the one source of rule documentation.

``python -m tsafe_lint.docgen`` writes the pages; ``--check`` exits 1 when a page on
disk differs from what the docstrings give (the test suite runs it, so docs cannot go
stale).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tsafe_lint.rules import ALL_RULES, ENGINE_CODES, Rule

FAMILY_TITLES = {
    "shared_state": "shared state",
    "locks": "locks",
    "conditions": "conditions, semaphores, events",
    "threads": "threads and executors",
}


def _autofix(rule: type[Rule]) -> str:
    """``no``, or ``yes`` with its fix safety (unsafe fixes need ``--unsafe-fixes``)."""
    if not rule.fixable:
        return "no"
    return "yes (safe)" if rule.fix_safety == "safe" else f"yes ({rule.fix_safety})"


def rule_page(rule: type[Rule]) -> str:
    default = "on" if rule.default_enabled else "off (opt-in: select it explicitly)"
    fix = _autofix(rule)
    if rule.fixable and rule.fix_safety != "safe":
        fix += ", with `--unsafe-fixes`"
    header = (
        f"# {rule.code} {rule.name}\n\n"
        f"{rule.summary}.\n\n"
        f"- Family: {FAMILY_TITLES.get(rule.family, rule.family)}\n"
        f"- Default: {default}\n"
        f"- Autofix: {fix}\n"
        f"- Silence one line: `# noqa: {rule.code}`\n\n"
    )
    body = _headings(rule.documentation())
    return header + body.rstrip() + "\n"


def _headings(doc: str) -> str:
    """``**What it does**`` paragraphs become ``## What it does`` headings."""
    out = []
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped.startswith("**") and stripped.endswith("**") and len(stripped) > 4:
            out.append(f"## {stripped.strip('*')}")
        else:
            out.append(line)
    return "\n".join(out)


def index_page() -> str:
    lines = [
        "# Rules",
        "",
        "Generated from the rule docstrings by `python -m tsafe_lint.docgen`; "
        "`tsafe-lint --explain CODE` prints the same text.",
        "",
        "| code | name | family | default | autofix | summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for code, text in ENGINE_CODES.items():
        lines.append(f"| {code} | (engine) | — | on | no | {text} |")
    for rule in ALL_RULES:
        default = "on" if rule.default_enabled else "off"
        fix = _autofix(rule)
        family = FAMILY_TITLES.get(rule.family, rule.family)
        lines.append(
            f"| [{rule.code}]({rule.code}.md) | {rule.name} | {family} | {default} | {fix} "
            f"| {rule.summary} |"
        )
    return "\n".join(lines) + "\n"


def expected_pages(root: Path) -> dict[Path, str]:
    pages = {root / "index.md": index_page()}
    for rule in ALL_RULES:
        pages[root / f"{rule.code}.md"] = rule_page(rule)
    return pages


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    rest = [a for a in args if a != "--check"]
    root = Path(rest[0]) if rest else Path("docs") / "rules"
    stale = []
    for path, text in expected_pages(root).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if check and stale:
        names = ", ".join(str(p) for p in stale)
        print(f"stale rule docs (run python -m tsafe_lint.docgen): {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
