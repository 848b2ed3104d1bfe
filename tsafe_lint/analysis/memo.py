"""Memo caches: a check-then-act whose act computes a plain value from the function's
arguments and stores it under the key made of them.

``mask = _masks.get(key); if mask is None: mask = render(w, h); _masks[key] = mask`` with
``key = (w, h)``: two threads that miss together both compute the value for the same
arguments and the later store replaces an equal one. Reviewers judge that harmless (work
done twice, nothing lost) as long as the value is plain data: the act builds it in
locals (calls on those locals fill it), stores it once into the entry the test read,
and has no other effect on shared state. It is not harmless when the value has identity
that callers rely on, so these stay reported:

- a value made by calling a parameter (``clazz()``), a class (a capitalised name:
  ``Session()``, ``threading.Lock()``, the module's own classes), or one of the
  module's functions that returns such a call: two threads get two objects, one of
  them lost or leaked (a per-key lock made twice guards nothing);
- an empty container stored unfilled (``d[k] = []``), which callers fill later: their
  updates to the loser are lost;
- a key that is not made of the function's parameters (``d["current"]``, a counter):
  a registry of objects, not a memo of a function's result;
- a value that reads other shared state or a caller's object (``len(d)``,
  ``conn.recv()``) or none of the key's ingredients (``get_ident()``): racing threads
  store different values;
- a cache that other code of the module (of the class, for ``self._cache``) also
  stores into: the act may overwrite another writer's value;
- a local bound in the act and read after it (``created = True``), other calls than
  on the act's own locals, or a second shared write.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import libcst as cst

from tsafe_lint.analysis.accesses import MUTATING_METHODS, mutation_of, writes_of
from tsafe_lint.analysis.log_aliases import is_log_method
from tsafe_lint.analysis.names import looks_like_class, looks_like_constant
from tsafe_lint.analysis.scopes import FunctionInfo, block
from tsafe_lint.analysis.symbols import SymbolTable
from tsafe_lint.analysis.thread_keyed import membership_test
from tsafe_lint.analysis.tree import NOT_RUN, names_bound_by, walk

_BUILTINS = frozenset(dir(builtins))

_EMPTY_MAKERS = frozenset({"dict", "list", "set", "bytearray", "deque", "OrderedDict"})


def is_memo_act(
    act: Sequence[cst.BaseStatement],
    test: cst.BaseExpression,
    func: FunctionInfo,
    symbols: SymbolTable,
) -> bool:
    """Is ``act`` the miss branch of a memo cache keyed by the function's arguments?
    (See the module docstring.)"""
    entry = _entry_read(test, func)  # cheap, and it rules out most tests
    if entry is None:
        return False
    receiver, key = entry
    store = only_shared_store(act, func, symbols)
    if store is None:
        return False
    if len(store.targets) != 1 or not _is_entry(store.targets[0].target, receiver, key):
        return False
    ingredients = _key_ingredients(key, func)
    if not ingredients:
        return False
    made_here = bound_names(act)
    if not all(_plain_step(statement, made_here) for statement in act):
        return False
    if not _reads_only(act, store, ingredients, func):
        return False
    if read_outside(made_here - _names_of(store.value) - set(func.params), act, func):
        return False  # ``created = True`` carries the miss out of the act
    if _stored_elsewhere(receiver, store, func):
        return False
    if isinstance(store.value, cst.Name) and _changed_after(store.value.value, act, func):
        return False  # ``state["next"] += 1`` after the act: filled in place later
    if _guarded(act) and not _filled_display(store.value, act):
        return False  # ``try: client = boto3.client(...)``: a made object, not data
    return _plain_value(store.value, act, func)


def is_fetched_memo_act(
    act: Sequence[cst.BaseStatement],
    test: cst.BaseExpression,
    func: FunctionInfo,
    symbols: SymbolTable,
) -> bool:
    """Is ``act`` the miss branch of a lookup memo whose value is immutable text or
    numbers, fetched any way at all? ``if name in _cache: return _cache[name]``, then
    ask a service (any calls), ``value = reply.strip().lower()``, ``_cache[name] =
    value``, ``return value``: the function returns the entry on a hit and what it
    stores on a miss, keyed by its arguments, and the one shared write stores a string
    or a number (a literal, an f-string, ``str``/``int``/``float``/``bool``/``len``, a
    string method, arithmetic of those). Threads that miss together both fetch, and
    each returns and stores an answer with no identity: reviewers judge that harmless
    (envio-ai's package-name lookups, seventy-fourth set: false). Still reported: a value
    that is an object (a client, a session, a list filled later), a cache other code
    also stores into or whose contents the value is computed from (``d[k] = len(d)``),
    a function that does not return the entry on a hit (a dedup guard whose act is the
    point: ``if cmd in done: return`` then run it), and a local that carries the miss
    out of the act."""
    entry = _entry_read(test, func)
    if entry is None:
        return False
    receiver, key = entry
    store = only_shared_store(act, func, symbols)
    if store is None or len(store.targets) != 1:
        return False
    if not _is_entry(store.targets[0].target, receiver, key) or not _key_ingredients(key, func):
        return False
    if _reads_cache(act, store, receiver):
        return False
    if not (_immutable(store.value, act, 0) or _only_imported(store.value, act, func)):
        return False
    if _leaves(act) and not _returns(act, store.value):
        return False  # ``if k not in c: c[k] = v`` then ``return c[k]``: no return inside
    if not _returns_entry(receiver, key, test, act, func):
        return False
    made_here = bound_names(act) - func.declared_global
    if read_outside(made_here - _names_of(store.value) - set(func.params), act, func):
        return False
    return not _stored_elsewhere(receiver, store, func)


#: Builtins whose result is a number, a string or a bool.
_IMMUTABLE_MAKERS = frozenset(
    {"str", "int", "float", "bool", "len", "round", "abs", "repr", "hash"}
)
#: String methods, whose result is a string.
_STRING_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "casefold", "replace", "format", "join",
     "title", "capitalize", "removeprefix", "removesuffix"}
)  # fmt: skip


def _immutable(value: cst.BaseExpression, act: Sequence[cst.BaseStatement], depth: int) -> bool:
    """Is ``value`` a string, a number, a bool or None (see ``is_fetched_memo_act``)?
    A local counts when every binding of it in the act is one."""
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return True
    if isinstance(value, (cst.Integer, cst.Float)):
        return True
    if isinstance(value, cst.Name):
        if value.value in ("None", "True", "False"):
            return True
        if depth > 2:
            return False
        bound = [
            node.value
            for statement in act
            for node in walk(statement)
            if isinstance(node, cst.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and node.targets[0].target.value == value.value
        ]
        return bool(bound) and all(_immutable(each, act, depth + 1) for each in bound)
    if isinstance(value, cst.Call):
        callee = value.func
        if isinstance(callee, cst.Name):
            return callee.value in _IMMUTABLE_MAKERS
        return isinstance(callee, cst.Attribute) and callee.attr.value in _STRING_METHODS
    if isinstance(value, cst.BinaryOperation):
        return _immutable(value.left, act, depth) and _immutable(value.right, act, depth)
    if isinstance(value, cst.UnaryOperation):
        return _immutable(value.expression, act, depth)
    return isinstance(value, cst.Comparison)  # a bool


#: Calls an act that imports its value may make besides the import: reads of strings and
#: of containers (``dotted.rpartition(".")``, ``_REGISTRY.get(name)``).
_IMPORT_ACT_READS = _STRING_METHODS | frozenset(
    {"get", "rpartition", "partition", "split", "rsplit", "startswith", "endswith"}
)


def _only_imported(
    value: cst.BaseExpression, act: Sequence[cst.BaseStatement], func: FunctionInfo
) -> bool:
    """Is the stored value a local bound only to None or to a module the act imports
    (``importlib.import_module(path)``) or an object read from one (``getattr(module,
    name)``), used for nothing but the store and the ``return``, in an act that calls
    nothing else but string and container reads and logging? The interpreter imports a
    module once (``sys.modules``) and hands every thread the same module and the same
    object: threads that miss together store the one object, as for a string
    (nexusloom's parser backends, looked up by name and imported lazily, eighty-eighth
    set: TS103 judged false). An act that sets up or registers what it imports
    (``plugin.setup(app)``, ``handlers.append(mod.handle)``), reloads it or drops it
    from ``sys.modules`` does that once per thread, and stays reported."""
    if not isinstance(value, cst.Name):
        return False
    bound = _values_bound(value.value, act)
    imports = [each for each in bound if isinstance(each, cst.Call) and _imports(each, func)]
    if not imports or not all(each in imports or _is_none(each) for each in bound):
        return False
    uses = [
        node
        for statement in act
        for node in walk(statement)
        if isinstance(node, cst.Name) and node.value == value.value
    ]
    if any(not _store_or_return_use(use, act) for use in uses):
        return False
    for statement in act:
        for node in walk(statement):
            if isinstance(node, cst.Del):
                return False  # ``del sys.modules[path]``: a fresh module per thread
            if (
                isinstance(node, (cst.AssignTarget, cst.AugAssign))
                and isinstance(node.target, (cst.Attribute, cst.Subscript))
                and not _is_entry_store(node, act)
            ):
                return False  # ``klass.instances = []``: set up once per thread
    allowed = {id(each) for each in imports}
    allowed |= {id(each.args[0].value) for each in imports if _names(each.func, "getattr")}
    for statement in act:
        for node in walk(statement):
            if not isinstance(node, cst.Call) or id(node) in allowed:
                continue
            callee = node.func
            if is_log_method(callee):
                continue
            if isinstance(callee, cst.Attribute) and callee.attr.value in _IMPORT_ACT_READS:
                continue
            return False
    return True


def _is_entry_store(node: cst.CSTNode, act: Sequence[cst.BaseStatement]) -> bool:
    """Is ``node`` the target of the act's store into the cache (the one shared write,
    found by ``only_shared_store``): an ``AssignTarget`` of an ``Assign`` in the act
    whose value is a plain name?"""
    for statement in act:
        for inner in walk(statement):
            if (
                isinstance(inner, cst.Assign)
                and isinstance(inner.value, cst.Name)
                and any(target is node for target in inner.targets)
                and isinstance(node, cst.AssignTarget)
                and isinstance(node.target, cst.Subscript)
            ):
                return True
    return False


def _imports(value: cst.Call, func: FunctionInfo) -> bool:
    """``importlib.import_module(path)`` or ``getattr(importlib.import_module(path),
    name)`` (``import_module`` imported from ``importlib`` too)."""
    if _names(value.func, "getattr") and len(value.args) == 2:
        inner = value.args[0].value
        if not isinstance(inner, cst.Call):
            return False
        value = inner
    return _qualified(value.func, func) == "importlib.import_module"


def _names(callee: cst.BaseExpression, name: str) -> bool:
    return isinstance(callee, cst.Name) and callee.value == name


def _qualified(callee: cst.BaseExpression, func: FunctionInfo) -> str | None:
    """The imported name ``callee`` spells (``importlib.import_module``), through the
    module's imports, when no local of ``func`` shadows it."""
    module = func
    while module.parent is not None:
        module = module.parent
    imports = {**module.imports, **func.imports}
    if isinstance(callee, cst.Name):
        if func.is_local(callee.value) and callee.value not in func.imports:
            return None
        return imports.get(callee.value)
    if isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name):
        base = callee.value.value
        if func.is_local(base) and base not in func.imports and base not in func.modules:
            return None
        if base in module.modules or base in func.modules:
            return f"{base}.{callee.attr.value}"
        found = imports.get(base)
        return f"{found}.{callee.attr.value}" if found is not None else None
    return None


