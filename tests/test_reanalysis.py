"""A re-analysis with the project's context (phase 2) in the process that made the first,
context-free analysis starts from that analysis's region walk when the context adds no
imported lock kinds (``pipeline._walk``): its findings and summary must be exactly those
of an analysis that starts afresh."""

from __future__ import annotations

from typing import Any

import pytest

from tsafe_lint import pipeline
from tsafe_lint.project_context import EMPTY_CONTEXT, ExternalEntry, ProjectContext

SOURCE = b"""import threading
from shared import guard

counter = 0
items = []


def work():
    global counter
    counter += 1


def add(x):
    with guard:
        if x not in items:
            items.append(x)


class Worker:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}

    def run(self, key):
        self.lock.acquire()
        self.seen[key] = int(key)
        self.lock.release()
        self.seen.pop(key)
"""

ENTRIES = (
    ExternalEntry("work", "submitted to a thread pool", "main.py:3", True),
    ExternalEntry("add", "submitted to a thread pool", "main.py:4", True),
    ExternalEntry("Worker.run", "started as a thread", "main.py:5", True),
)
THREADS_ONLY = ProjectContext((), ENTRIES)
WITH_A_LOCK = ProjectContext((("shared.guard", "Lock"),), ENTRIES)


def _analyse(context: ProjectContext) -> dict[str, Any]:
    return pipeline.analyse_source(SOURCE, "pkg/mod.py", "pkg.mod", context, noqa=False).as_json()


def _fresh(context: ProjectContext) -> dict[str, Any]:
    pipeline._parse.cache_clear()
    pipeline._walk.cache_clear()
    return _analyse(context)


@pytest.mark.parametrize("context", [THREADS_ONLY, WITH_A_LOCK], ids=["threads", "lock kinds"])
def test_a_reanalysis_after_the_first_analysis_is_a_fresh_one(context: ProjectContext) -> None:
    expected = _fresh(context)
    _fresh(EMPTY_CONTEXT)  # phase 1 in this process: its walk is remembered
    assert _analyse(context) == expected


def test_the_context_changes_the_findings_the_reused_walk_gives() -> None:
    alone = _fresh(EMPTY_CONTEXT)
    reanalysed = _analyse(THREADS_ONLY)
    assert pipeline._walk.cache_info().hits == 1  # the walk of the first analysis
    assert [d["code"] for d in alone["diagnostics"]] == ["TS201"]
    assert [d["code"] for d in reanalysed["diagnostics"]] == ["TS102", "TS103", "TS201"]


def test_imported_lock_kinds_are_walked_again() -> None:
    _fresh(EMPTY_CONTEXT)
    with_lock = _analyse(WITH_A_LOCK)
    assert pipeline._walk.cache_info().hits == 0
    # 'guard' is a lock now: the check-then-act under it is no finding
    assert "TS103" not in {d["code"] for d in with_lock["diagnostics"]}
