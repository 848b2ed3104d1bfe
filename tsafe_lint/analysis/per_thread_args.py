"""Arguments that differ per thread, and the dicts keyed only by them.

A thread started in a loop is handed values of its own: the connection ``accept()``
returned and its address, the loop's index (``Thread(target=self._handle_client,
args=(sock, address))``); each task of ``pool.map(f, items)`` is handed an item of its
own. Followed into the functions the thread passes them to (every call of which passes
such a value in that place), they name entries no other thread touches. A dict that
every write keys by such a value, or by its identifier (``account.key``, ``dev.label``),
and whose test reads only that entry, is per-thread slots: one thread's check and act on
its entry cannot interleave with another's on the same entry (python-snap7's per-client
upload contexts, poppee's client per mail account). A thread's test and delete of its
entry may also share the dict with the starter's store of the new thread under that key
(``self._handlers[conn] = thread``): a store cannot remove what the thread tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.accesses import shared_key
from tsafe_lint.analysis.events import Access, CheckThenAct
from tsafe_lint.analysis.scopes import FunctionInfo, final_name
from tsafe_lint.analysis.thread_keyed import indexed_by, membership_test
from tsafe_lint.analysis.threads import ThreadStart
from tsafe_lint.analysis.tree import NOT_RUN, contains, names_bound_by, walk

if TYPE_CHECKING:
    from tsafe_lint.analysis.module import ModuleAnalysis

PerThread = dict[FunctionInfo, frozenset[str]]


def per_thread_params(analysis: ModuleAnalysis) -> PerThread:
    """For each function, its parameters that hold a value of the thread running it."""
    found: dict[FunctionInfo, set[str]] = {}
    for start in analysis.thread_starts:
        if start.target is None:
            continue
        if start.how in _ONE_ITEM_EACH:
            mapped = _mapped_parameters(start, analysis)
            if mapped is not None:
                found.setdefault(mapped[0], set()).update(mapped[1])
            continue
        if not start.repeated:
            continue
        values = _handed_values(start)
        if values is None:
            continue
        target = analysis.resolve_function(start.target, start.func)
        if target is None:
            continue
        params = _positional(target)
        for index, value in enumerate(values):
            if (
                index < len(params)
                and isinstance(value, cst.Name)
                and value.value in bound_each_pass(start.call, analysis)
            ):
                found.setdefault(target, set()).add(params[index])
    # a call from code no thread runs (the main thread's, once the tasks are done) hands
    # on no thread's value; only the calls on threads decide (subliminal's providers)
    sites: dict[FunctionInfo, list[tuple[FunctionInfo, cst.Call]]] = {}
    for site in analysis.regions.call_sites:
        call = _as_call(site.call) if site.implicit else site.call
        if isinstance(call, cst.Call):
            sites.setdefault(site.callee, []).append((site.func, call))
    changed = True
    while changed:
        changed = False
        for callee, calls in sites.items():
            if callee in analysis.regions.referenced:
                continue  # also called from where nobody looks (a callback, a target)
            for index, name in enumerate(_positional(callee)):
                if name in found.get(callee, ()):
                    continue
                threaded = [(c, call) for c, call in calls if analysis.reach.runs_on_thread(c)]
                if threaded and all(
                    _passes(caller, call, index, name, found) for caller, call in threaded
                ):
                    found.setdefault(callee, set()).add(name)
                    changed = True
    return {func: frozenset(names) for func, names in found.items()}


#: pool methods that hand each task one item of an iterable as its first argument
_ONE_ITEM_EACH = frozenset({"map", "map_async", "imap", "imap_unordered"})


def _mapped_parameters(
    start: ThreadStart, analysis: ModuleAnalysis
) -> tuple[FunctionInfo, set[str]] | None:
    """The target and the parameters each task of ``pool.map(f, items, ...)`` fills with
    an item of its own: one per iterable, in order, except those that are one value
    repeated (``[url] * n``, ``itertools.repeat(video)``); None when the call is not that
    plain form."""
    if any(arg.keyword is not None or arg.star for arg in start.call.args):
        return None
    iterables = [arg.value for arg in start.call.args[1:]]
    target = None if start.target is None else analysis.resolve_function(start.target, start.func)
    if target is None or not iterables:
        return None
    params = _positional(target)
    own = {
        params[index]
        for index, items in enumerate(iterables)
        if index < len(params) and not _repeats(items)
    }
    return (target, own) if own else None


def _repeats(items: cst.BaseExpression) -> bool:
    """Is ``items`` one value repeated: ``[x] * n``, ``itertools.repeat(x)``?"""
    if isinstance(items, cst.BinaryOperation) and isinstance(items.operator, cst.Multiply):
        return True
    return isinstance(items, cst.Call) and final_name(items.func) == "repeat"


def _as_call(node: cst.CSTNode) -> cst.Call | None:
    """``self[key]`` as the call Python makes of it, ``__getitem__(key)``: the key is its
    first argument (other implicit calls hand on no value of the caller's)."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            return cst.Call(func=node.value, args=[cst.Arg(index.value)])
    return None


def _handed_values(start: ThreadStart) -> list[cst.BaseExpression | None] | None:
    """The positional values a start hands its target: ``args=(sock, address)`` of a
    ``Thread``, the arguments after the function of ``pool.submit(f, queue)``; None
    when unknown (a starred value stands for nothing: the positions after it shift)."""
    if start.how == "submit":
        handed = start.call.args[1:]
        if any(arg.star or arg.keyword is not None for arg in handed):
            return None
        return [arg.value for arg in handed]
    if not isinstance(start.args, (cst.Tuple, cst.List)):
        return None
    values: list[cst.BaseExpression | None] = []
    for element in start.args.elements:
        if isinstance(element, cst.StarredElement):
            break
        values.append(element.value)
    return values


def bound_each_pass(call: cst.Call, analysis: ModuleAnalysis) -> set[str]:
    """The names bound anew on each pass of the loop (or comprehension) nearest around
    ``call``: its target and what its body assigns (``conn, address = sock.accept()``),
    not a value made once before the loop and handed to every thread."""
    node: cst.CSTNode | None = analysis.parent_of(call)
    while node is not None and not isinstance(node, (cst.FunctionDef, cst.Module)):
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            # ``[Thread(args=(i,)) for i in range(n)]``: the element is no child of the
            # ``for`` clause, its sibling
            node = node.for_in
        if isinstance(node, (cst.For, cst.While, cst.CompFor)):
            inner: cst.CSTNode = node if isinstance(node, cst.CompFor) else node.body
            names = set(names_bound_by(node)) if isinstance(node, cst.For) else set()
            if isinstance(node, cst.CompFor):
                names |= {n.value for n in walk(node.target) if isinstance(n, cst.Name)}
            for bound in walk(inner, skip=NOT_RUN):
                names |= names_bound_by(bound)
            return names
        node = analysis.parent_of(node)
    return set()


def _positional(func: FunctionInfo) -> list[str]:
    """The parameters a call fills by position, ``self`` (or ``cls``) left out."""
    node = func.node
    if not isinstance(node, cst.FunctionDef):
        return []
    names = [p.name.value for p in (*node.params.posonly_params, *node.params.params)]
    static = any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
        for d in node.decorators
    )
    if func.cls is not None and not static and names:
        names = names[1:]
    return names


