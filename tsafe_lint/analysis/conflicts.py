"""Can two accesses of the same state run on two threads at once? The answer, with the
evidence in words for the message (``'_buf' is written by '_run' on the thread started
at client.py:212; 'close' is called by users``).

Each kind of evidence is documented in ``evidence.py``; this module only combines them:
thread starts that reach both functions (``reachability.py``), the two sides of a class
that starts its own thread, a thread-safety contract, a lock the class owns, and
process-wide state written under a lock. Accesses that hold a common lock never race.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.events import Access, Held, State
from tsafe_lint.analysis.evidence import is_public
from tsafe_lint.analysis.kinds import MUTEXES
from tsafe_lint.analysis.loop_flag_gate import gated_off, loop_flag, lowered_then_joined
from tsafe_lint.analysis.reachability import Entry, other_thread
from tsafe_lint.analysis.scopes import FunctionInfo
from tsafe_lint.analysis.symbols import SymbolKey, display_name

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis


def guards(analysis: ModuleAnalysis, func: FunctionInfo, state: State) -> Held:
    """The locks that guard data at a point (mutexes and locks we cannot type). A lock
    local to the function guards nothing (each call makes its own); one of a function
    it is nested in is the closure's, shared by every call of it (vocalinux's
    ``session_lock``, sixty-seventh set)."""
    return frozenset(
        key
        for key in analysis.held_at(func, state)
        if key[0] == "unknown"
        or ((key[0] != "local" or key[1] != func.qualname) and analysis.kind(key) in MUTEXES)
    )


def attribute_name(key: SymbolKey) -> str:
    return f"'{key[-1]}'" if key[0] == "attr" else f"'{display_name(key)}'"


class Conflicts:
    """Answers "which other access of this state can run at the same time, and why"."""

    def __init__(self, analysis: ModuleAnalysis, lock_owned: bool = False) -> None:
        self.analysis = analysis
        self.evidence = analysis.thread_evidence
        #: "the class owns a lock and writes this state under it" as evidence on its
        #: own: off by default (a lock that guards other state of the object, as in
        #: tests/fixtures/precision/ts104_known/fp_same_thread_counter.py, is the
        #: prototype's one-in-ten pattern)
        self.lock_owned = lock_owned

    def _lock_owned(
        self, key: SymbolKey, family: set[str], func: FunctionInfo, other: Access
    ) -> str | None:
        name = attribute_name(key)
        for qualname in sorted(family):
            lock = self.evidence.lock_owned.get(qualname)
            if lock is None:
                continue
            witness = self._locked_writer(key)
            if witness is not None:
                return (
                    f"'{qualname}' owns the lock '{display_name(lock)}' and writes "
                    f"{name} under a lock at line {self.analysis.line_of(witness.node)}; "
                    f"{_callers(func, other.func)}"
                )
        return None

    def _where(self, entry_node: object, origin: str) -> str:
        if entry_node is not None:
            return f"{self.analysis.path}:{self.analysis.line_of(entry_node)}"  # type: ignore[arg-type]
        return origin

    def _through(self, entry: Entry, func: FunctionInfo) -> str:
        """`` (through 'reader' -> '_try_match' -> 'bytes')``: how the thread's target
        reaches ``func``, when it is not the target itself."""
        chain = self.analysis.call_chain(entry.root, func)
        if len(chain) < 2:
            return ""
        return " (through " + " -> ".join(f"'{step.name}'" for step in chain[:-1]) + ")"

    def thread_write_reason(self, access: Access) -> str:
        """Why the write ``access`` (in thread code) races: its function runs on several
        threads, or code on another thread writes the same state too; then that writer,
        its line and its thread are named, so that a reader can check them."""
        reason = self.analysis.thread_reason(access.func)
        sharing = self.analysis.sharing
        entries = sharing.relevant(
            self.analysis.reach.entries.get(access.func, []), access.key, access.per_instance
        )
        if any(entry.many for entry in entries):
            return reason
        found = sharing.racing_writer(access.key, access.func, access.per_instance, access.order)
        if found is None:
            return reason
        other, entry = found
        chain = self.analysis.call_chain(entry.root, other.func)
        through = (
            ", through " + " -> ".join(f"'{step.name}'" for step in chain[:-1])
            if len(chain) > 1
            else ""
        )
        return (
            f"{attribute_name(access.key)} is also written by '{other.func.name}' (line "
            f"{self.analysis.line_of(other.node)}) on another thread ({entry.verb} at "
            f"{self._where(entry.node, entry.origin)}{through}); {reason}"
        )

    def _while_stopped(self, entry: Entry, write: Access, owner: str) -> bool:
        """Is ``write`` made only while the loop flag of ``entry``'s thread is down,
        with every stop of the class lowering it and then joining the thread
        (``loop_flag_gate.py``)?"""
        flag = loop_flag(entry.root)
        if flag is None or not gated_off(write.node, write.func, flag):
            return False
        cls = self.evidence.structure.classes.get(owner)
        family = self.evidence.family(cls) if cls is not None else {owner}
        reach = self.analysis.reach
        thread_side = {
            func
            for func, entries in reach.entries.items()
            if any(other.root is entry.root for other in entries)
        }
        methods = [
            func
            for func in self.evidence.structure.functions
            if func.cls is not None
            and func.cls.qualname in family
            and func not in thread_side
            and func not in self.evidence.setup  # ``__init__``: before any thread
        ]
        return lowered_then_joined(flag, methods)

    def _their_side(
        self, entry: Entry, which: str, func: FunctionInfo | None = None, owner: str = ""
    ) -> str:
        if self.evidence.stays_with(entry):
            return f"{which}started that thread and runs alongside it"
        through = self._users_way(func, owner) if func is not None else ""
        return f"{which}is called by users{through}" if not which else f"called by users{through}"

    def _users_way(self, func: FunctionInfo, owner: str) -> str:
        """`` through 'start' -> '_finish'``: how users reach a private method, from the
        nearest public method of the class's family on the callers' side."""
        if is_public(func):
            return ""
        evidence = self.evidence
        best: list[FunctionInfo] = []
        for public in sorted(evidence.users_side(owner, alongside=True), key=lambda f: f.qualname):
            if public is func or not is_public(public) or public.cls is None:
                continue
            chain = self.analysis.call_chain(public, func)
            if chain and (not best or len(chain) < len(best)):
                best = chain
        if not best:
            return ""
        return " through " + " -> ".join(f"'{step.name}'" for step in best[:-1])

    def concurrent(
        self,
        key: SymbolKey,
        func: FunctionInfo,
        other: Access,
        per_instance: bool,
        order: int | None = None,
        any_pair: bool = False,
        own_thread: bool = False,
    ) -> str | None:
        """Why ``func`` (at ``order`` in its walk, when known) and the write ``other`` can
        run on two threads at once, or None. ``own_thread``: use the own-thread evidence
        even when ``extend-evidence`` does not turn it on (a rule whose findings measured
        precise with it)."""
        evidence = self.evidence
        if not (self._may_run_freely(func) and self._may_run_freely(other.func)):
            return None
        if evidence.serialised(func, other.func):
            return None  # both under the lock a library base class takes (Handler.emit)
        if evidence.on_main_thread(func, other.func):
            return None  # both call signal.signal(): the main thread's code only
        name = attribute_name(key)
        sharing = self.analysis.sharing
        reach = self.analysis.reach
        if sharing.is_tracked(key):
            apart = sharing.exclusive(key) if per_instance else None
            mine_e = sharing.relevant(reach.entries.get(func, []), key, per_instance)
            theirs_e = sharing.relevant(reach.entries.get(other.func, []), key, per_instance)
            if mine_e and theirs_e:
                if other.func is func and any(entry.many for entry in mine_e):
                    return self.analysis.thread_reason(func)
                if any(entry.many for entry in mine_e) or other_thread(
                    theirs_e, mine_e, apart=apart
                ):
                    return (
                        f"{name} is also written by '{other.func.name}' on another thread; "
                        f"{self.analysis.thread_reason(func)}"
                    )
                if any_pair and other_thread(theirs_e, mine_e, any_pair=True, apart=apart):
                    return (
                        f"{name} is also written by '{other.func.name}' on one of the threads "
                        f"that run '{func.name}', while another runs it; "
                        f"{self.analysis.thread_reason(func)}"
                    )
        owner = evidence.owner_of(key)
        own_thread = own_thread or "own-thread" in self.analysis.extra_evidence
        if per_instance and owner is not None:
            mine = evidence.own_thread(func, owner) if own_thread else None
            theirs = evidence.own_thread(other.func, owner) if own_thread else None
            # an access after its function joined a thread: the class's own thread is over
            joined = evidence.after_join(func, order) or evidence.after_join(
                other.func, other.order
            )
            if (
                mine is not None
                and not joined
                and evidence.opposite(mine, other.func, owner)
                and not self._while_stopped(mine, other, owner)
            ):
                return (
                    f"{name} is written by '{other.func.name}', "
                    f"{self._their_side(mine, 'which ', other.func, owner)}, while '{func.name}' "
                    "runs on the thread "
                    f"started at {self._where(mine.node, mine.origin)}{self._through(mine, func)}"
                )
            if theirs is not None and not joined and evidence.opposite(theirs, func, owner):
                return (
                    f"{name} is written by '{other.func.name}' on the thread started at "
                    f"{self._where(theirs.node, theirs.origin)}"
                    f"{self._through(theirs, other.func)}; '{func.name}' "
                    f"{self._their_side(theirs, '', func, owner)}"
                )
            if func in evidence.users_side(owner) and other.func in evidence.users_side(owner):
                cls = evidence.structure.classes.get(owner)
                family = evidence.family(cls) if cls is not None else {owner}
                why = evidence.contract_covering(family, func, other.func)
                if why is not None:
                    return f"{why}; {_callers(func, other.func)}"
                for qualname in sorted(family):
                    why = evidence.contract.get(qualname)
                    if why is None:
                        continue
                    if qualname in evidence.decorating:  # only what its wrapper runs
                        wrapped = evidence.wrapper_side(qualname)
                        if func not in wrapped or other.func not in wrapped:
                            continue
                    return f"{why}; {_callers(func, other.func)}"
                if self.lock_owned:
                    why = self._lock_owned(key, family, func, other)
                    if why is not None:
                        return why
        if (
            not per_instance
            and key[0] in ("global", "attr")
            and "process-wide" in self.analysis.extra_evidence
        ):
            witness = self._locked_writer(key)
            if witness is not None and not evidence.is_confined(witness.func):
                return (
                    f"{name} is process-wide state, written under a lock at line "
                    f"{self.analysis.line_of(witness.node)}"
                )
        return None

    def thread_keyed(
        self, key: SymbolKey, func: FunctionInfo, state: State, writes: Iterable[Access]
    ) -> str | None:
        """Why one of ``writes`` (key-changing writes of a container) can run on another
        thread while ``func`` reads the container: the container is keyed by the current
        thread's identity, so each thread adds and removes its own entries."""
        witness = self.analysis.thread_keyed.witness(key)
        if witness is None or not self._may_run_freely(func):
            return None
        mine = guards(self.analysis, func, state)
        for write in writes:
            if write.func in self.analysis.setup_functions or not self._may_run_freely(write.func):
                continue
            if mine & guards(self.analysis, write.func, write.state):
                continue
            return (
                f"{attribute_name(key)} is keyed by the current thread's identity (line "
                f"{self.analysis.line_of(witness)}), so every thread adds and removes its own "
                f"entries: '{write.func.name}' changes its keys on several threads"
            )
        return None

    def _may_run_freely(self, func: FunctionInfo) -> bool:
        """Not confined to one thread, not one of several platform-specific definitions
        (never both at once), not a coroutine (one event loop's thread)."""
        return not (self.evidence.is_confined(func) or func.variant or func.is_async)

    def _locked_writer(self, key: SymbolKey) -> Access | None:
        for access in self.analysis.regions.writes:
            if access.key != key or access.func in self.analysis.setup_functions:
                continue
            held = guards(self.analysis, access.func, access.state)
            # a lock of this module or class: not a guess, not another module's lock
            if any(key[0] in ("global", "attr") for key in held):
                return access
        return None

    def first(
        self,
        key: SymbolKey,
        func: FunctionInfo,
        state: State,
        per_instance: bool,
        writes: Iterable[Access],
        order: int | None = None,
        any_pair: bool = False,
        own_thread: bool = False,
    ) -> str | None:
        """The first of ``writes`` that can run at the same time as ``func`` at ``state``
        (no common lock held; ``order``: where in ``func``, when known), explained.
        ``any_pair``: see ``reachability.other_thread`` (iteration during mutation);
        ``own_thread``: see ``concurrent``."""
        if self.analysis.under_construction(key, func):
            return None  # the object is still being built: nobody else holds it yet
        mine = guards(self.analysis, func, state)
        for write in writes:
            if write.func in self.analysis.setup_functions:
                continue
            if _flag_store(write) and not (any_pair and _item_store(write)):
                continue  # (a new key stored during an iteration changes its size)
            first_start = self.analysis.first_thread_start.get(write.func)
            if first_start is not None and write.order < first_start:
                continue  # made before its function starts the thread: nothing races yet
            if write.func in self.analysis.before_thread_starts:
                continue  # made by a helper its caller runs before starting the thread
            if order is not None and self.analysis.starts_later(func, order, write.func):
                continue  # ``func`` is here before it starts the thread that writes
            if mine & guards(self.analysis, write.func, write.state):
                continue
            why = self.concurrent(key, func, write, per_instance, order, any_pair, own_thread)
            if why is not None:
                return why
        return None


def _flag_store(write: Access) -> bool:
    """``self._stop = True``: a one-way flag whose last writer wins harmlessly."""
    return stored_constant(write) in ("True", "False")


def _item_store(write: Access) -> bool:
    """``seen[key] = True``: a store into a container, not a flag of its own."""
    node = write.node
    return isinstance(node, cst.Assign) and any(
        isinstance(target.target, cst.Subscript) for target in node.targets
    )


def stored_constant(write: Access) -> str | None:
    """``"True"``, ``"False"`` or ``"None"`` for ``x = True`` (``x: bool = True``), else
    None."""
    node = write.node
    if (
        isinstance(node, (cst.Assign, cst.AnnAssign))
        and isinstance(node.value, cst.Name)
        and node.value.value in ("True", "False", "None")
    ):
        return node.value.value
    return None


def _callers(func: FunctionInfo, other: FunctionInfo) -> str:
    if func is other:
        return f"users' threads can run '{func.name}' at the same time"
    return f"users' threads can run '{func.name}' and '{other.name}' at the same time"
