"""The rule docs cannot lie: each rule's *Example* is flagged by that rule, and each
code block of its *Use instead* is not (as Fixit checks its VALID/INVALID examples)."""

from __future__ import annotations

import re

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


def codes_reported(rule: type[Rule], source: str) -> set[str]:
    linter = Linter(Config(select=[rule.code]))
    return {d.code for d in linter.lint_source(source, "example.py")}


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_example_is_flagged(rule: type[Rule]) -> None:
    blocks = code_blocks(sections(rule).get("Example", ""))
    assert blocks, f"{rule.code} has no ```python block under **Example**"
    for block in blocks:
        assert rule.code in codes_reported(rule, block), f"{rule.code} misses its Example:\n{block}"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_use_instead_is_clean(rule: type[Rule]) -> None:
    blocks = code_blocks(sections(rule).get("Use instead", ""))
    assert blocks, f"{rule.code} has no ```python block under **Use instead**"
    for block in blocks:
        assert rule.code not in codes_reported(rule, block), (
            f"{rule.code} flags its own Use instead:\n{block}"
        )


def test_sections_are_found() -> None:
    """The section parser itself: a rule docstring's known titles come out."""
    found = sections(ALL_RULES[0])
    assert {"What it does", "Why is this bad", "Example", "Use instead"} <= set(found)
