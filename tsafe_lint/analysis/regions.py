"""The lock-region walk: for every statement and call, which locks are held there.

One walk per function, statement by statement, carrying the set of held locks through
``with`` blocks, ``acquire()``/``release()`` pairs (including ``if lock.acquire(...)`` and
``if not lock.acquire(...): return``) and ``try``/``finally``. It records the events the
rules read (``events.py``): method calls on known objects, ``with`` entries, calls into
the module's own functions, early exits while a manually acquired lock is held, writes of
shared state and check-then-act pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import libcst as cst

from tsafe_lint.analysis.accesses import (
    mutation_of,
    per_instance,
    reads_in,
    shared_key,
    writes_of,
)
from tsafe_lint.analysis.acquisitions import is_blocking_acquire
from tsafe_lint.analysis.attribute_classes import through_object
from tsafe_lint.analysis.calls import CallScanner, releases_in, scan
from tsafe_lint.analysis.events import (
    Access,
    AnyCall,
    CallSite,
    CheckThenAct,
    CheckThenUse,
    EarlyExit,
    Held,
    Iteration,
    LoopInfo,
    MethodCall,
    Regions,
    State,
    StatementPlace,
    Take,
    WithEntry,
    WriteKind,
    Yielded,
)
from tsafe_lint.analysis.flag_paths import falsy_literal
from tsafe_lint.analysis.idempotent import is_idempotent_act
from tsafe_lint.analysis.kinds import LOCKLIKE
from tsafe_lint.analysis.names import lock_verb_in, looks_like_lock
from tsafe_lint.analysis.none_tests import NoneTest, none_tests
from tsafe_lint.analysis.scopes import (
    ClassInfo,
    FunctionInfo,
    ModuleStructure,
    block,
    dotted_name,
    final_name,
    is_docstring,
)
from tsafe_lint.analysis.single_pass import leaves_on_first_pass, runs_once
from tsafe_lint.analysis.symbols import SymbolKey, SymbolTable
from tsafe_lint.analysis.thread_keyed import IDENTITY_CALLS, indexed_by, is_identity
from tsafe_lint.analysis.tree import NOT_RUN, children, conjuncts, walk

#: Where ``reads_in`` stops (``accesses.py``), and where the walk for locals and
#: properties does (``tree.walk`` with these skipped, the root always entered).
_NOT_READ_INTO = (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.ConcatenatedString)
_NOT_WALKED_INTO = (cst.Lambda, cst.ConcatenatedString)


@dataclass(frozen=True)
class _Test:
    """An ``if``/``while`` test whose body (or, for ``if <test>: return``, the rest of the
    block) is being walked: the shared keys it reads, and those it checks for ``None``
    or truthiness (``if self.sock:``, ``if x is None: return``)."""

    node: cst.If | cst.While
    keys: frozenset[SymbolKey]
    checked: frozenset[SymbolKey]
    state: State
    early: bool = False
    order: int = 0
    #: keys the test reads only through the current thread's own entry
    #: (``d.get(get_ident())``, ``get_ident() in d``)
    own_entry: frozenset[SymbolKey] = frozenset()
    #: the act the test guards (the ``if``'s body, or what follows ``if <test>: return``),
    #: whether it only stores a constant or a class built in it (``idempotent.py``) being
    #: decided only when a write of a key the test read asks (``RegionWalker._idempotent``)
    act: Sequence[cst.BaseStatement] | None = None
    #: keys the test reads only through a property getter: key -> the property's name
    via_property: tuple[tuple[SymbolKey, str], ...] = ()
    #: keys the test reads only as ``X is None`` / ``X is not None`` (``none_tests.py``)
    none_only: tuple[tuple[SymbolKey, NoneTest], ...] = ()


#: Builtins and functools helpers that iterate their argument calling Python code
#: between items (a plain ``list(d)`` copies in one step and is the usual fix).
_ITERATING_CALLS = {"reduce": 1, "map": 1, "filter": 1, "functools.reduce": 1}
#: Builtins that copy their argument: atomic (in C) for a dict or set, but a Python-level
#: iteration for the weak containers (``weakref.WeakValueDictionary`` and friends).
_COPYING_CALLS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "dict"})


#: Container methods that take an item out: the item is no longer the state.
_TAKING = frozenset({"pop", "popleft", "popitem", "get_nowait"})


def _takes_out(value: cst.BaseExpression) -> bool:
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in _TAKING
    )


def _exits(suite: cst.BaseSuite) -> bool:
    """Does the block always leave (``return``/``raise``/``continue``/``break`` last)?"""
    body = block(suite)
    if not body:
        return False
    last = body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return isinstance(last.body[-1], (cst.Return, cst.Raise, cst.Continue, cst.Break))
    return False


def _checked_operands(test: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The expressions a test checks for truthiness or ``None``: ``x``, ``not x``,
    ``x is None``, ``x is not None``, either side of ``and``/``or``."""
    if isinstance(test, (cst.Name, cst.Attribute)):
        yield test
    elif isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        yield from _checked_operands(test.expression)
    elif isinstance(test, cst.BooleanOperation):
        yield from _checked_operands(test.left)
        yield from _checked_operands(test.right)
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if (
            isinstance(target.operator, (cst.Is, cst.IsNot))
            and isinstance(target.comparator, cst.Name)
            and target.comparator.value == "None"
        ):
            yield test.left


def _breaks(suite: cst.BaseSuite) -> bool:
    """Does a loop body ``break`` out of its own loop?"""
    skip = (cst.For, cst.While, cst.FunctionDef, cst.ClassDef, cst.Lambda)
    return any(isinstance(node, cst.Break) for node in walk(suite, skip))


def _bound_names(small: cst.BaseSmallStatement) -> set[str]:
    """The plain names a simple statement rebinds (``x = ...``, ``x += ...``, ``del x``)."""
    targets: list[cst.CSTNode]
    if isinstance(small, cst.Assign):
        targets = [target.target for target in small.targets]
    elif isinstance(small, (cst.AugAssign, cst.AnnAssign, cst.Del)):
        targets = [small.target]
    else:
        return set()
    names: set[str] = set()
    for target in targets:
        names |= {node.value for node in walk(target) if isinstance(node, cst.Name)}
    return names


def _result_name(small: cst.BaseSmallStatement) -> str | None:
    """``acquired`` of ``acquired = x.acquire(...)``."""
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Name):
            return target.value
    return None


def _tested_name(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """The name an ``if`` tests and whether its body runs when the name is true:
    ``x`` / ``x is True`` / ``x is not False`` / ``x is not None`` -> ``(x, True)``;
    ``not x`` / ``x is False`` / ``x is not True`` / ``x is None`` -> ``(x, False)``.
    An acquire that returns a token or None (a Redis lock's) failed when it is None
    (fuzzmanager's cron task, fortieth set: judged false)."""
    if isinstance(test, cst.Name):
        return test.value, True
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _tested_name(test.expression)
        return None if inner is None else (inner[0], not inner[1])
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.left, cst.Name)
    ):
        operator = test.comparisons[0].operator
        constant = test.comparisons[0].comparator
        if not isinstance(constant, cst.Name) or constant.value not in ("True", "False", "None"):
            return None
        if constant.value != "None" and not isinstance(operator, (cst.Is, cst.IsNot)):
            return None
        if not isinstance(operator, (cst.Is, cst.IsNot, cst.Equal, cst.NotEqual)):
            return None
        truthy = constant.value == "True"
        if isinstance(operator, (cst.IsNot, cst.NotEqual)):
            truthy = not truthy
        return test.left.value, truthy
    return None


def _merge(*states: State | None) -> State | None:
    live = [s for s in states if s is not None]
    if not live:
        return None
    held, manual, tried = live[0].held, live[0].manual, live[0].tried
    given_back, entered = live[0].given_back, live[0].entered
    for state in live[1:]:
        held &= state.held
        manual &= state.manual
        tried &= state.tried
        given_back &= state.given_back
        entered |= state.entered  # not yet given back on some path
    return replace(
        live[0], held=held, manual=manual, tried=tried, given_back=given_back, entered=entered
    )