def _passes(
    caller: FunctionInfo,
    call: cst.Call,
    index: int,
    name: str,
    found: dict[FunctionInfo, set[str]],
) -> bool:
    """Does ``call`` pass a per-thread value of ``caller`` as the parameter at ``index``
    (or by its ``name``)?"""
    own = found.get(caller, set())
    positional = [arg for arg in call.args if arg.keyword is None]
    if any(arg.star for arg in call.args):
        return False
    value: cst.BaseExpression | None = None
    if index < len(positional):
        value = positional[index].value
    else:
        value = next(
            (arg.value for arg in call.args if arg.keyword and arg.keyword.value == name), None
        )
    return isinstance(value, cst.Name) and value.value in own


def per_thread_slots(analysis: ModuleAnalysis, item: CheckThenAct, writes: list[Access]) -> bool:
    """Is ``item`` a check and act on a thread's own entry of a dict whose every write
    (outside ``__init__``) is keyed by a per-thread value?"""
    # a check-then-delete cannot be undone by a store (the starter filing its new thread
    # under the thread's key); a check-then-store can: the two stores race
    filed = _deletes(item.write)
    if not analysis.per_thread_params or not _all_keyed([item.write, *writes], analysis, filed):
        return False
    if filed and any(
        _deletes(write) and not analysis.reach.runs_on_thread(write.func) for write in writes
    ):
        return False  # an admin's ``kick(conn)`` can delete the entry between test and act
    own = own_values(analysis, item.func)
    found = False
    for read in _reads_of(item.test_node.test, item, analysis):
        if not _keyed_read(read, own, analysis):
            return False
        found = True
    return found