def _is_none(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


def _store_or_return_use(use: cst.Name, act: Sequence[cst.BaseStatement]) -> bool:
    """Is ``use`` the target of an assignment, the whole value of one, or the whole
    value of a ``return``?"""
    for statement in act:
        for node in walk(statement):
            if isinstance(node, cst.Return) and node.value is use:
                return True
            if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is use:
                return True
            if isinstance(node, cst.AssignTarget) and node.target is use:
                return True
            if isinstance(node, cst.AnnAssign) and node.target is use:
                return True
    return False


def _returns(act: Sequence[cst.BaseStatement], value: cst.BaseExpression) -> bool:
    """Does a ``return`` in the act give back ``value`` (spelled alike)?"""
    return any(
        isinstance(node, cst.Return) and node.value is not None and node.value.deep_equals(value)
        for statement in act
        for node in walk(statement)
    )


def _reads_cache(
    act: Sequence[cst.BaseStatement], store: cst.Assign, receiver: cst.BaseExpression
) -> bool:
    """Does the act read the cache besides storing into it (``d[k] = len(d)``: a number
    handed out from its contents, which two threads can both get)?"""
    target = {id(node) for node in walk(store.targets[0].target)}
    return any(
        id(node) not in target and isinstance(node, type(receiver)) and node.deep_equals(receiver)
        for statement in act
        for node in walk(statement)
    )


def _leaves(act: Sequence[cst.BaseStatement]) -> bool:
    return any(isinstance(node, cst.Return) for statement in act for node in walk(statement))


def _returns_entry(
    receiver: cst.BaseExpression,
    key: cst.BaseExpression,
    test: cst.BaseExpression,
    act: Sequence[cst.BaseStatement],
    func: FunctionInfo,
) -> bool:
    """Does the function, outside the act, return the entry the test read: ``return
    cache[key]``, ``return cache.get(key)``, or the local the test read it into?"""
    inside = {id(node) for statement in act for node in walk(statement)}
    tested = _tested_local(test)
    for node in walk(func.node):
        if not isinstance(node, cst.Return) or node.value is None or id(node) in inside:
            continue
        returned = node.value
        if isinstance(returned, cst.Name) and returned.value == tested:
            return True
        found = _entry_of(returned)
        if found is not None and found[0].deep_equals(receiver) and found[1].deep_equals(key):
            return True
    return False


def only_shared_store(
    act: Sequence[cst.BaseStatement], func: FunctionInfo, symbols: SymbolTable
) -> cst.Assign | None:
    """The act's one write of shared state, when it is an assignment and the only one."""
    stores = [
        small
        for statement in act
        for node in walk(statement)
        if isinstance(node, cst.SimpleStatementLine)
        for small in node.body
        if writes_of(small, func, symbols)
    ]
    if len(stores) != 1 or not isinstance(stores[0], cst.Assign):
        return None
    return stores[0]


def is_stamped_memo_act(
    act: Sequence[cst.BaseStatement],
    test: cst.BaseExpression,
    func: FunctionInfo,
    symbols: SymbolTable,
) -> bool:
    """Is ``act`` the miss branch of a cache re-validated by a stamp? The test compares
    something read from the cache with a stamp: a local or parameter (``cached[0] ==
    mtime``, ``cache.get("mtime") != mtime``, ``now - cached[0] < TTL``), an attribute
    of one (``st.st_mtime``) or a clock
    (``time.monotonic() - _cached[0] < 300``); the act's one shared write stores that
    stamp together with plain values into the same cache (``cache[key] = (mtime,
    value)``, ``cache.update(mtime=mtime, cfg=load())``, or a global tuple rebound whole:
    ``_cached = (time.monotonic(), lookup())``), with no other effect (but filling the
    function's own result list: ``_result_lists``). Two threads that
    miss together both load again and each stores a consistent pair: the value is
    checked against the stamp stored with it, so the later store loses nothing. A stamp
    kept in a separate store can be paired with another thread's value, and stays
    reported, as do values with identity and caches other code also fills."""
    stamped = _stamp_test(test, func)
    if stamped is None:
        return False
    receiver, stamps, whole = stamped
    stores: list[cst.CSTNode] = []
    for statement in act:
        for node in walk(statement):
            if isinstance(node, cst.SimpleStatementLine):
                stores.extend(small for small in node.body if writes_of(small, func, symbols))
            elif isinstance(node, cst.Call) and mutation_of(node, func, symbols) is not None:
                stores.append(node)
    if len(stores) != 1:
        return False
    stored = _stored_with_stamp(stores[0], receiver, stamps, whole)
    if stored is None:
        return False
    store_node, values = stored
    made_here = bound_names(act) - func.declared_global  # a rebound global is no local
    results = made_here | _result_lists(func)
    for statement in act:
        if not (_is_only(statement, store_node) or _plain_step(statement, results)):
            return False
    read_by_store = {name for value in values for name in _names_of(value)}
    if read_outside(made_here - read_by_store - set(func.params), act, func):
        return False
    if whole:
        if _rebound_elsewhere(receiver, func, symbols):
            return False
    elif _stored_elsewhere(receiver, store_node, func):
        return False
    if _guarded(act) and not all(_filled_display(value, act) for value in values):
        return False
    return all(_plain_value(value, act, func) for value in values)


def _result_lists(func: FunctionInfo) -> set[str]:
    """The function's own result lists: locals bound once, to an empty list
    (``out: list[dict] = []``), never stored elsewhere or passed on (only returned), which
    the act may fill (``out.extend(rows)``) without touching shared state."""
    counts: dict[str, int] = {}
    empty: set[str] = set()
    shared: set[str] = set()
    for node in walk(func.node, NOT_RUN):
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.Arg)) and isinstance(
            node.value, cst.Name
        ):
            shared.add(node.value.value)  # ``self.rows = out``, ``keep(out)``
        target: cst.BaseExpression | None = None
        value: cst.BaseExpression | None = None
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target, value = node.targets[0].target, node.value
        elif isinstance(node, cst.AnnAssign):
            target, value = node.target, node.value
        for name in names_bound_by(node):
            counts[name] = counts.get(name, 0) + 1
        if isinstance(target, cst.Name) and isinstance(value, cst.List) and not value.elements:
            empty.add(target.value)
    return {name for name in empty - shared if counts.get(name) == 1 and name not in func.params}


