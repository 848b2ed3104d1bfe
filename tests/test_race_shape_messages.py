"""The why-trails of the race shapes that span more than one statement's syntax: a
property read in a test, a weak container's copy, a per-call value split across two
methods. Fixtures check where these findings are; this checks what they say."""

from __future__ import annotations

from pathlib import Path

from tests.fixture_format import extend_evidence
from tsafe_lint.config import Config
from tsafe_lint.engine import Linter

SHARED_STATE = Path(__file__).parent / "fixtures" / "shared_state"


def _messages(name: str) -> list[str]:
    """The fixture's messages, with the evidence kinds its header turns on."""
    path = SHARED_STATE / name
    evidence = extend_evidence(path.read_text(encoding="utf-8"))
    linter = Linter(Config(select=["TS"], extend_evidence=evidence))
    return [d.message for d in linter.lint_source(path.read_bytes(), f"shared_state/{name}")]


def test_a_test_through_a_property_names_the_property() -> None:
    (message,) = _messages("property_reads.py")
    assert message.startswith("check-then-act on attribute 'RateLimiter.calls' without a lock")
    assert "this 'while' (which reads it through the property '_timespan')" in message
    assert "'RateLimiter' is a decorator" in message


def test_a_weak_container_copy_says_why_a_copy_is_an_iteration() -> None:
    messages = _messages("weak_container_copies.py")
    assert len(messages) == 2
    for message in messages:
        assert message.startswith(
            "copying attribute 'TraceCache._cache', a 'WeakValueDictionary' whose copy "
            "iterates in Python, while another thread can add or remove keys"
        )
        assert "'TraceCache' is marked '# tsafe: shared'" in message


def test_a_per_call_value_names_both_methods_and_the_evidence() -> None:
    messages = _messages("per_call_state.py")
    assert messages == [
        "per-call value attribute 'SharedTimer._start' is stored on a shared object by "
        "'__enter__' and read back by '__exit__': another thread's '__enter__' can "
        "overwrite it in between; 'SharedTimer' is a decorator: the wrapper its "
        "'__call__' returns runs on every thread that calls the decorated function; "
        "users' threads can run '__enter__' and '__exit__' at the same time",
        "per-call value attribute 'Stopwatch.label' is stored on a shared object by "
        "'start' and read back by 'stop': another thread's 'start' can overwrite it in "
        "between; 'Stopwatch' is marked '# tsafe: shared'; users' threads can run "
        "'start' and 'stop' at the same time",
    ]


def test_a_race_between_two_threads_names_the_other_writer_and_its_thread() -> None:
    (message,) = _messages("two_threads_one_writer_each.py")
    assert message.startswith("check-then-act on attribute 'Arm._error_code' without a lock")
    assert (
        "'_error_code' is also written by 'refresh_codes' (line 21) on another thread "
        "(started as a Thread target at shared_state/two_threads_one_writer_each.py:13, "
        "through '_heartbeat'); '_report' runs on a thread"
    ) in message