def per_thread_entry(analysis: ModuleAnalysis, update: Access, writes: list[Access]) -> bool:
    """Is ``update`` a read-modify-write of a thread's own entry (``self.notified[cam] +=
    1`` in a thread started once per camera with ``args=(cam, ...)``) of a dict whose every
    write (outside ``__init__``) is keyed by a per-thread value? No other thread updates
    that entry (alaska3's frame pumps, sixty-second set: judged false)."""
    if not analysis.per_thread_params:
        return False
    node = update.node
    if not isinstance(node, cst.AugAssign) or not isinstance(node.target, cst.Subscript):
        return False
    if not _all_keyed([update, *writes], analysis):
        return False
    starts = [
        start
        for start in analysis.thread_starts
        if start.target is not None
        and analysis.resolve_function(start.target, start.func) is update.func
    ]
    # a container of the starting call's own frame: each call starts its threads over
    # a container of its own, so distinct keys within one call are enough, while no
    # other function's threads write it (two readers started per key share the entry)
    frame = update.key[1] if update.key[0] == "local" else None
    return bool(starts) and all(
        _one_per_key(start, analysis)
        or (
            start.func.qualname == frame
            and all(write.func in (update.func, start.func) for write in writes)
            and _distinct_keys(start, analysis, _key_handed_as(update, start))
        )
        for start in starts
    )


def _one_per_key(start: ThreadStart, analysis: ModuleAnalysis) -> bool:
    """Is ``start`` made only for a value not yet registered: inside ``if cam not in
    self._threads:`` where ``cam`` is one of the values it hands the thread? A loop over
    ``("home", "about", "home")`` hands two threads the same value; a registry of one
    thread per value does not."""
    handed = {value.value for value in _handed_values(start) or [] if isinstance(value, cst.Name)}
    node = analysis.parent_of(start.call)
    while node is not None and node is not start.func.node:
        if isinstance(node, cst.If):
            for part in walk(node.test):
                tested = membership_test(part)
                if (
                    tested is not None
                    and tested[2]
                    and isinstance(tested[0], cst.Name)
                    and tested[0].value in handed
                ):
                    return True
        node = analysis.parent_of(node)
    return False


def _key_handed_as(update: Access, start: ThreadStart) -> str | None:
    """The name ``start`` hands its target for the parameter that keys ``update``
    (``sizes[label] += n`` in ``read(name, label)`` started with ``args=(name, label)``:
    ``label``), or None when that cannot be told."""
    target = update.node.target if isinstance(update.node, cst.AugAssign) else None
    if not isinstance(target, cst.Subscript) or len(target.slice) != 1:
        return None
    index = target.slice[0].slice
    if not isinstance(index, cst.Index) or not isinstance(index.value, cst.Name):
        return None
    params = _positional(update.func)
    handed = _handed_values(start)
    if handed is None or index.value.value not in params:
        return None
    position = params.index(index.value.value)
    value = handed[position] if position < len(handed) else None
    return value.value if isinstance(value, cst.Name) else None


def _distinct_keys(start: ThreadStart, analysis: ModuleAnalysis, key: str | None = None) -> bool:
    """Does each thread of ``start`` get a key no other thread of this call gets: from a
    loop (or comprehension) over ``range(...)``, the index of ``enumerate(...)``, or a
    literal sequence of distinct constants, handed in ``args``; or the item of
    ``pool.map(f, range(n))``? ``key``: the handed name that keys the update, when
    known; then only it counts (a thread handed a distinct name and a shared key shares
    the entry)."""
    if start.how in _ONE_ITEM_EACH:
        iterables = [arg.value for arg in start.call.args[1:2]]
        return bool(iterables) and _counts_up(iterables[0])
    handed = {value.value for value in _handed_values(start) or [] if isinstance(value, cst.Name)}
    if key is not None:
        handed &= {key}
    node = analysis.parent_of(start.call)
    while node is not None and node is not start.func.node:
        loops: list[cst.For | cst.CompFor] = []
        if isinstance(node, cst.For):
            loops = [node]
        elif isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            loops = [node.for_in]
        for loop in loops:
            if _distinct_per_pass(loop, handed) or _over_own_mapping(loop, handed, start, analysis):
                return True
        node = analysis.parent_of(node)
    return False