def _is_only(statement: cst.BaseStatement, store: cst.CSTNode) -> bool:
    """Is ``statement`` a line of the store alone (``cache[k] = (s, v)``, a call)?"""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return small is store or (isinstance(small, cst.Expr) and small.value is store)


#: Clocks a stamp may be read from (``time.monotonic() - cached[0] < TTL``).
_CLOCK_NAMES = frozenset({"time", "monotonic", "perf_counter"})


def _stamp_test(
    test: cst.BaseExpression, func: FunctionInfo
) -> tuple[cst.BaseExpression, list[cst.BaseExpression], bool] | None:
    """``(cache, stamps, whole)`` for a test comparing a read of ``cache`` with stamps:
    locals or parameters not themselves read from the cache, or clock calls. ``whole``:
    the cache is a tuple read directly (``_cached[0]`` of a global or attribute), which
    a refresh rebinds whole. Every comparison of the test with a read of that cache adds
    its stamps (``cached[0] == st.st_mtime and cached[1] == st.st_size``)."""
    found: tuple[cst.BaseExpression, list[cst.BaseExpression], bool] | None = None
    for node in walk(test):
        if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
            continue
        for part in walk(node):
            read = _cache_read(part, func) if isinstance(part, (cst.Subscript, cst.Call)) else None
            if read is None:
                continue
            receiver, whole = read
            if found is not None and not receiver.deep_equals(found[0]):
                continue
            inside = {id(inner) for inner in walk(part)}
            bound = _assignments(func)[0]
            stamps = [
                other
                for other in walk(node)
                if isinstance(other, cst.BaseExpression)
                and id(other) not in inside
                and (_local_stamp(other, func) or _clock(other))
                and not any(
                    piece.deep_equals(receiver)
                    for value in bound.get(getattr(other, "value", ""), [])
                    for piece in walk(value)
                )  # the "stamp" is the cache's own
            ]
            if stamps and found is None:
                found = receiver, stamps, whole
            elif stamps and found is not None:
                found[1].extend(stamps)
            break
    return found


