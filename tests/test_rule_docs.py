"""The rule docs cannot lie: each rule's *Example* is flagged by that rule, and each
code block of its *Use instead* is not (as Fixit checks its VALID/INVALID examples)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tsafe_lint.config import Config
from tsafe_lint.engine import Linter
from tsafe_lint.rules import ALL_RULES, Rule

SECTION = re.compile(r"^\*\*(?P<title>[^*]+)\*\*\s*$", re.M)
CODE_BLOCK = re.compile(r"```python\n(?P<code>.*?)```", re.S)


def sections(rule: type[Rule]) -> dict[str, str]:
    """The docstring's ``**Title**`` sections, by title."""
    doc = rule.documentation()
    marks = list(SECTION.finditer(doc))
    return {
        mark.group("title"): doc[mark.end() : marks[i + 1].start() if i + 1 < len(marks) else None]
        for i, mark in enumerate(marks)
    }


def code_blocks(text: str) -> list[str]:
    return [match.group("code") for match in CODE_BLOCK.finditer(text)]


#: ``# settings.py`` alone on a line: the code below it is that module of a project
#: example (TS406 takes two modules to show)
MODULE_MARK = re.compile(r"^# (?P<name>\w+\.py)\n", re.M)


def codes_reported(rule: type[Rule], source: str, tmp_path: Path) -> set[str]:
    marks = list(MODULE_MARK.finditer(source))
    if not marks:
        linter = Linter(Config(select=[rule.code]))
        return {d.code for d in linter.lint_source(source, "example.py")}
    names = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else None
        path = tmp_path / mark.group("name")
        path.write_text(source[mark.end() : end], encoding="utf-8")
        names.append(str(path))
    config = Config(select=[rule.code], root=tmp_path)
    return {d.code for d in Linter(config, project_root=tmp_path).lint_paths(names)}


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_example_is_flagged(rule: type[Rule], tmp_path: Path) -> None:
    blocks = code_blocks(sections(rule).get("Example", ""))
    assert blocks, f"{rule.code} has no ```python block under **Example**"
    for block in blocks:
        assert rule.code in codes_reported(rule, block, tmp_path), (
            f"{rule.code} misses its Example:\n{block}"
        )


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_use_instead_is_clean(rule: type[Rule], tmp_path: Path) -> None:
    blocks = code_blocks(sections(rule).get("Use instead", ""))
    assert blocks, f"{rule.code} has no ```python block under **Use instead**"
    for block in blocks:
        assert rule.code not in codes_reported(rule, block, tmp_path), (
            f"{rule.code} flags its own Use instead:\n{block}"
        )


def test_sections_are_found() -> None:
    """The section parser itself: a rule docstring's known titles come out."""
    found = sections(ALL_RULES[0])
    assert {"What it does", "Why is this bad", "Example", "Use instead"} <= set(found)