def _counts_up(items: cst.BaseExpression) -> bool:
    """``range(...)``: each item once."""
    callee = items.func if isinstance(items, cst.Call) else None
    return isinstance(callee, cst.Name) and callee.value == "range"


def _distinct_per_pass(loop: cst.For | cst.CompFor, handed: set[str]) -> bool:
    """Does ``loop`` bind one of the ``handed`` names to a different value on each pass:
    a literal sequence of distinct constants (``for key, pipe in (("stdout",
    p.stdout), ("stderr", p.stderr)):``, esaa-core's pipe drainers, seventy-eighth set),
    ``range(...)``, or the index of ``enumerate(...)`` (``for i, item in
    enumerate(items):``)? Then each thread started in it gets a key no other one gets."""
    target = loop.target
    if _counts_up(loop.iter):
        return isinstance(target, cst.Name) and target.value in handed
    if (
        isinstance(loop.iter, cst.Call)
        and isinstance(loop.iter.func, cst.Name)
        and loop.iter.func.value == "enumerate"
        and isinstance(target, (cst.Tuple, cst.List))
        and target.elements
        and isinstance(target.elements[0].value, cst.Name)
    ):
        return target.elements[0].value.value in handed
    if not isinstance(loop.iter, (cst.Tuple, cst.List)):
        return False
    positions: dict[str, int | None]
    if isinstance(target, cst.Name):
        positions = {target.value: None}
    elif isinstance(target, (cst.Tuple, cst.List)) and not any(
        isinstance(element, cst.StarredElement) for element in target.elements
    ):
        positions = {
            element.value.value: index
            for index, element in enumerate(target.elements)
            if isinstance(element.value, cst.Name)
        }
    else:
        return False
    for name, index in positions.items():
        if name not in handed:
            continue
        values: list[object] = []
        for element in loop.iter.elements:
            item = element.value
            if index is not None:
                if not isinstance(item, (cst.Tuple, cst.List)) or index >= len(item.elements):
                    break
                item = item.elements[index].value
            if not isinstance(item, (cst.SimpleString, cst.Integer)):
                break
            values.append(item.evaluated_value)
        else:
            if len(values) == len(set(values)):
                return True
    return False


def _over_own_mapping(
    loop: cst.For | cst.CompFor, handed: set[str], start: ThreadStart, analysis: ModuleAnalysis
) -> bool:
    """Does ``loop`` walk the keys of a dict or set the starting function binds once to a
    display (``buffers = {"stdout": ..., "stderr": ...}``, then ``for name in buffers``,
    ``.keys()`` or ``for name, buf in buffers.items()``) and hand the key to each thread? A
    dict's keys are distinct: each thread gets one no other thread of the call gets
    (willman's pipe readers, ninety-ninth set: a TS102 judged false)."""
    iterable = loop.iter
    method = None
    if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute):
        if iterable.args:
            return False
        method = iterable.func.attr.value
        iterable = iterable.func.value
    if not isinstance(iterable, cst.Name) or method not in (None, "keys", "items"):
        return False
    target: cst.BaseExpression = loop.target
    if method == "items":
        if not isinstance(target, (cst.Tuple, cst.List)) or len(target.elements) != 2:
            return False
        target = target.elements[0].value
    if not isinstance(target, cst.Name) or target.value not in handed:
        return False
    values = analysis.symbols.plain_assignments(start.func).get(iterable.value)
    if not values or len(values) != 1:
        return False
    if not isinstance(values[0], (cst.Dict, cst.DictComp)) and (
        method == "items" or not isinstance(values[0], (cst.Set, cst.SetComp))
    ):
        return False
    return _only_pass(loop, start, analysis)


def _only_pass(loop: cst.For | cst.CompFor, start: ThreadStart, analysis: ModuleAnalysis) -> bool:
    """Is ``loop`` the only loop around ``start`` in the starting function (none around it,
    none inside it: ``for name in pipes for _ in range(n)``), and ``start`` the only start
    of its target there? A loop around it (a ``while`` that restarts the readers), one
    inside it, or a second start, hands each key to more than one thread."""
    if isinstance(loop, cst.CompFor) and loop.inner_for_in is not None:
        return False
    node = analysis.parent_of(start.call)
    while node is not None and node is not start.func.node:
        if isinstance(node, (cst.For, cst.While, cst.CompFor)) and node is not loop:
            return False
        node = analysis.parent_of(node)
    target = analysis.resolve_function(start.target, start.func) if start.target else None
    if target is None:
        return False
    return [
        other
        for other in analysis.thread_starts
        if other.func is start.func
        and other.target is not None
        and analysis.resolve_function(other.target, other.func) is target
    ] == [start]