def _local_stamp(node: cst.CSTNode, func: FunctionInfo) -> bool:
    """A local or parameter (``mtime``), or an attribute of one (``st.st_mtime`` of a
    local ``os.stat`` result)."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return _local_stamp(node.value, func)
    return (
        isinstance(node, cst.Name)
        and node.value not in ("None", "True", "False")
        and (node.value in func.assigned or node.value in func.params)
        and node.value not in func.declared_global
    )


def _clock(node: cst.CSTNode) -> bool:
    """``time.monotonic()``, ``time.time()``, ``monotonic()``."""
    if not isinstance(node, cst.Call) or node.args:
        return False
    callee = node.func
    name = callee.attr.value if isinstance(callee, cst.Attribute) else ""
    if isinstance(callee, cst.Name):
        name = callee.value
    return name in _CLOCK_NAMES


def _cache_read(
    expr: cst.BaseExpression, func: FunctionInfo
) -> tuple[cst.BaseExpression, bool] | None:
    """The cache ``expr`` reads an entry of, and whether the cache is a tuple read
    directly: ``cache.get(k)``, ``cache[k]``, an item of a local bound to one
    (``cached[0]`` after ``cached = cache.get(key)``), or ``_cached[0]`` of a global
    the function rebinds (or of an attribute)."""
    found = _entry_of(expr)
    if found is None:
        return None
    receiver = found[0]
    if isinstance(receiver, cst.Name) and receiver.value in func.declared_global:
        return receiver, isinstance(expr, cst.Subscript)
    if not isinstance(receiver, cst.Name) or receiver.value not in func.assigned:
        return receiver, isinstance(expr, cst.Subscript)
    if func.is_module:
        return None
    for value in _assignments(func)[0].get(receiver.value, []):
        inner = _entry_of(value)
        if inner is not None:
            return inner[0], False
    return None


def _stored_with_stamp(
    small: cst.CSTNode,
    receiver: cst.BaseExpression,
    stamps: list[cst.BaseExpression],
    whole: bool,
) -> tuple[cst.CSTNode, list[cst.BaseExpression]] | None:
    """The store node and the values stored beside the stamp when ``small`` (an
    assignment or a mutating call) stores into ``receiver`` a tuple holding the stamp:
    ``receiver[k] = (stamp, value)``, ``receiver.update(mtime=stamp, cfg=value)``, or,
    for a tuple cache, ``receiver = (stamp, value)``."""
    if isinstance(small, cst.Assign):
        target = small.targets[0].target if len(small.targets) == 1 else None
        if target is None or not isinstance(small.value, (cst.Tuple, cst.List)):
            return None
        into_entry = isinstance(target, cst.Subscript) and target.value.deep_equals(receiver)
        rebound = whole and isinstance(small.value, cst.Tuple) and target.deep_equals(receiver)
        if not (into_entry or rebound):
            return None
        beside = _beside([element.value for element in small.value.elements], stamps)
        return None if beside is None else (small, beside)
    if (
        isinstance(small, cst.Call)
        and isinstance(small.func, cst.Attribute)
        and small.func.attr.value == "update"
        and small.func.value.deep_equals(receiver)
        and all(arg.keyword is not None for arg in small.args)
    ):
        beside = _beside([arg.value for arg in small.args], stamps)
        return None if beside is None else (small, beside)
    return None


def _beside(
    values: list[cst.BaseExpression], stamps: list[cst.BaseExpression]
) -> list[cst.BaseExpression] | None:
    others = [value for value in values if not any(value.deep_equals(s) for s in stamps)]
    return others if others and len(others) < len(values) else None


def _rebound_elsewhere(
    receiver: cst.BaseExpression, func: FunctionInfo, symbols: SymbolTable
) -> bool:
    """Does another function rebind the tuple cache (an invalidation the refresh could
    undo)? Only a global is known; an attribute cache is not taken as a tuple cache."""
    if not isinstance(receiver, cst.Name):
        return True
    return any(other is not func for other in symbols.structure.rebinders(receiver.value))


#: Methods that only read a container or string: calling them changes nothing.
_READ_METHODS = frozenset(
    {"get", "keys", "values", "items", "copy", "count", "index", "startswith", "endswith",
     "format", "join", "split", "strip", "lower", "upper", "encode", "decode"}
)  # fmt: skip


def _changed_after(name: str, act: Sequence[cst.BaseStatement], func: FunctionInfo) -> bool:
    """Is the value's local changed in place outside the act (``state["next"] += 1``,
    ``state["faces"].append(x)``, ``value.x = 1``)? Then callers keep filling the
    stored object, and the loser's updates are lost."""
    inside = {id(node) for statement in act for node in walk(statement)}
    for node in walk(func.node):
        if id(node) in inside:
            continue
        changed: cst.BaseExpression | None = None
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.Del)):
            changed = node.target
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value not in _READ_METHODS
            and not is_log_method(node.func)
        ):
            changed = node.func.value
            if _root(changed) == name:
                return True
            continue
        if isinstance(changed, (cst.Subscript, cst.Attribute)) and _root(changed) == name:
            return True
    return False


