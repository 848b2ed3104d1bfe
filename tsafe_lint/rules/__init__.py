"""The rule registry: every rule class, by code."""

from __future__ import annotations

from tsafe_lint.rules import conditions, locks, shared_state, threads
from tsafe_lint.rules.base import Finding, Rule

#: Codes the engine itself reports (not rules: they cannot be disabled by accident).
ENGINE_CODES = {
    "TS001": "could not parse: the file cannot be read or is not valid Python",
    "TS002": "internal error in a rule or the analysis (please report it)",
}

ALL_RULES: list[type[Rule]] = sorted(
    [*shared_state.RULES, *locks.RULES, *conditions.RULES, *threads.RULES],
    key=lambda rule: rule.code,
)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "ENGINE_CODES", "RULES_BY_CODE", "Finding", "Rule"]