def _all_keyed(writes: list[Access], analysis: ModuleAnalysis, filed: bool = False) -> bool:
    """Is every write (outside ``__init__``) keyed by a per-thread value of its function
    (``filed``: or by the key of the thread its starter has just started)?"""
    return all(
        write.func.name == "__init__" or _keyed_write(write, analysis, filed) for write in writes
    )


def _deletes(write: Access) -> bool:
    """Is ``write`` ``del d[key]`` or ``d.pop(key, ...)``?"""
    node = write.node
    if isinstance(node, cst.Del):
        return True
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "pop"
    )


def own_values(analysis: ModuleAnalysis, func: FunctionInfo) -> frozenset[str]:
    """The names that hold a value of the thread running ``func``: its per-thread
    parameters, and an enclosing function's that it does not rebind (a closure's)."""
    names: set[str] = set(analysis.per_thread_params.get(func, ()))
    parent = func.parent
    while parent is not None and not parent.is_module:
        names |= {
            name for name in analysis.per_thread_params.get(parent, ()) if not func.is_local(name)
        }
        parent = parent.parent
    return frozenset(names)


def _keyed_write(write: Access, analysis: ModuleAnalysis, filed: bool = False) -> bool:
    """``d[key] = v``, ``del d[key]``, ``d.pop(key, ...)``, ``d.setdefault(key, v)``
    with ``key`` a per-thread value of the writing function; in a function no thread
    runs (``__delitem__`` called by ``terminate()``), one entry named by a parameter:
    the caller's key, not the whole dict emptied or replaced."""
    node = write.node
    own = own_values(analysis, write.func)
    if not analysis.reach.runs_on_thread(write.func):
        own = frozenset(_positional(write.func))
    if filed:
        if _made_before_starting(write, analysis):
            return True
        own |= _filed_keys(write, analysis)
    is_own = _is_one_of(own)
    if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del)):
        targets = (
            [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        )
        # a chained store (``client = d[key] = make()``) writes the dict once, plus locals
        stores = [t for t in targets if not isinstance(t, cst.Name)]
        if len(stores) != 1:
            return False
        node = stores[0]
    return indexed_by(node, is_own, methods=("pop", "setdefault"), membership=False) is not None


def _filed_keys(write: Access, analysis: ModuleAnalysis) -> frozenset[str]:
    """The names a store may key by because, in this pass of the loop, they hold the value
    the thread started in the same pass was handed: ``conn, address = server.accept()``,
    a thread started with ``args=(conn, address)``, then ``self._handlers[conn] =
    thread`` files the new thread under its own key (ctk-theme-builder's preview
    listener, ninety-ninth set: TS103 x2 judged false). Only stores: a delete there could
    remove the entry while its thread tests it."""
    if not isinstance(write.node, (cst.Assign, cst.AnnAssign)):
        return frozenset()
    loop = _nearest_loop(write.node, analysis)
    if loop is None:
        return frozenset()
    names: set[str] = set()
    for start in analysis.thread_starts:
        if start.func is not write.func or _nearest_loop(start.call, analysis) is not loop:
            continue
        handed = {
            value.value for value in _handed_values(start) or [] if isinstance(value, cst.Name)
        }
        names |= handed & bound_each_pass(start.call, analysis)
    return frozenset(names)


def _made_before_starting(write: Access, analysis: ModuleAnalysis) -> bool:
    """Is ``write`` the starter's ``self._handlers = {}``, a statement of its own at the top
    of the function, before the loop that starts a thread per key and files it there
    (ctk-theme-builder's listener)? It happens before any of those threads runs; a
    starter that several threads run, or that a loop of the module calls again, could
    replace the dict under a running thread (a listener restarted by its users is not
    seen)."""
    func = write.func
    if not isinstance(write.node, cst.Assign) or analysis.reach.many(func):
        return False
    if _called_again(func, analysis):
        return False  # the dict replaced under running threads
    if not isinstance(func.node, cst.FunctionDef) or not isinstance(
        func.node.body, cst.IndentedBlock
    ):
        return False
    top = func.node.body.body
    place = next((i for i, s in enumerate(top) if contains(s, write.node)), None)
    if place is None or not isinstance(top[place], cst.SimpleStatementLine):
        return False
    return any(
        start.func is func
        and start.repeated
        and any(contains(statement, start.call) for statement in top[place + 1 :])
        for start in analysis.thread_starts
    )


def _called_again(func: FunctionInfo, analysis: ModuleAnalysis) -> bool:
    """Is ``func`` called from a loop of the module, directly or through the functions
    that call it (``while True: self._once()`` where ``_once`` calls it)?"""
    callers: dict[FunctionInfo, list[tuple[FunctionInfo, bool]]] = {}
    for site in analysis.regions.call_sites:
        callers.setdefault(site.callee, []).append((site.func, site.state.looping))
    seen = {func}
    todo = [func]
    while todo:
        for caller, looping in callers.get(todo.pop(), ()):
            if looping:
                return True
            if caller not in seen:
                seen.add(caller)
                todo.append(caller)
    return False


def _nearest_loop(node: cst.CSTNode, analysis: ModuleAnalysis) -> cst.For | cst.While | None:
    """The ``for`` or ``while`` statement nearest around ``node`` in its function."""
    parent = analysis.parent_of(node)
    while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Module)):
        if isinstance(parent, (cst.For, cst.While)):
            return parent
        parent = analysis.parent_of(parent)
    return None