def _root(expr: cst.BaseExpression) -> str | None:
    """``state`` for ``state["faces"].x``."""
    while isinstance(expr, (cst.Subscript, cst.Attribute)):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


#: Calls that put entries into a container (removals only make the memo compute again).
_FILLERS = frozenset({"setdefault", "update", "__setitem__", "append", "add", "insert"})


def _stored_elsewhere(receiver: cst.BaseExpression, store: cst.CSTNode, func: FunctionInfo) -> bool:
    """Does the module put entries into the cache anywhere but this store (``results[item]
    = True`` in another function, an ``update``)? Then the act may overwrite another
    writer's value, which is a lost update, not a memo. Matched by spelling: the same
    global name, or the same ``self.<attr>`` in a method of the same class."""
    scope: cst.CSTNode
    if (
        func.cls is not None
        and isinstance(receiver, cst.Attribute)
        and isinstance(receiver.value, cst.Name)
        and receiver.value.value == func.self_name
    ):
        scope = func.cls.node  # ``self._cache``: the class's own methods
    else:
        module = func
        while module.parent is not None:
            module = module.parent
        scope = module.node
    for node in walk(scope):
        if node is store:
            continue
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [
                target.target.value
                for target in node.targets
                if isinstance(target.target, cst.Subscript)
            ]
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Subscript):
            targets = [node.target.value]
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in _FILLERS
        ):
            targets = [node.func.value]
        if any(target.deep_equals(receiver) for target in targets):
            return True
    return False


