"""Spelling heuristics: what a name suggests when the analysis cannot see the object.

Every guess the project makes from how something is *named* lives here, so that it can
be read and questioned in one place. A guess only ever keeps a finding from being
reported (an untyped ``with self._lock:`` counts as some lock held; a function named
``acquire`` may leave its lock held); none is ever the reason for a finding.
"""

from __future__ import annotations

import re

import libcst as cst

from tsafe_lint.analysis.scopes import FunctionInfo, dotted_name

#: Last name parts that say "this is a lock" for objects whose type we cannot see.
_LOCK_WORDS = frozenset({"lock", "rlock", "mutex", "cond", "condition", "cv", "sem", "semaphore"})

#: First words of functions whose job is to take a lock that another function releases
#: (``acquire``, ``_acquireLock``, ``lock_for_update``, ``__enter__``).
_WRAPPER_VERBS = frozenset({"acquire", "lock", "enter", "aenter", "take", "grab"})

#: Words of set-up function names (``_init``, ``setup``): they run before threads start.
_SETUP_WORDS = frozenset({"init", "initialize", "initialise", "setup"})


def looks_like_lock(expr: cst.BaseExpression) -> bool:
    """``with self._lock:`` on an attribute we cannot type (a parameter's, another
    module's): treated as *some* lock held, which only ever suppresses findings."""
    name = dotted_name(expr)
    if name is None:
        return False
    last = name.rsplit(".", 1)[-1]
    words = {w.lower() for w in re.split(r"_+|(?<=[a-z])(?=[A-Z])", last) if w}
    return bool(words & _LOCK_WORDS) or last.lower().endswith("lock")


def lock_verb_in(name: str) -> tuple[str, str] | None:
    """A call we cannot resolve that plainly takes or drops a lock:
    ``handler.lock.acquire`` -> ``("acquire", "handler.lock.*")``; the pattern pairs it
    with the matching ``release``."""
    lowered = name.lower()
    for verb in ("acquire", "release"):
        if verb in lowered:
            return verb, lowered.replace(verb, "*")
    return None


def is_lock_wrapper_name(name: str) -> bool:
    """Is this a function whose job is to acquire (``__enter__``, ``acquire``, ``lock``)?"""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().split("_")
    first = next((word for word in words if word), "")
    return first in _WRAPPER_VERBS


def is_fork_hook(func: FunctionInfo) -> bool:
    """``_at_fork_reinit``, ``_after_fork``, ``_afterfork``: runs in a forked child, which
    has one thread; what it does happens instead of, not besides, the parent's."""
    bare = func.name.lower().replace("_", "")
    return "afterfork" in bare or "atfork" in bare or bare.endswith("reinit")


def looks_like_setup(func: FunctionInfo) -> bool:
    """Construction hooks other than ``__init__`` (``queue.Queue._init``, ``setup``) and
    fork hooks: code that runs before other threads can see what it writes."""
    return func.name.lower().replace("_", "") in _SETUP_WORDS or is_fork_hook(func)


def looks_like_constant(name: str) -> bool:
    """``MAX_SIZE``, ``_AA_SS``: a module constant by convention, which a memo's value may
    read without depending on shared state (``memo.py``)."""
    bare = name.lstrip("_")
    return bare.isupper()


def looks_like_class(name: str) -> bool:
    """``Session``, ``Lock``: calling a capitalised name makes a new object with identity,
    which a memo cache must not hand out twice (``memo.py``: keeps the finding)."""
    return name[:1].isupper()