def _is_one_of(names: frozenset[str]) -> Callable[[cst.BaseExpression], bool]:
    """A test that an expression is one of these names, or an identifier of one
    (``account.key``, ``dev.label``: distinct values have distinct identifiers)."""

    def test(expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Attribute) and _names_an_identifier(expr.attr.value):
            expr = expr.value
        return isinstance(expr, cst.Name) and expr.value in names

    return test


#: attribute names that identify the object they are read from (not a kind it shares)
_IDENTIFIERS = frozenset(
    {
        "id",
        "key",
        "name",
        "label",
        "uid",
        "uuid",
        "ident",
        "address",
        "addr",
        "host",
        "url",
        "uri",
        "path",
        "email",
        "serial",
        "hostname",
    }
)


def _names_an_identifier(attr: str) -> bool:
    """``id``, ``key``, ``name``, ... or a name ending in ``_id``, ``_key``, ``_name``."""
    return attr in _IDENTIFIERS or attr.endswith(("_id", "_key", "_name"))


def _reads_of(
    test: cst.BaseExpression,
    item: CheckThenAct,
    analysis: ModuleAnalysis,
    seen: frozenset[str] = frozenset(),
) -> Iterator[cst.BaseExpression]:
    """The expressions in ``test`` that denote the dict ``item`` tests, directly or
    through a local the function bound to a read of it (``ctx = d.get(key)``); each
    local is followed once (``n = n + 1`` does not loop)."""
    for node in walk(test, skip=(cst.Lambda,)):
        if not isinstance(node, (cst.Name, cst.Attribute)):
            continue
        if shared_key(node, item.func, analysis.symbols, for_write=False) == item.key:
            yield node
        elif (
            isinstance(node, cst.Name) and node.value not in seen and item.func.is_local(node.value)
        ):
            for value in _bound_values(node.value, item.func):
                yield from _reads_of(value, item, analysis, seen | {node.value})


def _bound_values(name: str, func: FunctionInfo) -> list[cst.BaseExpression]:
    """The values ``name = value`` binds in ``func`` (not in nested functions)."""
    return [
        node.value
        for node in walk(func.node, skip=NOT_RUN)
        if isinstance(node, cst.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0].target, cst.Name)
        and node.targets[0].target.value == name
    ]


def _keyed_read(read: cst.BaseExpression, own: frozenset[str], analysis: ModuleAnalysis) -> bool:
    """Is the dict read as ``key in d``, ``key not in d``, ``d[key]`` or ``d.get(key)``
    with ``key`` one of ``own`` (``indexed_by``, on the read's parent or grandparent)?"""
    is_own = _is_one_of(own)
    parent = analysis.parent_of(read)
    for node in (parent, analysis.parent_of(parent) if parent is not None else None):
        if node is not None and indexed_by(node, is_own, methods=("get",)) is read:
            return True
    return False