def _entry_read(
    test: cst.BaseExpression, func: FunctionInfo
) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """The ``(d, key)`` whose entry the test reads: ``key not in d``, ``d.get(key) is
    None``, or a local bound once in the function to ``d.get(key)`` / ``d[key]``."""
    for node in walk(test):
        found = _entry_of(node)
        if found is not None:
            return found
    name = _tested_local(test)
    if name is None or name not in func.assigned or func.is_module:
        return None  # a local's value is looked up only for ``v is None``, ``not v``, ``v``
    bound = list(_assignments(func)[0].get(name, ()))
    for value in bound:
        found = _entry_of(value)
        if found is not None:
            return found
    return None


def _tested_local(test: cst.BaseExpression) -> str | None:
    """The local a memo's miss test reads: ``v``, ``not v``, ``v is None``, ``v is not
    None`` (``==``/``!=`` too)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        test = test.left
    return test.value if isinstance(test, cst.Name) else None


def _entry_of(node: cst.CSTNode) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    tested = membership_test(node)
    if tested is not None:
        return tested[1], tested[0]
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "get"
        and node.args
    ):
        return node.func.value, node.args[0].value
    if isinstance(node, cst.Subscript):
        key = _index(node)
        if key is not None:
            return node.value, key
    return None


def _index(subscript: cst.Subscript) -> cst.BaseExpression | None:
    if len(subscript.slice) != 1 or not isinstance(subscript.slice[0].slice, cst.Index):
        return None
    return subscript.slice[0].slice.value


def _is_entry(
    target: cst.BaseExpression, receiver: cst.BaseExpression, key: cst.BaseExpression
) -> bool:
    if not isinstance(target, cst.Subscript) or not target.value.deep_equals(receiver):
        return False
    index = _index(target)
    return index is not None and index.deep_equals(key)


def _key_ingredients(key: cst.BaseExpression, func: FunctionInfo) -> frozenset[str]:
    """The parameters (``self`` excluded) and the locals bound once from them that the key
    is made of (``key = (int(w), int(h))`` gives ``key``, ``w``, ``h``); empty when it
    reads anything else but a module's constant (``Path(path) if path else
    DEFAULT_PATH``: harness-fleet's surface plan, ninetieth set), which gives every
    thread the same key for the same arguments."""
    params = {name for name in func.params if name not in ("self", "cls")}
    bindings = _single_bindings(func)
    found: set[str] = set()

    def plain(expr: cst.BaseExpression, depth: int) -> bool:
        for name in _names_read(expr):
            if name in ("None", "True", "False") or name in found:
                continue
            if looks_like_constant(name) and func.binding_function(name) is None:
                if _fixed_constant(name, func):
                    continue  # a module's constant, never rebound nor changed in place
                return False
            if name in params:
                found.add(name)
                continue
            value = bindings.get(name)
            if value is None or depth > 1:
                return False
            found.add(name)
            if not plain(value, depth + 1):
                return False
        return True

    if not plain(key, 0) or not found & params:
        return frozenset()
    return frozenset(found)


def _fixed_constant(name: str, func: FunctionInfo) -> bool:
    """Does the module never rebind the global ``name`` (``global NAME`` anywhere) nor
    change it in place (``NAME[k] = v``, ``NAME.attr = v``, ``del NAME[k]``,
    ``NAME.update(...)``)? Then every thread reads the same value from it."""
    module = func
    while module.parent is not None:
        module = module.parent
    for node in walk(module.node):
        if isinstance(node, cst.Global) and any(item.name.value == name for item in node.names):
            return False
        target: cst.BaseExpression | None = None
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)):
            target = node.target
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in MUTATING_METHODS
        ):
            target = node.func
        while isinstance(target, (cst.Subscript, cst.Attribute)):
            target = target.value
            if isinstance(target, cst.Name) and target.value == name:
                return False
    return True


def _names_read(expr: cst.CSTNode, skipped: frozenset[int] = frozenset()) -> list[str]:
    """The names ``expr`` reads as values: not a called function's name nor an
    attribute's name (``str(x.y)`` reads ``x``), nor any node in ``skipped``."""
    ignored = {
        id(part.func) if isinstance(part, cst.Call) else id(part.attr)
        for part in walk(expr)
        if isinstance(part, (cst.Call, cst.Attribute))
    }
    ignored |= {
        id(part.keyword) for part in walk(expr) if isinstance(part, cst.Arg) and part.keyword
    }
    return [
        part.value
        for part in walk(expr)
        if isinstance(part, cst.Name) and id(part) not in ignored and id(part) not in skipped
    ]


def _reads_only(
    act: Sequence[cst.BaseStatement],
    store: cst.Assign,
    ingredients: frozenset[str],
    func: FunctionInfo,
) -> bool:
    """Does the act compute its value from the key's ingredients alone: every name it
    reads (outside the store's target, its ``return`` and logging calls) is one of them,
    a name the act binds (its locals, loop variables, imports), a module's constant
    (``_AA_SS``, ``MAX``), an imported name or a builtin; and it reads at least one?"""
    bound = bound_names(act)
    module = func
    while module.parent is not None:
        module = module.parent
    imported = set(module.imports) | module.modules | set(func.imports) | func.modules
    skipped = {id(node) for node in walk(store.targets[0].target)}
    skipped |= {
        id(inner)
        for statement in act
        for node in walk(statement)
        if isinstance(node, (cst.Return, cst.Import, cst.ImportFrom))
        or (isinstance(node, cst.Call) and is_log_method(node.func))
        for inner in walk(node)
    }
    used = False
    for statement in act:
        for name in _names_read(statement, frozenset(skipped)):
            if name in ingredients:
                used = True
            elif not (
                name in bound or name in imported or name in _BUILTINS or looks_like_constant(name)
            ):
                return False
    return used