class RegionWalker:
    """Walks one module's functions and fills a ``Regions``."""

    def __init__(self, structure: ModuleStructure, symbols: SymbolTable) -> None:
        self.structure = structure
        self.symbols = symbols
        self.regions = Regions()
        self._groups: dict[SymbolKey, Held] = self._lock_groups()
        self._tests: list[_Test] = []
        self._derived: dict[str, frozenset[SymbolKey]] = {}  # local -> shared keys it holds
        #: local -> the shared keys it holds other than through a new container or copy
        #: a call was handed (``decision = self._run_hooks({"params": self.params})``:
        #: not ``params``)
        self._decided: dict[str, frozenset[SymbolKey]] = {}
        self._identities: set[str] = set()  # locals holding the current thread's identity
        #: locals holding the current thread's own entry of a shared dict -> that dict
        self._own_entries: dict[str, frozenset[SymbolKey]] = {}
        self._seen_tests: list[_Test] = []  # every test of the function walked so far
        #: locals holding the result of ``x.acquire(...)`` -> the lock it tried to take
        self._acquire_results: dict[str, SymbolKey] = {}
        self._property_reads: dict[FunctionInfo, frozenset[SymbolKey]] = {}
        #: does the module define any property getter (read through in tests)?
        self._properties = any(func.is_property for func in structure.functions)
        self._order = 0
        #: is the act of a test idempotent? by its node, kind and keys: most tests guard
        #: no write of what they read, and are never asked
        self._idempotence: dict[tuple[int, bool, frozenset[SymbolKey]], bool] = {}
        #: the exceptions the enclosing ``try`` statements catch by name, innermost last
        self._caught: list[frozenset[str]] = []
        self.acquire_wrappers: dict[FunctionInfo, SymbolKey] = {}
        self.release_wrappers: dict[FunctionInfo, SymbolKey] = {}
        #: functions that return what one lock's ``acquire(...)`` returns
        self.try_acquire_wrappers: dict[FunctionInfo, SymbolKey] = {}
        #: ``@contextmanager`` functions and the locks held at their ``yield``
        self.locking_managers: dict[FunctionInfo, Held] = {}
        self._held_at_yield: dict[FunctionInfo, list[Held]] = {}
        #: the locks taken by ``acquire()`` and held at each normal exit of a function
        self._manual_at_exit: dict[FunctionInfo, list[Held]] = {}

    def _lock_groups(self) -> dict[SymbolKey, Held]:
        """Keys that name one lock are held together: a Condition and the lock it was built
        on (``not_empty = Condition(mutex)``; two Conditions on one mutex share it), and
        aliases (``self.lock = _lock``)."""
        parent: dict[SymbolKey, SymbolKey] = {}

        def find(key: SymbolKey) -> SymbolKey:
            while parent.get(key, key) != key:
                key = parent[key]
            return key

        for key, info in self.symbols.symbols.items():
            for other in (info.underlying, info.alias_of):
                if other is not None and info.kind in LOCKLIKE:
                    parent[find(key)] = find(other)
        members: dict[SymbolKey, set[SymbolKey]] = {}
        for key in list(parent):
            members.setdefault(find(key), {find(key)}).add(key)
        groups: dict[SymbolKey, Held] = {}
        for group in members.values():
            frozen = frozenset(group)
            for key in group:
                groups[key] = frozen
        return groups

    def group(self, key: SymbolKey) -> Held:
        return self._groups.get(key, frozenset({key}))

    def walk(self) -> Regions:
        """Walk every function; walk again those that call a lock-wrapper function.

        ``def acquire(self): self.lock.acquire()`` makes ``self.acquire()`` take
        ``self.lock`` for its callers; that is only known after a first walk. Only the
        wrappers' callers (and the release-only wrappers, which run with the lock held)
        are walked again: nothing else they record can change.
        """
        for func in self.structure.functions:
            self._start_function()
            out = self._walk_block(func.body(), State(), func)
            if out is not None:
                self._manual_at_exit.setdefault(func, []).append(out.manual)
        self.try_acquire_wrappers = self._try_acquire_wrappers()
        acquire_only, release_only = self._lock_wrappers()
        self.locking_managers = self._locking_managers()
        if (
            not acquire_only
            and not release_only
            and not self.locking_managers
            and not self.try_acquire_wrappers
        ):
            return self.regions
        self.acquire_wrappers, self.release_wrappers = acquire_only, release_only
        wrappers = {
            *acquire_only,
            *release_only,
            *self.locking_managers,
            *self.try_acquire_wrappers,
        }
        again = {site.func for site in self.regions.call_sites if site.callee in wrappers}
        again |= set(release_only)
        self.regions.forget(again)
        for func in self.structure.functions:
            if func in again:
                self._start_function()
                self._walk_block(func.body(), self._initial_state(func), func)
        return self.regions

    def _locking_managers(self) -> dict[FunctionInfo, Held]:
        """``@contextmanager`` functions that hold typed locks at every ``yield``:
        ``with self._locked():`` holds those locks in its body."""
        managers: dict[FunctionInfo, Held] = {}
        for func, helds in self._held_at_yield.items():
            if not func.is_contextmanager:
                continue
            common = frozenset.intersection(*helds)
            typed = frozenset(key for key in common if key[0] != "unknown")
            if typed:
                managers[func] = typed
        return managers

    def _initial_state(self, func: FunctionInfo) -> State:
        """A function that only releases a lock runs, by contract, with it held."""
        key = self.release_wrappers.get(func)
        if key is None:
            return State()
        group = self.group(key)
        return State(held=group, manual=frozenset({key}), entered=group)

    def _try_acquire_wrappers(self) -> dict[FunctionInfo, SymbolKey]:
        """Functions whose every ``return`` gives what one shared lock's ``acquire(...)``
        returns: ``def _acquire(self, deadline): return self._lock.acquire(timeout=...)``.
        ``if not self._acquire(d): return False`` then holds the lock, as the acquire
        itself would (genai-otel-instrument's evaluation queue, seventy-second set)."""
        acquires: dict[FunctionInfo, dict[int, SymbolKey]] = {}
        for call in self.regions.method_calls:
            if call.kind in LOCKLIKE and call.method == "acquire" and call.target[0] != "local":
                acquires.setdefault(call.func, {})[id(call.call)] = call.target
        wrappers: dict[FunctionInfo, SymbolKey] = {}
        for func, calls in acquires.items():
            if func.is_module or func.is_generator or func.is_async:
                continue
            returns = [node for node in walk(func.node, NOT_RUN) if isinstance(node, cst.Return)]
            keys = {calls.get(id(r.value), ("none",)) for r in returns}
            if len(keys) == 1 and ("none",) not in keys:
                wrappers[func] = next(iter(keys))
        return wrappers

    def _lock_wrappers(
        self,
    ) -> tuple[dict[FunctionInfo, SymbolKey], dict[FunctionInfo, SymbolKey]]:
        """Functions that only acquire (or only release) one shared lock, as statements."""
        takes: dict[FunctionInfo, set[SymbolKey]] = {}  # acquire() as a statement
        holds: dict[FunctionInfo, set[SymbolKey]] = {}  # any acquire() or ``with``
        releases: dict[FunctionInfo, set[SymbolKey]] = {}
        for site in self.regions.call_sites:
            if site.callee in self.try_acquire_wrappers:
                holds.setdefault(site.func, set()).add(self.try_acquire_wrappers[site.callee])
        for call in self.regions.method_calls:
            if call.kind not in LOCKLIKE or call.target[0] == "local":
                continue
            if call.method == "acquire":
                holds.setdefault(call.func, set()).add(call.target)
                if call.form == "statement":
                    takes.setdefault(call.func, set()).add(call.target)
            elif (
                call.method == "release"
                and call.form == "statement"
                and not _own_object(call.call, call.func)
            ):
                releases.setdefault(call.func, set()).add(call.target)
        for entry in self.regions.with_entries:
            if entry.target is not None:
                holds.setdefault(entry.func, set()).add(entry.target)
        acquire_only = {
            func: next(iter(keys))
            for func, keys in takes.items()
            if len(keys) == 1 and not releases.get(func) and not func.is_module
        }
        for func, exits in self._manual_at_exit.items():
            # every normal exit holds it: ``while not x.acquire(False): ...`` then return
            kept = {key for key in frozenset.intersection(*exits) if key[0] != "local"}
            if len(kept) != 1 or func in acquire_only or func.is_module:
                continue
            if not releases.get(func) and not func.is_generator:
                acquire_only[func] = next(iter(kept))
        release_only = {
            func: next(iter(keys))
            for func, keys in releases.items()
            if len(keys) == 1 and not holds.get(func) and not func.is_module
        }
        return acquire_only, release_only

    # -- statements --------------------------------------------------------------
    def _walk_block(
        self, statements: Sequence[cst.BaseStatement], state: State, func: FunctionInfo
    ) -> State | None:
        current: State | None = state
        pushed = 0
        try:
            for index in range(len(statements)):
                if current is None:
                    break
                before = current
                statement = statements[index]
                current = self._walk_statement(StatementPlace(statements, index), current, func)
                if (
                    isinstance(statement, cst.If)
                    and statement.orelse is None
                    and _exits(statement.body)
                ):
                    # ``if self._sock is None: return``: the rest of the block runs only
                    # when the test failed, as the body of an ``else`` would.
                    test = self._test_of(statement, before, func, early=True)
                    self._tests.append(replace(test, act=statements[index + 1 :]))
                    pushed += 1
        finally:
            if pushed:
                del self._tests[-pushed:]
        return current

    def _walk_statement(
        self, place: StatementPlace, state: State, func: FunctionInfo
    ) -> State | None:
        statement = place.statement
        if isinstance(statement, cst.SimpleStatementLine):
            return self._walk_simple(statement, place, state, func)
        if isinstance(statement, cst.FunctionDef):
            self._escape_defaults(statement, func)
            return state
        if isinstance(statement, cst.ClassDef):
            for inner in block(statement.body):
                if not isinstance(inner, cst.FunctionDef):
                    self._walk_block([inner], state, func)
            return state
        if isinstance(statement, cst.If):
            return self._walk_if(statement, place, state, func)
        if isinstance(statement, cst.While):
            self.regions.while_loops.append(LoopInfo(func, statement, state, self._tick()))
            events = self._scan_expression(statement.test, place, state, func, "expression")
            self._walk_tested_body(
                statement,
                block(statement.body),
                state,
                replace(state, loop=statement, looping=True),
                func,
            )
            taken = self._taken_when_done(statement, events, func) or self._taken_by_break(
                statement, func
            )
            after = state if taken is None else self._acquire(state, taken)
            if statement.orelse is not None:
                self._walk_block(block(statement.orelse.body), after, func)
            return after
        if isinstance(statement, cst.For):
            self._scan_expression(statement.iter, place, state, func, "expression")
            if not leaves_on_first_pass(statement):
                self._record_iteration(statement.iter, statement, state, func)
            iterated = self.symbols.class_of_receiver(statement.iter, func)
            callee = self.structure.method(iterated, "__iter__") if iterated else None
            if callee is not None:
                site = CallSite(func, callee, statement.iter, state, True)
                self.regions.call_sites.append(site)
            # ``for x in [one]`` runs once, unless a loop around it repeats it
            looping = state.looping or not runs_once(statement.iter, func)
            self._walk_block(block(statement.body), replace(state, looping=looping), func)
            if statement.orelse is not None:
                self._walk_block(block(statement.orelse.body), state, func)
            return state
        if isinstance(statement, cst.With):
            return self._walk_with(statement, place, state, func)
        if isinstance(statement, (cst.Try, cst.TryStar)):
            return self._walk_try(statement, state, func)
        if isinstance(statement, cst.Match):
            self._scan_expression(statement.subject, place, state, func, "expression")
            outs = [self._walk_block(block(case.body), state, func) for case in statement.cases]
            return _merge(state, *outs)
        return state

    def _walk_simple(
        self,
        statement: cst.SimpleStatementLine,
        place: StatementPlace,
        state: State,
        func: FunctionInfo,
    ) -> State | None:
        for small in statement.body:
            if isinstance(small, cst.Expr):
                events = self._scan_expression(small.value, place, state, func, "statement")
            elif isinstance(small, cst.Assign):
                events = self._scan_expression(small, place, state, func, "assign")
            else:
                events = self._scan_expression(small, place, state, func, "expression")
            for write in writes_of(small, func, self.symbols):
                self._record_write(
                    Access(
                        func,
                        write.key,
                        write.kind,
                        write.node,
                        state,
                        self._tick(),
                        write.per_instance,
                    )
                )
            for name in _bound_names(small):
                self._acquire_results.pop(name, None)
            typed = False
            for event in events:
                if event.form not in ("statement", "assign") or event.kind not in LOCKLIKE:
                    continue
                if event.call.func is not _statement_call(small):
                    continue
                typed = True
                if event.method == "acquire":
                    state = self._acquire(state, event.target)
                    result = _result_name(small)
                    if result is not None and func.is_local(result):
                        self._acquire_results[result] = event.target
                elif event.method == "release":
                    state = self._release(state, event.target)
            callee = _statement_call(small)
            if callee is not None and not typed:
                state = self._untyped_lock_call(callee, state, func)
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Yield):
                self._held_at_yield.setdefault(func, []).append(state.held)
                yielded = small.value.value
                if isinstance(yielded, (cst.Name, cst.Attribute)):
                    self.regions.yields.append(Yielded(func, yielded, state.held))
            if isinstance(small, cst.Return):
                self._manual_at_exit.setdefault(func, []).append(state.manual)
                for key in sorted(state.manual - state.protected):
                    self.regions.early_exits.append(EarlyExit(func, small, key))
                return None
            if isinstance(small, (cst.Raise, cst.Break, cst.Continue)):
                return None
        return state

    def _start_function(self) -> None:
        self._derived = {}
        self._decided = {}
        self._identities = set()
        self._own_entries = {}
        self._seen_tests = []
        self._acquire_results = {}

    def _tick(self) -> int:
        self._order += 1
        return self._order

    def _record_write(self, access: Access) -> None:
        self.regions.writes.append(access)
        for index, test in enumerate(self._tests):
            if access.key not in test.keys and access.key not in test.own_entry:
                continue  # the test did not read what this writes
            if self._idempotent(test, access.func):
                if access.key in test.keys:
                    self.regions.settled_writes.add(id(access.node))
                continue  # two threads both store the same constant or equivalent classes
            if access.key in test.own_entry and self._writes_own_entry(access):
                # ``if d.get(get_ident()) is None: d[get_ident()] = make()``: each thread
                # tests and writes only its own entry, which no other thread writes
                continue
            if access.key in test.keys:
                # tested again under more locks: by an enclosing test, or by an earlier
                # one in the same critical section (``if <pred>: break`` / ``return``)
                rechecked = any(
                    access.key in inner.keys and inner.state.held - test.state.held
                    for inner in self._tests[index + 1 :]
                ) or any(
                    seen.order > test.order
                    and access.key in seen.keys
                    and seen.state.held - test.state.held
                    and seen.state.held <= access.state.held
                    for seen in self._seen_tests
                )
                self.regions.check_then_act.append(
                    CheckThenAct(
                        access.func,
                        test.node,
                        access.key,
                        test.state,
                        access,
                        rechecked,
                        test.early,
                        dict(test.via_property).get(access.key),
                        dict(test.none_only).get(access.key),
                    )
                )

    def _idempotent(self, test: _Test, func: FunctionInfo) -> bool:
        """Does the test's act only store a constant or a class built in it?"""
        if test.act is None or not isinstance(test.node, cst.If):
            return False
        key = (id(test.node), test.early, test.keys)  # the body, or the rest of the block
        verdict = self._idempotence.get(key)
        if verdict is None:
            verdict = is_idempotent_act(test.act, test.node.test, test.keys, func, self.symbols)
            self._idempotence[key] = verdict
        return verdict

    def _test_of(
        self, node: cst.If | cst.While, state: State, func: FunctionInfo, early: bool = False
    ) -> _Test:
        # a local bound to what a call returned when handed a new container or a copy
        # made of the state (a hook's decision on a copy of the parameters, a server's
        # reply to a request made with the cursor) is another value, not a read of the
        # state: testing it checks nothing another thread can change
        keys = set(self._reads(node.test, func, decided=True))
        checked: set[SymbolKey] = set()
        for operand in _checked_operands(node.test):
            key = shared_key(operand, func, self.symbols, for_write=False)
            if key is not None:
                checked.add(key)
        for operand in self._owner_checks(node.test):
            # ``if self._owner == get_ident():``: only this thread can make that true or
            # false, so no other thread changes the answer in between
            key = shared_key(operand, func, self.symbols, for_write=False)
            if key is not None:
                keys.discard(key)
        own, other = (
            self._split_own_entry_reads(node.test, func)
            if self._may_read_own_entry(node.test)
            else (set(), set())
        )
        test = _Test(
            node,
            frozenset(keys),
            frozenset(checked),
            state,
            early,
            self._tick(),
            frozenset(own - other),
            via_property=self._via_properties(node.test, func) if self._properties else (),
            none_only=none_tests(
                node.test,
                lambda expr: self._reads(expr, func),
                lambda name: self._derived.get(name, frozenset()),
                lambda expr: shared_key(expr, func, self.symbols, for_write=False),
            ),
        )
        self._seen_tests.append(test)
        return test

    def _owner_checks(self, test: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
        """The operands a test compares with the current thread's identity."""
        if isinstance(test, cst.BooleanOperation):
            yield from self._owner_checks(test.left)
            yield from self._owner_checks(test.right)
        elif isinstance(test, cst.UnaryOperation):
            yield from self._owner_checks(test.expression)
        elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            if not isinstance(target.operator, (cst.Equal, cst.NotEqual, cst.Is, cst.IsNot)):
                return
            if self._is_identity(target.comparator):
                yield test.left
            elif self._is_identity(test.left):
                yield target.comparator

    def _own_entry_of(self, node: cst.CSTNode) -> cst.BaseExpression | None:
        """The dict whose current thread's own entry ``node`` reads: ``d[get_ident()]``,
        ``d.get(me)`` (``me`` a local holding the identity), ``current_thread() in d``."""
        return indexed_by(node, self._is_identity, methods=("get",))

    def _may_read_own_entry(self, expr: cst.BaseExpression) -> bool:
        """Can ``expr`` read the current thread's own entry at all (an identity call, or
        a local holding an identity or an own entry)? Most tests cannot: the split
        below, a second walk with reads, is then skipped."""
        for node in walk(expr, skip=(cst.Lambda, cst.ConcatenatedString)):
            if isinstance(node, cst.Name) and (
                node.value in IDENTITY_CALLS
                or node.value in self._identities
                or node.value in self._own_entries
            ):
                return True
            if isinstance(node, cst.Attribute) and node.attr.value in IDENTITY_CALLS:
                return True
        return False

    def _split_own_entry_reads(
        self, expr: cst.BaseExpression, func: FunctionInfo
    ) -> tuple[set[SymbolKey], set[SymbolKey]]:
        """The shared keys ``expr`` reads through the current thread's own entry, and
        those it reads any other way."""
        own: set[SymbolKey] = set()
        other: set[SymbolKey] = set()
        stack: list[cst.CSTNode] = [expr]
        while stack:
            node = stack.pop()
            receiver = self._own_entry_of(node)
            key = shared_key(receiver, func, self.symbols, for_write=False) if receiver else None
            if key is not None:
                own.add(key)
                if isinstance(node, cst.Call):
                    stack.extend(arg.value for arg in node.args[1:])
            elif isinstance(node, cst.Name) and node.value in self._own_entries:
                own |= self._own_entries[node.value]
            elif isinstance(node, (cst.Name, cst.Attribute)):
                other.update(self._reads(node, func))
            elif not isinstance(
                node, (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.ConcatenatedString)
            ):
                stack.extend(children(node))
        return own, other

    def _writes_own_entry(self, access: Access) -> bool:
        """``d[get_ident()] = v``, ``del d[me]``, ``d.setdefault(me, v)``: a write of the
        current thread's own entry of ``d`` only."""
        node = access.node
        func = access.func
        if isinstance(node, cst.Call):
            return (
                isinstance(node.func, cst.Attribute)
                and node.func.attr.value == "setdefault"
                and bool(node.args)
                and self._is_identity(node.args[0].value)
            )
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [target.target for target in node.targets]
        elif isinstance(node, cst.Del):
            targets = [node.target]
        return bool(targets) and all(
            isinstance(target, cst.Subscript)
            and (receiver := self._own_entry_of(target)) is not None
            and shared_key(receiver, func, self.symbols, for_write=False) == access.key
            for target in targets
        )

    def _is_identity(self, expr: cst.BaseExpression) -> bool:
        return is_identity(expr, self._identities)

    def _reads(
        self,
        expr: cst.CSTNode,
        func: FunctionInfo,
        decided: bool = False,
        opaque_calls: bool = False,
    ) -> set[SymbolKey]:
        """Shared keys ``expr`` reads: directly (``reads_in``), through a local that holds
        one (``inst = self._d.get(k)``), or through a property of the class
        (``self._span``). One walk for all three: every node but those inside lambdas
        and implicit concatenations is looked at for locals and properties, and the
        nodes ``reads_in`` would visit (``direct``) for direct reads. ``decided``: the
        locals' keys other than through what a call was handed (``_decided``);
        ``opaque_calls``: not through a new container or a copy handed to a call other
        than a builtin's or a copy (``_new_value``) either."""
        if not self._derived and not self._properties:
            return set(reads_in(expr, func, self.symbols))
        derived = self._decided if decided else self._derived
        found: set[SymbolKey] = set()
        stack: list[tuple[cst.CSTNode, bool]] = [(expr, True)]
        while stack:
            node, direct = stack.pop()
            follow: cst.CSTNode | None = None  # the one child reads_in follows, if any
            if isinstance(node, cst.Name):
                found |= derived.get(node.value, frozenset())
                if direct and (key := shared_key(node, func, self.symbols, for_write=False)):
                    found.add(key)
                direct = False
            elif isinstance(node, cst.Attribute):
                owner = self.symbols.class_of_receiver(node.value, func)
                prop = self.structure.method(owner, node.attr.value) if owner else None
                if prop is not None and prop.is_property:
                    found |= self._reads_of_property(prop)
                if direct:
                    key = shared_key(node, func, self.symbols, for_write=False)
                    if key is not None:
                        found.add(key)
                    else:
                        follow = node.value
                direct = False
            elif isinstance(node, cst.Arg):
                follow, direct = (node.value if direct else None), False
            elif isinstance(node, _NOT_READ_INTO):
                direct = False
            if node is not expr and isinstance(node, _NOT_WALKED_INTO):
                continue
            if opaque_calls and isinstance(node, cst.Call) and not _passes_values_on(node):
                # what a call returns when handed a new container or a copy made of the
                # state is the call's own value; handed the state itself (``lookup(
                # self.cache, key)``), it may return a part of it
                kept = [
                    arg
                    for arg in node.args
                    if not _new_value(
                        arg.value,
                        lambda e: shared_key(e, func, self.symbols, for_write=False) is not None,
                    )
                ]
                stack.append((node.func, direct or node.func is follow))
                stack.extend((arg, direct or arg is follow) for arg in kept)
                continue
            stack.extend((child, direct or child is follow) for child in children(node))
        return found

    def _via_properties(
        self, expr: cst.BaseExpression, func: FunctionInfo
    ) -> tuple[tuple[SymbolKey, str], ...]:
        """The keys ``expr`` reads only through a property getter, with its name (for
        the message: ``self._timespan`` reads ``self.calls``)."""
        direct = set(reads_in(expr, func, self.symbols))
        found: dict[SymbolKey, str] = {}
        for node in walk(expr, skip=_NOT_WALKED_INTO):
            if not isinstance(node, cst.Attribute):
                continue
            owner = self.symbols.class_of_receiver(node.value, func)
            prop = self.structure.method(owner, node.attr.value) if owner else None
            if prop is not None and prop.is_property:
                for key in self._reads_of_property(prop):
                    if key not in direct:
                        found.setdefault(key, prop.name)
        return tuple(found.items())

    def _reads_of_property(self, prop: FunctionInfo) -> frozenset[SymbolKey]:
        known = self._property_reads.get(prop)
        if known is None:
            self._property_reads[prop] = frozenset()  # recursion guard
            # the getter's body: ``reads_in`` does not enter a ``def`` (not even the root)
            body = prop.node.body if isinstance(prop.node, cst.FunctionDef) else prop.node
            known = frozenset(reads_in(body, prop, self.symbols))
            self._property_reads[prop] = known
        return known

    def _record_iteration(
        self,
        iterable: cst.BaseExpression,
        node: cst.CSTNode,
        state: State,
        func: FunctionInfo,
        copy: bool = False,
    ) -> None:
        """``for x in <iterable>`` over shared state (``d``, ``d.values()``, ``d.items()``);
        ``copy``: a builtin's copy of it (``list(d.values())``)."""
        if (
            isinstance(iterable, cst.Call)
            and isinstance(iterable.func, cst.Attribute)
            and iterable.func.attr.value in ("values", "keys", "items")
            and not iterable.args
        ):
            iterable = iterable.func.value
        key = shared_key(iterable, func, self.symbols, for_write=False)
        if key is not None:
            self.regions.iterations.append(Iteration(func, key, node, state, self._tick(), copy))

    def _walk_tested_body(
        self,
        test_node: cst.If | cst.While,
        body: Sequence[cst.BaseStatement],
        test_state: State,
        body_state: State,
        func: FunctionInfo,
    ) -> State | None:
        """Walk the body of an ``if``/``while``, remembering what its test read."""
        test = self._test_of(test_node, test_state, func)
        if isinstance(test_node, cst.If):
            test = replace(test, act=body)
        self._tests.append(test)
        try:
            return self._walk_block(body, body_state, func)
        finally:
            self._tests.pop()

    def _untyped_lock_call(
        self, callee: cst.BaseExpression, state: State, func: FunctionInfo
    ) -> State:
        """Lock wrappers of the module, and locks we cannot type, as statements.

        ``self.acquire()`` that wraps ``self.lock.acquire()`` takes ``self.lock``. A call
        we cannot resolve but that plainly takes a lock (``handler.lock.acquire()``,
        ``logging._acquireLock()``) holds an *unknown* lock: it never causes a finding,
        it only keeps the shared-state rules from reporting code that is locked.
        """
        target = self.resolve_function(callee, func)
        if target is not None:
            if target in self.acquire_wrappers:
                return self._acquire(state, self.acquire_wrappers[target])
            if target in self.release_wrappers:
                return self._release(state, self.release_wrappers[target])
            return state
        name = dotted_name(callee)
        if name is None:
            return state
        guessed = lock_verb_in(name)
        if guessed is None:
            return state
        verb, lock = guessed
        if verb == "acquire":
            return replace(state, held=state.held | {("unknown", lock)})
        return replace(state, held=state.held - {("unknown", lock)})

    def _taken_when_done(
        self, loop: cst.While, events: list[MethodCall], func: FunctionInfo
    ) -> SymbolKey | None:
        """The lock a ``while`` loop leaves holding: ``while not x.acquire(False): sleep()``.

        The loop has no ``break``, so it ends only when its test is false; the test is an
        ``and`` of ``not x.acquire(...)`` and operands that are never false (``not f()``
        of a module function whose every ``return`` gives a falsy constant: it returns
        false or raises). So it ends only when the acquire succeeded.
        """
        if _breaks(loop.body):
            return None
        taken: SymbolKey | None = None
        for operand in conjuncts(loop.test):
            if not isinstance(operand, cst.UnaryOperation) or not isinstance(
                operand.operator, cst.Not
            ):
                return None
            inner = operand.expression
            acquire = next((e for e in events if e.call is inner and e.method == "acquire"), None)
            if acquire is not None and acquire.kind in LOCKLIKE and taken is None:
                taken = acquire.target
            elif not self._always_falsy(inner, func):
                return None
        return taken

    def _taken_by_break(self, loop: cst.While, func: FunctionInfo) -> SymbolKey | None:
        """The lock a ``while True:`` loop leaves holding when its every ``break`` stands
        in the body of ``if x.acquire(...):`` (vocalinux's reconfigure, which polls
        ``if self._model_lock.acquire(timeout=0.1): break`` so that a cancel is seen:
        sixty-seventh set). A ``break`` anywhere else leaves it unknown."""
        test = loop.test
        if not (isinstance(test, cst.Name) and test.value == "True") or loop.orelse is not None:
            return None
        skip = (cst.For, cst.While, cst.FunctionDef, cst.ClassDef, cst.Lambda)
        taken: SymbolKey | None = None
        guarded: set[int] = set()
        for node in walk(loop.body, skip):
            if not isinstance(node, cst.If):
                continue
            call = node.test
            if not (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "acquire"
            ):
                continue
            breaks = [
                small
                for line in block(node.body)
                if isinstance(line, cst.SimpleStatementLine)
                for small in line.body
                if isinstance(small, cst.Break)
            ]
            if not breaks:
                continue
            key = self.symbols.key_of(call.func.value, func)
            if key is None or self.symbols.kind_of(call.func.value, func) not in LOCKLIKE:
                return None
            if taken is not None and key != taken:
                return None
            taken = key
            guarded.update(id(b) for b in breaks)
        every = [node for node in walk(loop.body, skip) if isinstance(node, cst.Break)]
        if taken is None or not every or any(id(b) not in guarded for b in every):
            return None
        return taken

    def _always_falsy(self, expr: cst.BaseExpression, func: FunctionInfo) -> bool:
        """Is ``expr`` a call of a module function whose every ``return`` gives a falsy
        constant (it returns false or raises)?"""
        if not isinstance(expr, cst.Call):
            return False
        callee = self.resolve_function(expr.func, func)
        if callee is None or callee.is_generator or callee.is_async:
            return False
        if callee.cls is not None and self.structure.overrides(callee.cls, callee.name):
            return False
        returns = [node for node in walk(callee.node, NOT_RUN) if isinstance(node, cst.Return)]
        return all(r.value is None or falsy_literal(r.value) is not None for r in returns)

    def _acquire(self, state: State, key: SymbolKey) -> State:
        group = self.group(key)
        return replace(
            state,
            held=state.held | group,
            manual=state.manual | {key},
            given_back=state.given_back - group,
            entered=state.entered - group,
        )

    def _release(self, state: State, key: SymbolKey) -> State:
        group = self.group(key)
        given_back = state.given_back
        if not state.held & group or group & state.entered:
            given_back = given_back | group  # held on entry, not taken here
        return replace(
            state,
            held=state.held - group,
            manual=state.manual - {key},
            given_back=given_back,
            entered=state.entered - group,
        )

    def _walk_if(
        self, statement: cst.If, place: StatementPlace, state: State, func: FunctionInfo
    ) -> State | None:
        test = statement.test
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        inner = test.expression if isinstance(test, cst.UnaryOperation) and negated else test
        form = "if-not" if negated else "if"
        events = self._scan_expression(test, place, state, func, "expression")
        body_state, else_state = state, state
        # ``if ready and lock.acquire(False):``: the body runs only when it was taken
        taking = {id(inner)} | ({id(c) for c in conjuncts(inner)} if not negated else set())
        for event in events:
            if id(event.call) in taking and event.method == "acquire" and event.kind in LOCKLIKE:
                event.form = form
                taken = self._acquire(state, event.target)
                if not is_blocking_acquire(event.call):
                    taken = replace(taken, tried=taken.tried | self.group(event.target))
                if negated:
                    else_state = taken
                else:
                    body_state = taken
        for candidate in (inner, *(conjuncts(inner) if not negated else ())):
            wrapped = self._try_acquire_call(candidate, func)
            if wrapped is None:
                continue
            taken = self._acquire(state, wrapped)
            taken = replace(taken, tried=taken.tried | self.group(wrapped))
            if negated:
                else_state = taken
            else:
                body_state = taken
        tested = _tested_name(test)
        if tested is not None and tested[0] in self._acquire_results:
            # ``if not acquired: return``: on the path where the acquire failed, nothing
            # is held
            failed = self._release(state, self._acquire_results[tested[0]])
            if tested[1]:
                else_state = failed
            else:
                body_state = failed
        body_out = self._walk_tested_body(statement, block(statement.body), state, body_state, func)
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            else_out = self._walk_statement(StatementPlace([orelse], 0), else_state, func)
        elif isinstance(orelse, cst.Else):
            else_out = self._walk_block(block(orelse.body), else_state, func)
        else:
            else_out = else_state
        return _merge(body_out, else_out)

    def _try_acquire_call(self, expr: cst.BaseExpression, func: FunctionInfo) -> SymbolKey | None:
        """The lock ``expr`` tries to take, if it calls a try-acquire wrapper."""
        if not isinstance(expr, cst.Call) or not self.try_acquire_wrappers:
            return None
        target = self.resolve_function(expr.func, func)
        return self.try_acquire_wrappers.get(target) if target is not None else None

    def _walk_with(
        self, statement: cst.With, place: StatementPlace, state: State, func: FunctionInfo
    ) -> State | None:
        inner = state
        for item in statement.items:
            self._scan_expression(item.item, place, inner, func, "expression")
            key = self.symbols.key_of(item.item, func)
            info = self.symbols.symbols.get(key) if key is not None else None
            kind = info.kind if info is not None else self.symbols.kind_of(item.item, func)
            self.regions.with_entries.append(WithEntry(func, statement, item, key, kind, inner))
            own_class = info.instance_of if info is not None else None
            if (
                own_class is None
                and isinstance(item.item, cst.Name)
                and item.item.value == func.self_name
            ):
                own_class = func.cls  # ``with self:`` runs the class's own ``__enter__``
            taken: SymbolKey | None = None
            if own_class is not None:
                # ``with self._lock:`` on an object of the module's own class runs its
                # ``__enter__`` (a lock wrapper takes its locks there)
                enter = self.structure.method(own_class, "__enter__")
                if enter is not None:
                    site = CallSite(func, enter, item.item, inner, True)
                    self.regions.call_sites.append(site)
                    taken = self._entered_lock(own_class, enter)
            manager = (
                self.resolve_function(item.item.func, func)
                if isinstance(item.item, cst.Call)
                else None
            )
            if manager is not None and manager in self.locking_managers:
                inner = replace(inner, held=inner.held | self.locking_managers[manager])
            elif taken is not None:
                inner = replace(inner, held=inner.held | self.group(taken))
            elif key is not None and kind in LOCKLIKE:
                inner = replace(inner, held=inner.held | self.group(key))
            elif kind is None and (untyped := self._untyped_lock(item.item, func)) is not None:
                inner = replace(inner, held=inner.held | {("unknown", untyped)})
        out = self._walk_block(block(statement.body), inner, func)
        if out is None:
            return None
        added = inner.held - state.held
        return replace(out, held=out.held - added)

    def entered_lock(self, cls: ClassInfo) -> Held:
        """What ``with obj:`` holds for an object of ``cls`` whose ``__enter__`` and
        ``__exit__`` wrap one lock (and the Conditions built on it); empty otherwise."""
        enter = self.structure.method(cls, "__enter__")
        taken = self._entered_lock(cls, enter) if enter is not None else None
        return self.group(taken) if taken is not None else frozenset()

    def _entered_lock(self, cls: ClassInfo, enter: FunctionInfo) -> SymbolKey | None:
        """The lock a class's ``__enter__`` takes and its ``__exit__`` gives back (both
        lock wrappers of one lock): ``with obj:`` holds it in its body."""
        leave = self.structure.method(cls, "__exit__")
        if leave is None:
            return None
        taken = self.acquire_wrappers.get(enter)
        if taken is not None and self.release_wrappers.get(leave) == taken:
            return taken
        delegated = self._delegated_to(enter, "__enter__")
        if delegated is not None and delegated == self._delegated_to(leave, "__exit__"):
            return delegated
        return None

    def _delegated_to(self, method: FunctionInfo, dunder: str) -> SymbolKey | None:
        """The lock whose own ``__enter__`` (``__exit__``) is all that ``method`` runs:
        ``return self._lock.__enter__()`` (pythreader's primitives, twenty-first set)."""
        if not isinstance(method.node, cst.FunctionDef):
            return None
        statements = [s for s in block(method.node.body) if not is_docstring(s)]
        if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine):
            return None
        small = statements[0].body[0] if len(statements[0].body) == 1 else None
        value = small.value if isinstance(small, (cst.Return, cst.Expr)) else None
        if not (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == dunder
        ):
            return None
        key = self.symbols.key_of(value.func.value, method)
        if key is None or self.symbols.kind_of(value.func.value, method) not in LOCKLIKE:
            return None
        return key

    def _untyped_lock(self, expr: cst.BaseExpression, func: FunctionInfo) -> str | None:
        """The name of *some* lock ``with expr:`` holds when nothing types it, which only
        ever suppresses findings: ``with self._lock:`` on an attribute we cannot type (a
        parameter's, another module's); ``with self._locks[key]:`` on a defaultdict of
        locks (the same for every key as far as guarding goes, never for deadlocks);
        ``with _get_split_lock(self):``, a function named for a lock that hands one out
        (made lazily, looked up: every call of it names the same lock)."""
        if looks_like_lock(expr):
            return dotted_name(expr) or ""
        if isinstance(expr, cst.Subscript):
            info = self.symbols.info(expr.value, func)
            if info is not None and info.value_kind in LOCKLIKE:
                return f"{dotted_name(expr.value)}[]"
        if isinstance(expr, cst.Call) and looks_like_lock(expr.func):
            return f"{dotted_name(expr.func)}()"
        return None

    def _walk_try(
        self, statement: cst.Try | cst.TryStar, state: State, func: FunctionInfo
    ) -> State | None:
        final = statement.finalbody.body if statement.finalbody is not None else None
        released: set[SymbolKey] = set()
        for call in releases_in(final):
            assert isinstance(call.func, cst.Attribute)
            key = self.symbols.key_of(call.func.value, func)
            if key is not None:
                released.add(key)
        guarded = replace(state, protected=state.protected | released)
        self._caught.append(caught_names(statement))
        try:
            body_out = self._walk_block(block(statement.body), guarded, func)
        finally:
            self._caught.pop()
        handler_outs = [
            self._walk_block(block(handler.body), guarded, func) for handler in statement.handlers
        ]
        for handler in statement.handlers:
            if _interrupt_only(handler):
                self.regions.interrupt_only.update(id(node) for node in walk(handler.body))
        if statement.orelse is not None and body_out is not None:
            body_out = self._walk_block(block(statement.orelse.body), body_out, func)
        out = _merge(body_out, *handler_outs)
        if final is None:
            return None if out is None else replace(out, protected=state.protected)
        final_in = replace(out or state, protected=state.protected)
        final_out = self._walk_block(block(final), final_in, func)
        return None if out is None else final_out

    # -- expressions -------------------------------------------------------------
    def _scan_expression(
        self,
        node: cst.CSTNode,
        place: StatementPlace,
        state: State,
        func: FunctionInfo,
        form: str,
    ) -> list[MethodCall]:
        scanner = scan(node)
        events: list[MethodCall] = []
        self._record_shapes(scanner, node, state, func)
        for call in scanner.calls:
            self.regions.calls.append(
                AnyCall(
                    func,
                    call,
                    self.structure.qualified_name(call.func, func),
                    state,
                    place,
                    call in scanner.in_comprehension,
                    self._tick(),
                )
            )
            mutated = mutation_of(call, func, self.symbols, call in scanner.dotted)
            if mutated is not None:
                assert isinstance(call.func, cst.Attribute)
                self._record_write(
                    Access(
                        func,
                        mutated,
                        WriteKind.MUTATE,
                        call,
                        state,
                        self._tick(),
                        per_instance(call.func.value, func, self.symbols),
                    )
                )
            callee = self.resolve_function(call.func, func)
            if callee is not None:
                through = (
                    through_object(self.symbols, call.func.value, func)
                    if isinstance(call.func, cst.Attribute)
                    else None
                )
                self.regions.call_sites.append(
                    CallSite(func, callee, call, state, False, *(through or (None, None)))
                )
                if callee.cls is not None and self._dispatches(call.func, func):
                    for override in self.structure.overrides(callee.cls, callee.name):
                        self.regions.call_sites.append(CallSite(func, override, call, state))
            if isinstance(call.func, cst.Attribute):
                key = self.symbols.key_of(call.func.value, func)
                info = self.symbols.symbols.get(key) if key is not None else None
                if key is not None and info is not None and info.kind is not None:
                    event = MethodCall(
                        func,
                        call,
                        key,
                        info.kind,
                        call.func.attr.value,
                        state,
                        place,
                        form if _is_root_call(node, call) else "expression",
                    )
                    events.append(event)
                    self.regions.method_calls.append(event)
        for implicit, receiver, method in self._implicit_calls(scanner, node, func):
            cls = self.symbols.class_of_receiver(receiver, func)
            callee = self.structure.method(cls, method) if cls is not None else None
            if callee is not None and (
                callee.is_property or not isinstance(implicit, cst.Attribute)
            ):
                through = through_object(self.symbols, receiver, func)
                self.regions.call_sites.append(
                    CallSite(func, callee, implicit, state, True, *(through or (None, None)))
                )
        for reference in scanner.references:
            target = self.resolve_function(reference, func)
            if target is not None:
                self.regions.referenced.add(target)
        for name in scanner.escapes:
            if name is node:
                continue  # ``with lock:`` / ``if lock:``: a use, not a hand-over
            key = self.symbols.key_of(name, func)
            if key is not None and key[0] == "local" and key in self.symbols.symbols:
                self.regions.escaped.add(key)
        return events

    def _escape_defaults(self, node: cst.FunctionDef, func: FunctionInfo) -> None:
        """``def finished(f, lock=completion_lock):`` evaluates the default here and hands
        the object to the nested function, which other threads may run (intelligent-
        futures' done callbacks, sixty-third set: a TS204 judged false): it escapes."""
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is None:
                continue
            for name in walk(param.default):
                if not isinstance(name, cst.Name):
                    continue
                key = self.symbols.key_of(name, func)
                if key is not None and key[0] == "local" and key in self.symbols.symbols:
                    self.regions.escaped.add(key)

    def _record_shapes(
        self, scanner: CallScanner, node: cst.CSTNode, state: State, func: FunctionInfo
    ) -> None:
        """The race shapes an expression takes part in: iterations, takes (reads as a
        value), uses of a checked attribute, and locals that hold shared state."""
        for iterable in scanner.iterated:
            self._record_iteration(iterable, iterable, state, func)
        for call in scanner.calls:
            qualified = self.structure.qualified_name(call.func, func)
            name = call.func.value if isinstance(call.func, cst.Name) else qualified
            position = _ITERATING_CALLS.get(name or "")
            if position is not None and len(call.args) > position:
                self._record_iteration(call.args[position].value, call, state, func)
            if name in _COPYING_CALLS and len(call.args) == 1 and not call.args[0].star:
                self._record_iteration(call.args[0].value, call, state, func, copy=True)
            elif (
                isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "copy"
                and not call.args
            ):
                self._record_iteration(call.func.value, call, state, func, copy=True)
            for arg in call.args:
                self._record_take(arg.value, call, state, func)
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            self._record_take(node.value, node, state, func)
            if isinstance(target, cst.Name) and func.is_local(target.value):
                if self._is_identity(node.value):
                    self._identities.add(target.value)
                else:
                    self._identities.discard(target.value)
                receiver = self._own_entry_of(node.value)
                own = (
                    shared_key(receiver, func, self.symbols, for_write=False)
                    if receiver is not None
                    else None
                )
                if own is not None:
                    self._own_entries[target.value] = frozenset({own})
                else:
                    self._own_entries.pop(target.value, None)
                if _takes_out(node.value):
                    # ``conn = self._keep.popleft()``: an item taken out, not the state
                    self._derived.pop(target.value, None)
                    self._decided.pop(target.value, None)
                else:
                    self._derived[target.value] = frozenset(self._reads(node.value, func))
                    self._decided[target.value] = frozenset(
                        self._reads(node.value, func, decided=True, opaque_calls=True)
                    )
        checked = {key for test in self._tests for key in test.checked}
        if not checked:
            return
        positional = {id(sub.value) for sub in scanner.subscripts if _by_position(sub)}
        for reference in scanner.references:
            if not isinstance(reference, cst.Attribute):
                continue
            by_position = id(reference) in positional
            if reference not in scanner.dotted and not by_position:
                continue
            key = shared_key(reference, func, self.symbols, for_write=False)
            if key is None or key not in checked:
                continue
            test = next(t for t in reversed(self._tests) if key in t.checked)
            caught = frozenset().union(*self._caught)
            self.regions.check_then_use.append(
                CheckThenUse(
                    func,
                    test.node,
                    key,
                    reference,
                    state,
                    test.state,
                    self._tick(),
                    caught,
                    test.order,
                    by_position,
                )
            )

    def _record_take(
        self, value: cst.BaseExpression, node: cst.CSTNode, state: State, func: FunctionInfo
    ) -> None:
        if isinstance(value, (cst.Name, cst.Attribute)):
            key = shared_key(value, func, self.symbols, for_write=False)
            if key is not None:
                self.regions.takes.append(Take(func, key, node, state, self._tick()))

    def _implicit_calls(
        self, scanner: CallScanner, node: cst.CSTNode, func: FunctionInfo
    ) -> list[tuple[cst.BaseExpression, cst.BaseExpression, str]]:
        """The dunder methods and property getters an expression makes Python call:
        ``(the expression, the object whose method runs, the method name)``; an attribute
        read (``self.prop``) calls the getter when ``prop`` is a property."""
        stored: set[cst.CSTNode] = set()
        deleted: set[cst.CSTNode] = set()
        if isinstance(node, cst.Assign):
            stored = {target.target for target in node.targets}
        elif isinstance(node, cst.AugAssign):
            stored = {node.target}
        elif isinstance(node, cst.Del):
            deleted = {node.target}
        found: list[tuple[cst.BaseExpression, cst.BaseExpression, str]] = []
        for subscript in scanner.subscripts:
            if subscript in deleted:
                found.append((subscript, subscript.value, "__delitem__"))
                continue
            if subscript in stored:
                found.append((subscript, subscript.value, "__setitem__"))
            if subscript not in stored or isinstance(node, cst.AugAssign):
                found.append((subscript, subscript.value, "__getitem__"))
        found += [(test, item, "__contains__") for test, item in scanner.membership]
        for call in scanner.calls:
            builtin = call.func.value if isinstance(call.func, cst.Name) else None
            if builtin in _BUILTIN_DUNDERS and len(call.args) == 1 and not func.is_local(builtin):
                found.append((call, call.args[0].value, _BUILTIN_DUNDERS[builtin]))
        for reference in scanner.references:
            if isinstance(reference, cst.Attribute) and reference not in stored:
                found.append((reference, reference.value, reference.attr.value))
        return found

    def _dispatches(self, callee: cst.BaseExpression, func: FunctionInfo) -> bool:
        """``self.m()`` may run a subclass's override; ``Base.m(self)`` may not."""
        if not isinstance(callee, cst.Attribute):
            return False
        receiver = callee.value
        return not (
            isinstance(receiver, cst.Name)
            and self.structure.class_named(receiver.value, func) is not None
        )

    def resolve_function(self, expr: cst.BaseExpression, func: FunctionInfo) -> FunctionInfo | None:
        """The module function or method ``expr`` names, seen from ``func``."""
        if isinstance(expr, cst.Name):
            name = expr.value
            current: FunctionInfo | None = func
            while current is not None:
                prefix = "" if current.is_module else current.qualname + ".<locals>."
                candidate = self.structure.function_named(prefix + name)
                if candidate is not None and candidate.cls is None:
                    return candidate
                if not current.is_module and current.is_local(name):
                    return None
                current = current.parent
            cls = self.structure.class_named(name, func)
            if cls is not None:
                return self.structure.method(cls, "__init__")
            return None
        if isinstance(expr, cst.Attribute):
            owner = self.symbols.class_of_receiver(expr.value, func)
            if owner is not None and expr.attr.value not in owner.instance_names:
                return self.structure.method(owner, expr.attr.value)
        return None


