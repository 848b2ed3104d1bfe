"""The rule registry: every rule class, by code."""

from __future__ import annotations

from tsafe_lint.codes import ENGINE_CODES
from tsafe_lint.rules import (
    blocking,
    busy_flags,
    close_wake_up,
    conditions,
    deadlocks,
    early_publication,
    end_marker,
    enumerated_joins,
    imported_flags,
    late_binding,
    lock_usage,
    main_thread_only,
    ownership,
    pool_exit,
    process_state,
    raised_flags,
    ready_events,
    restarts,
    self_join,
    shared_state,
    singleton_init,
    stale_decision,
    task_done,
    thread_stop,
    threads,
)
from tsafe_lint.rules.base import Finding, Fix, ProjectFinding, Rule

ALL_RULES: list[type[Rule]] = sorted(
    [
        *shared_state.RULES,
        *lock_usage.RULES,
        *ownership.RULES,
        *process_state.RULES,
        *stale_decision.RULES,
        *singleton_init.RULES,
        *deadlocks.RULES,
        *blocking.RULES,
        *conditions.RULES,
        *close_wake_up.RULES,
        *threads.RULES,
        *thread_stop.RULES,
        *ready_events.RULES,
        *imported_flags.RULES,
        *raised_flags.RULES,
        *self_join.RULES,
        *enumerated_joins.RULES,
        *task_done.RULES,
        *end_marker.RULES,
        *early_publication.RULES,
        *restarts.RULES,
        *main_thread_only.RULES,
        *pool_exit.RULES,
        *late_binding.RULES,
        *busy_flags.RULES,
    ],
    key=lambda rule: rule.code,
)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "ENGINE_CODES", "RULES_BY_CODE", "Finding", "Fix", "ProjectFinding", "Rule"]