def _single_bindings(func: FunctionInfo) -> dict[str, cst.BaseExpression]:
    """Locals of ``func`` assigned exactly once, with their values."""
    values, counts = _assignments(func)
    return {name: found[0] for name, found in values.items() if counts.get(name) == 1}


#: ``_assignments`` per function node, by identity: every check-then-act of a function
#: asks again, and a long ``elif`` chain must not walk the function once per test.
_SEEN: dict[int, tuple[cst.CSTNode, dict[str, list[cst.BaseExpression]], dict[str, int]]] = {}


def _assignments(
    func: FunctionInfo,
) -> tuple[dict[str, list[cst.BaseExpression]], dict[str, int]]:
    """The values of ``name = value`` in ``func`` per name, and how many times each name
    is bound by any assignment target."""
    node = func.node
    hit = _SEEN.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1], hit[2]
    counts: dict[str, int] = {}
    values: dict[str, list[cst.BaseExpression]] = {}
    for part in walk(node):
        if isinstance(part, cst.AssignTarget) and isinstance(part.target, cst.Name):
            counts[part.target.value] = counts.get(part.target.value, 0) + 1
        if (
            isinstance(part, cst.Assign)
            and len(part.targets) == 1
            and isinstance(part.targets[0].target, cst.Name)
        ):
            values.setdefault(part.targets[0].target.value, []).append(part.value)
    if len(_SEEN) > 256:
        _SEEN.clear()
    _SEEN[id(node)] = (node, values, counts)
    return values, counts


def bound_names(act: Sequence[cst.BaseStatement]) -> set[str]:
    """The names the act binds (its locals, annotated ones too, the loop variables of its
    ``for`` and comprehensions, imports, exception names)."""
    names: set[str] = set()

    def bind(target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                bind(element.value)

    for statement in act:
        for node in walk(statement):
            if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.For, cst.CompFor)):
                bind(node.target)
            elif isinstance(node, cst.ImportAlias):
                alias = node.asname.name if node.asname is not None else node.name
                if isinstance(alias, cst.Name):
                    names.add(alias.value)
            elif isinstance(node, cst.ExceptHandler) and node.name is not None:
                bind(node.name.name)
    return names


def _guarded(act: Sequence[cst.BaseStatement]) -> bool:
    """Does the act hold a ``try``?"""
    return any(isinstance(node, cst.Try) for statement in act for node in walk(statement))


def _filled_display(value: cst.BaseExpression, act: Sequence[cst.BaseStatement]) -> bool:
    """Is ``value`` a local the act binds to a container display first (``merged = {}``,
    then filled)? An act that falls back in a ``try`` may make anything there; a memo of
    data it builds itself is plain (torrent-finder-cli's catalogues), a client it gets
    from a library is an object whose copies are not equal (pacu's boto3 clients,
    forty-sixth set: judged true)."""
    if not isinstance(value, cst.Name):
        return False
    for statement in act:
        for node in walk(statement):
            target: cst.BaseExpression | None = None
            if isinstance(node, cst.Assign) and len(node.targets) == 1:
                target = node.targets[0].target
            elif isinstance(node, cst.AnnAssign) and node.value is not None:
                target = node.target  # ``rows: list[dict] = []``
            if isinstance(target, cst.Name) and target.value == value.value:
                assert isinstance(node, (cst.Assign, cst.AnnAssign))
                return isinstance(
                    node.value,
                    (cst.Dict, cst.List, cst.Set, cst.DictComp, cst.ListComp, cst.SetComp),
                )
    return False


def _plain_step(statement: cst.BaseStatement, made_here: set[str]) -> bool:
    """A statement of the act: assignments, imports, calls of the act's locals' methods
    (filling the value) or of a logger, ``for``/``if`` of those, a ``return``, ``pass``,
    a ``raise`` (it leaves without storing), ``continue`` and ``break``, and a ``try``
    of those whose handlers fall back to a value (``except OSError: paths = []``) or
    give up (torrent-finder-cli's catalogues, sixty-first set: judged false). Any
    other call might change shared state behind the store's back."""
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            if isinstance(small, cst.Raise):
                continue
            if isinstance(small, cst.Expr):
                call = small.value
                if not (
                    isinstance(call, cst.Call)
                    and isinstance(call.func, cst.Attribute)
                    and (
                        is_log_method(call.func)
                        or (
                            isinstance(call.func.value, cst.Name)
                            and call.func.value.value in made_here
                        )
                    )
                ):
                    return False
            elif not isinstance(
                small,
                (
                    cst.Assign,
                    cst.AnnAssign,
                    cst.AugAssign,
                    cst.Return,
                    cst.Pass,
                    cst.Import,
                    cst.ImportFrom,
                    cst.Continue,
                    cst.Break,
                ),
            ):
                return False
        return True
    if isinstance(statement, cst.With) and all(_opens(item.item) for item in statement.items):
        return all(
            _plain_step(part, made_here | _with_names(statement)) for part in block(statement.body)
        )
    if isinstance(statement, cst.Try):
        parts = list(block(statement.body))
        for handler in statement.handlers:
            parts.extend(block(handler.body))
        for extra in (statement.orelse, statement.finalbody):
            if extra is not None:
                parts.extend(block(extra.body))
        return all(_plain_step(part, made_here) for part in parts)
    if isinstance(statement, (cst.For, cst.If)):
        parts = list(block(statement.body))
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            parts.append(orelse)
        elif orelse is not None:
            parts.extend(block(orelse.body))
        return all(_plain_step(part, made_here) for part in parts)
    return False