def _own_object(call: cst.Call, func: FunctionInfo) -> bool:
    """Is ``call`` (``worker._lock.release()``) on an object ``func`` got itself, in a
    local it assigns (popped, constructed)? Its caller cannot hold that lock."""
    lock = call.func.value if isinstance(call.func, cst.Attribute) else None
    if not isinstance(lock, cst.Attribute):
        return False  # ``lock.release()`` of a local may be an alias of a shared lock
    receiver: cst.BaseExpression = lock.value
    while isinstance(receiver, cst.Attribute):
        receiver = receiver.value
    return (
        isinstance(receiver, cst.Name)
        and receiver.value in func.assigned
        and receiver.value not in func.params
        and receiver.value != func.self_name
    )


def _statement_call(small: cst.BaseSmallStatement) -> cst.BaseExpression | None:
    """The callee of the call a small statement consists of (``x.acquire()``, ``r = x()``)."""
    value: cst.BaseExpression | None = None
    if isinstance(small, (cst.Expr, cst.Assign)):
        value = small.value
    return value.func if isinstance(value, cst.Call) else None


def _is_root_call(node: cst.CSTNode, call: cst.Call) -> bool:
    """Is ``call`` the whole scanned expression (or the value of the scanned assignment)?"""
    return call is node or (isinstance(node, cst.Assign) and call is node.value)