def _opens(expr: cst.BaseExpression) -> bool:
    """``open(path)``: a file read in a ``with``, whose closing is its only effect."""
    return (
        isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "open"
    )


def _with_names(statement: cst.With) -> set[str]:
    return {
        item.asname.name.value
        for item in statement.items
        if item.asname is not None and isinstance(item.asname.name, cst.Name)
    }


def _plain_value(
    value: cst.BaseExpression, act: Sequence[cst.BaseStatement], func: FunctionInfo
) -> bool:
    """Is the stored value plain data built in the act (see the module docstring)?"""
    made = value
    if isinstance(value, cst.Name):
        bound = _values_bound(value.value, act)
        if not bound or any(not _plain_maker(each, func) for each in bound):
            return False
        return not _empty(bound[-1]) or _filled(value.value, act)
    return _plain_maker(made, func) and not _empty(made)


def _values_bound(name: str, act: Sequence[cst.BaseStatement]) -> list[cst.BaseExpression]:
    """The values the act's plain and annotated assignments (``rows: list[dict] = []``)
    bind ``name`` to, in order."""
    values: list[cst.BaseExpression] = []
    for statement in act:
        for node in walk(statement):
            if not isinstance(node, cst.SimpleStatementLine):
                continue
            for small in node.body:
                targets: list[cst.BaseExpression] = []
                if isinstance(small, cst.Assign):
                    targets = [target.target for target in small.targets]
                elif isinstance(small, cst.AnnAssign):
                    targets = [small.target]
                value = getattr(small, "value", None)
                if value is not None and any(
                    isinstance(target, cst.Name) and target.value == name for target in targets
                ):
                    values.append(value)
    return values


def _plain_maker(value: cst.BaseExpression, func: FunctionInfo, depth: int = 0) -> bool:
    """No call in ``value`` of a parameter or of a capitalised name (a class), nor of a
    module-level function of the module whose returned values have one."""
    params = set(func.params)
    for node in walk(value):
        if not isinstance(node, cst.Call):
            continue
        callee = node.func
        name = callee.attr.value if isinstance(callee, cst.Attribute) else ""
        if isinstance(callee, cst.Name):
            name = callee.value
            if name in params:
                return False
            own = _module_function(name, func)
            if own is not None and (depth > 0 or not _returns_plain(own)):
                return False
        if looks_like_class(name):
            return False
    return True


def _module_function(name: str, func: FunctionInfo) -> cst.FunctionDef | None:
    """The module's top-level ``def name`` (``func``'s own module)."""
    scope = func
    while scope.parent is not None:
        scope = scope.parent
    if not isinstance(scope.node, cst.Module):
        return None
    for statement in scope.node.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return statement
    return None


def _returns_plain(node: cst.FunctionDef) -> bool:
    """Does every ``return value`` of the module's function avoid calling its parameters
    and classes (``def create(cls): return cls()`` does not)?"""
    params = {param.name.value for param in node.params.params}
    params |= {param.name.value for param in node.params.posonly_params}
    for part in walk(node.body):
        if isinstance(part, cst.Return) and part.value is not None:
            for inner in walk(part.value):
                if not isinstance(inner, cst.Call):
                    continue
                callee = inner.func
                if isinstance(callee, cst.Name) and (
                    callee.value in params or looks_like_class(callee.value)
                ):
                    return False
                if isinstance(callee, cst.Attribute) and looks_like_class(callee.attr.value):
                    return False
    return True


def _empty(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.Dict, cst.List, cst.Set)):
        return not value.elements
    return (
        isinstance(value, cst.Call)
        and not value.args
        and isinstance(value.func, cst.Name)
        and value.func.value in _EMPTY_MAKERS
    )


def _filled(name: str, act: Sequence[cst.BaseStatement]) -> bool:
    """Does the act call a method of the local ``name`` (``value.setdefault(...)``) or
    store into it, filling it before it is published?"""
    for statement in act:
        for node in walk(statement):
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and isinstance(node.func.value, cst.Name)
                and node.func.value.value == name
                and not is_log_method(node.func)
            ):
                return True
            if (
                isinstance(node, cst.AssignTarget)
                and isinstance(node.target, cst.Subscript)
                and isinstance(node.target.value, cst.Name)
                and node.target.value.value == name
            ):
                return True
    return False


def _names_of(value: cst.BaseExpression) -> set[str]:
    return {value.value} if isinstance(value, cst.Name) else set()


def read_outside(names: set[str], act: Sequence[cst.BaseStatement], func: FunctionInfo) -> bool:
    """Is any of ``names`` used in ``func`` outside ``act``?"""
    if not names:
        return False
    inside = {id(node) for statement in act for node in walk(statement)}
    return any(
        isinstance(node, cst.Name) and node.value in names and id(node) not in inside
        for node in walk(func.node)
    )