#: Builtins that call one dunder method of their argument.
_BUILTIN_DUNDERS = {"len": "__len__", "iter": "__iter__", "next": "__next__"}


def _interrupt_only(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """``except KeyboardInterrupt:`` (or a tuple of nothing else): only the main thread
    ever gets there."""
    kind = handler.type
    types = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return all(
        isinstance(item, (cst.Name, cst.Attribute)) and final_name(item) == "KeyboardInterrupt"
        for item in types
    )


def caught_names(statement: cst.Try | cst.TryStar) -> frozenset[str]:
    """The exception classes the handlers of ``statement`` name (``except
    (AttributeError, OSError):`` -> both; ``except socket.error:`` -> ``error``). A
    bare ``except:`` is ``BaseException``; a broad handler (``Exception``,
    ``BaseException``, bare) that raises again is left out: it passes the error on."""
    names: set[str] = set()
    for handler in statement.handlers:
        kind = handler.type
        if kind is None or (
            isinstance(kind, cst.Name) and kind.value in ("Exception", "BaseException")
        ):
            if not any(isinstance(node, cst.Raise) for node in walk(handler.body)):
                names.add("BaseException" if kind is None else kind.value)
            continue
        types = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
        for item in types:
            if isinstance(item, cst.Name):
                names.add(item.value)
            elif isinstance(item, cst.Attribute):
                names.add(item.attr.value)
    return frozenset(names)


def in_try_catching(
    node: cst.CSTNode, name: str, parent_of: Callable[[cst.CSTNode], cst.CSTNode | None]
) -> bool:
    """Is ``node`` in the body of a ``try`` of its function whose handlers name the
    exception class ``name`` (``caught_names``)?"""
    current: cst.CSTNode | None = node
    while current is not None and not isinstance(current, (cst.FunctionDef, cst.Module)):
        parent = parent_of(current)
        if isinstance(parent, cst.Try) and current is parent.body and name in caught_names(parent):
            return True
        current = parent
    return False


def _by_position(subscript: cst.Subscript) -> bool:
    """``x[0]``, ``x[-1]``: an item taken by its position, which raises ``IndexError``
    once another thread has emptied ``x``."""
    if len(subscript.slice) != 1 or not isinstance(subscript.slice[0].slice, cst.Index):
        return False
    index = subscript.slice[0].slice.value
    if isinstance(index, cst.UnaryOperation) and isinstance(index.operator, cst.Minus):
        index = index.expression
    return isinstance(index, cst.Integer)


#: Calls whose result is the value they were handed, or a plain function of it: a local
#: bound to one still holds the state (``n = len(self._items)``, ``snapshot =
#: list(self._d)``).
_PASSING_ON = frozenset(
    {"len", "list", "tuple", "dict", "set", "frozenset", "sorted", "reversed", "min", "max",
     "sum", "any", "all", "bool", "int", "float", "str", "repr", "abs", "round", "iter",
     "next", "enumerate", "zip", "getattr", "copy", "deepcopy"}
)  # fmt: skip


def _new_value(value: cst.BaseExpression, is_state: Callable[[cst.BaseExpression], bool]) -> bool:
    """Is ``value`` a new object made of the state, not the state: a display none of whose
    elements is the state itself (``{"params": deepcopy(self.params)}``, ``params={"since":
    cursor}``; not ``[self.primary, self.fallback]``), a comprehension, a copy
    (``deepcopy(x)``, ``x.copy()``), or a choice between such values (``{...} if cursor
    else {}``)?"""
    if isinstance(value, cst.IfExp):
        return _new_value(value.body, is_state) and _new_value(value.orelse, is_state)
    if isinstance(value, (cst.DictComp, cst.ListComp, cst.SetComp)):
        return True
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        return all(
            not is_state(element.value)
            and (not _is_display(element.value) or _new_value(element.value, is_state))
            for element in value.elements
        )
    if isinstance(value, cst.Dict):
        return all(
            isinstance(element, cst.DictElement)
            and not is_state(element.value)
            and (not _is_display(element.value) or _new_value(element.value, is_state))
            for element in value.elements
        )
    if isinstance(value, cst.Call):
        callee = value.func
        name = callee.attr.value if isinstance(callee, cst.Attribute) else final_name(callee)
        return name in ("copy", "deepcopy")
    return False


def _is_display(value: cst.BaseExpression) -> bool:
    return isinstance(value, (cst.List, cst.Tuple, cst.Set, cst.Dict))


def _passes_values_on(call: cst.Call) -> bool:
    """Is ``call`` a builtin or a copy (``_PASSING_ON``, ``copy.deepcopy(x)``) whose
    result is its argument's value?"""
    callee = call.func
    if isinstance(callee, cst.Name):
        return callee.value in _PASSING_ON
    return isinstance(callee, cst.Attribute) and callee.attr.value in ("copy", "deepcopy")
