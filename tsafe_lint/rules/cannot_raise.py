"""Lines that cannot raise: what may stand between an ``acquire()`` and the ``try`` that
releases the lock without an exception leaking it (TS201's "What may stand between")."""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis import FunctionInfo, Kind, ModuleAnalysis, SymbolKey, block
from tsafe_lint.analysis.scopes import ClassInfo, local_values, parameter_annotation
from tsafe_lint.analysis.symbols import means_builtin
from tsafe_lint.analysis.tree import NOT_RUN
from tsafe_lint.analysis.tree import walk as walk_nodes
from tsafe_lint.rules.self_logging import plain_arguments, plain_log_call

#: Clock and thread-identity reads that take no argument and cannot raise.
_SAFE_CALLS = frozenset(
    {
        "time.monotonic",
        "time.monotonic_ns",
        "time.time",
        "time.time_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "threading.get_ident",
        "threading.get_native_id",
    }
)
#: Calls of one integer literal that cannot raise: ``os.umask(0o077)`` sets the process's
#: mask and returns the old one (eneru's umask window, seventieth set).
_SAFE_INTEGER_CALLS = frozenset({"os.umask"})
#: Operators of two numbers that cannot raise (``/``, ``//``, ``%``: division by zero;
#: ``**`` and shifts: overflow and negative counts).
_SAFE_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply)
#: Literals a class body may bind an attribute to without making its store run code.
_LITERALS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)


def cannot_raise(
    statement: cst.BaseStatement,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    keys: Keys | None = None,
    lock: SymbolKey | None = None,
) -> bool:
    """``acquired = True``, ``deadline = time.monotonic() + timeout``, ``self.locked =
    True``, ``pass``, ``self.cache[key] = entry``, an ``if`` or a loop over the
    function's own container whose parts cannot raise: a statement that, realistically,
    runs no code that can fail, so nothing can leak the lock between the acquire and the
    ``try`` (or the release). ``keys``: names known to be keys of a container (a loop
    over it bound them); ``lock``: the lock held here."""
    keys = keys or {}
    if isinstance(statement, cst.If):
        return _if_cannot_raise(statement, analysis, func, keys, lock)
    if isinstance(statement, cst.For):
        return _for_cannot_raise(statement, analysis, func, keys, lock)
    if isinstance(statement, cst.While):
        return _while_cannot_raise(statement, analysis, func, keys, lock)
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(
        _small_cannot_raise(small, analysis, func, keys)
        or _signals_held(small, analysis, func, keys, lock)
        for small in statement.body
    )


#: Condition methods that cannot fail while the thread holds it
_HELD_CONDITION_METHODS = frozenset({"notify", "notify_all", "notifyAll", "wait"})


def _signals_held(
    small: cst.BaseSmallStatement,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    keys: Keys,
    lock: SymbolKey | None,
) -> bool:
    """``cond.notify()``, ``cond.notify_all()``, ``cond.wait()``, ``cond.wait(timeout)``
    or ``cond.wait(timeout=t)`` on the Condition just acquired: they raise only when it
    is not held, and ``wait()`` takes it back before it returns."""
    if lock is None or not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return False
    call = small.value
    callee = call.func
    if not isinstance(callee, cst.Attribute) or callee.attr.value not in _HELD_CONDITION_METHODS:
        return False
    waits = callee.attr.value == "wait"
    if any(
        arg.star or (arg.keyword is not None and not (waits and arg.keyword.value == "timeout"))
        for arg in call.args
    ):
        return False  # ``wait(timeout=2)`` is the one keyword
    if len(call.args) > (1 if waits else 0):
        return False
    if not all(value_cannot_raise(arg.value, analysis, func, keys) for arg in call.args):
        return False
    held = analysis.symbols.key_of(callee.value, func)
    return held is not None and analysis.locks.identity(held) == analysis.locks.identity(lock)


#: names known to be keys of containers: ``for key in self.cache:`` binds ``key`` to
#: keys of ``self.cache`` (the containers, as expressions)
Keys = dict[str, tuple[cst.BaseExpression, ...]]


def _small_cannot_raise(
    small: cst.BaseSmallStatement, analysis: ModuleAnalysis, func: FunctionInfo, keys: Keys
) -> bool:
    if isinstance(small, cst.Pass):
        return True
    if isinstance(small, cst.Expr):
        return (
            plain_log_call(small.value)
            or _plain_alias_log_call(small.value, analysis, func)
            or (
                isinstance(small.value, cst.Call)
                and _call_cannot_raise(small.value, analysis, func, keys)
            )
        )  # logging reports its own errors (``Handler.handleError``)
    if isinstance(small, cst.Assign):
        return all(
            _store_cannot_raise(target.target, analysis, func, keys) for target in small.targets
        ) and value_cannot_raise(small.value, analysis, func, keys)
    if isinstance(small, cst.AugAssign):
        if int_counter(small.target, analysis, func):
            return isinstance(small.operator, _COUNTER_STEPS) and _is_int(small.value)
        return (
            isinstance(small.target, cst.Name)
            and func.is_local(small.target.value)
            and isinstance(small.operator, _SAFE_AUGMENTED)
            and value_cannot_raise(small.value, analysis, func, keys)
        )
    if isinstance(small, cst.Del):
        return _deletes_known_key(small.target, analysis, func, keys)
    return False


#: ``+=``, ``-=``, ``*=``: the augmented forms of ``_SAFE_OPERATORS``
_SAFE_AUGMENTED = (cst.AddAssign, cst.SubtractAssign, cst.MultiplyAssign)
#: what a counter's augmented stores may do: add or subtract an int literal
_COUNTER_STEPS = (cst.AddAssign, cst.SubtractAssign)


def _is_int(value: cst.BaseExpression) -> bool:
    """``3``, ``-1``: an int literal."""
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    return isinstance(value, cst.Integer)


def int_counter(target: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo) -> bool:
    """``self.count`` or ``Registry.next_id``: an attribute, of this class or of a class
    of the module named by its name, that only ever holds an int: every assignment in the
    module binds an int literal (``self.count = 0``, ``next_id = 1`` in the class body)
    and every other write adds or subtracts one (``self.count += 1``). Reading it, testing
    it and stepping it run no code that can fail."""
    if not isinstance(target, cst.Attribute):
        return False
    if not (plain_self_attribute(target, analysis, func) or _class_attribute(target, func)):
        return False
    key = analysis.symbols.key_of(target, func)
    if key is None or key[0] != "attr":
        return False
    assigned = analysis.symbols.attribute_values.get(key, {}).values()
    if not assigned or not all(_is_int(value) for value, _ in assigned):
        return False
    for write in analysis.regions.writes:
        if write.key != key:
            continue
        node = write.node
        if isinstance(node, cst.AugAssign):
            if not (isinstance(node.operator, _COUNTER_STEPS) and _is_int(node.value)):
                return False
        elif not (isinstance(node, cst.Assign) and _is_int(node.value)):
            return False
    return True


def _class_attribute(target: cst.Attribute, func: FunctionInfo) -> bool:
    """``Registry.next_id`` inside a method of ``Registry``: the class's own attribute,
    named by the class's name (which the method does not rebind)."""
    cls = func.cls
    return (
        cls is not None
        and isinstance(target.value, cst.Name)
        and target.value.value == cls.node.name.value
        and not func.is_local(cls.node.name.value)
        and "__slots__" not in cls.body_names
        and not cls.body_names & _ATTRIBUTE_HOOKS
    )


def _while_cannot_raise(
    statement: cst.While,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    keys: Keys,
    lock: SymbolKey | None,
) -> bool:
    """``while self.count > 0: self.condition.wait()``: a loop without ``else`` whose test
    and body cannot raise (it may wait, but nothing in it fails)."""
    if statement.orelse is not None:
        return False
    if not value_cannot_raise(statement.test, analysis, func, keys):
        return False
    return all(cannot_raise(s, analysis, func, keys, lock) for s in block(statement.body))


def _if_cannot_raise(
    statement: cst.If,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    keys: Keys,
    lock: SymbolKey | None,
) -> bool:
    """An ``if`` (and its ``elif``/``else``) whose test and branches cannot raise."""
    if not value_cannot_raise(statement.test, analysis, func, keys):
        return False
    if not all(cannot_raise(s, analysis, func, keys, lock) for s in block(statement.body)):
        return False
    orelse = statement.orelse
    if isinstance(orelse, cst.If):
        return _if_cannot_raise(orelse, analysis, func, keys, lock)
    return orelse is None or all(
        cannot_raise(s, analysis, func, keys, lock) for s in block(orelse.body)
    )


def _for_cannot_raise(
    statement: cst.For,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    keys: Keys,
    lock: SymbolKey | None,
) -> bool:
    """``for key in own:`` over a dict, list or set the function or its class made
    (never a caller's object, whose ``__iter__`` may be anything), binding one local
    name, without ``else``, whose body cannot raise and does not add to or remove from
    the container it walks (a dict resized during iteration raises ``RuntimeError``).
    An instance's container must be changed only under ``lock`` (or in ``__init__``):
    another thread could resize it under the loop."""
    if statement.orelse is not None or statement.asynchronous is not None:
        return False
    if not isinstance(statement.target, cst.Name) or not func.is_local(statement.target.value):
        return False
    walked = statement.iter
    if not is_own_container(walked, analysis, func):
        return False
    if not isinstance(walked, cst.Name) and not _changed_only_under(walked, lock, analysis, func):
        return False
    if any(_changes(inner, walked) for inner in walk_nodes(statement.body)):
        return False
    name = statement.target.value
    inner_keys = {k: v for k, v in keys.items() if k != name}
    inner_keys[name] = (walked, *_keys_of_keys(walked, analysis, func))
    return all(cannot_raise(s, analysis, func, inner_keys, lock) for s in block(statement.body))


def _changed_only_under(
    container: cst.BaseExpression,
    lock: SymbolKey | None,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
) -> bool:
    """Is every change of the instance's ``container`` in the module made with ``lock``
    held, or in ``__init__`` (before another thread can see the object)?"""
    key = analysis.symbols.key_of(container, func)
    if key is None or lock is None:
        return False
    identity = analysis.locks.identity(lock)
    for write in analysis.regions.writes:
        if write.key != key or write.func.name == "__init__":
            continue
        if not any(analysis.locks.identity(held) == identity for held in write.state.held):
            return False
    return True


def _changes(node: cst.CSTNode, container: cst.BaseExpression) -> bool:
    """Does ``node`` store into, delete from or rebind ``container``?"""
    targets: list[cst.BaseExpression] = []
    if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)):
        targets = [node.target]
    for target in targets:
        for inner in walk_nodes(target):
            if isinstance(inner, cst.BaseExpression) and inner.deep_equals(container):
                return True
    return False


def _keys_of_keys(
    container: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> tuple[cst.BaseExpression, ...]:
    """The containers whose keys a local dict holds as its own keys: every store into
    it is ``local[key] = ...`` inside a loop ``for key in other:`` (``cleanup[digest] =
    entry`` while walking ``self.cache``), so its keys are keys of ``other``."""
    if not (isinstance(container, cst.Name) and func.is_local(container.value)):
        return ()
    found: list[cst.BaseExpression] = []
    for node in walk_nodes(func.node, NOT_RUN):
        if not isinstance(node, cst.For) or not isinstance(node.target, cst.Name):
            continue
        for inner in walk_nodes(node.body):
            if (
                isinstance(inner, cst.AssignTarget)
                and isinstance(inner.target, cst.Subscript)
                and inner.target.value.deep_equals(container)
                and _index_name(inner.target) == node.target.value
            ):
                found.append(node.iter)
    stores = [
        inner
        for inner in walk_nodes(func.node, NOT_RUN)
        if isinstance(inner, (cst.AssignTarget, cst.AugAssign))
        and isinstance(inner.target, cst.Subscript)
        and inner.target.value.deep_equals(container)
    ]
    if not found or len(found) != len(stores):
        return ()  # some store uses another key
    return tuple(found)


def _index_name(subscript: cst.Subscript) -> str | None:
    """``d[key]`` -> ``"key"``."""
    if len(subscript.slice) != 1:
        return None
    index = subscript.slice[0].slice
    if isinstance(index, cst.Index) and isinstance(index.value, cst.Name):
        return index.value.value
    return None


def _known_key(subscript: cst.Subscript, keys: Keys) -> bool:
    """``d[key]`` where ``key`` came from walking ``d``: no ``KeyError``."""
    name = _index_name(subscript)
    return name is not None and any(
        container.deep_equals(subscript.value) for container in keys.get(name, ())
    )


def _deletes_known_key(
    target: cst.BaseDelTargetExpression, analysis: ModuleAnalysis, func: FunctionInfo, keys: Keys
) -> bool:
    """``del self.cache[key]`` where ``key`` is a key of ``self.cache``."""
    return (
        isinstance(target, cst.Subscript)
        and is_own_container(target.value, analysis, func)
        and _known_key(target, keys)
    )


def _plain_alias_log_call(
    value: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """``debug("got %s", key)`` where ``debug`` stands for a logger's method (or a
    do-nothing ``def debug(message, *args)``): positional plain arguments, a message
    first."""
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and bool(value.args)
        and all(arg.keyword is None and not arg.star for arg in value.args)
        and plain_arguments(value)
        and analysis.is_log_alias(value.func.value, func)
    )


def _store_cannot_raise(
    target: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo, keys: Keys
) -> bool:
    """A local name, or a tuple of them unpacking a value the function just read (the
    code that stores the tuples decides their length); a plain ``self.attr``; or
    ``own[key] = value`` into a dict the function or its class made, under a key known
    to be hashable (``hashable_key``)."""
    if isinstance(target, cst.Name):
        return True
    if isinstance(target, (cst.Tuple, cst.List)):
        return all(
            isinstance(element.value, cst.Name) and not isinstance(element, cst.StarredElement)
            for element in target.elements
        )
    if isinstance(target, cst.Subscript):
        return (
            _is_dict_store(target, analysis, func)
            and len(target.slice) == 1
            and isinstance(target.slice[0].slice, cst.Index)
            and hashable_key(target.slice[0].slice.value, func, keys)
        )
    return plain_self_attribute(target, analysis, func)


def _is_dict_store(target: cst.Subscript, analysis: ModuleAnalysis, func: FunctionInfo) -> bool:
    """A store into an own dict (a list's store may raise ``IndexError``)."""
    return is_own_container(target.value, analysis, func, _DICT_MAKERS)


def plain_self_attribute(
    target: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """``self.attr`` in a method of a class whose store or read of ``attr`` runs no
    code: the class has no ``__slots__`` (so instances have a ``__dict__``) or names
    ``attr`` in them, and neither
    it nor its bases in this module define ``__setattr__``, ``__getattribute__`` or
    ``__getattr__`` or bind ``attr`` to anything but a literal (a property or another
    descriptor has a getter and a setter that may raise). Bases from other modules are
    not seen."""
    if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
        return False
    receiver = target.value.value
    cls = func.cls
    if cls is None or func.is_classmethod or receiver != func.self_name:
        return False
    attr = target.attr.value
    if receiver in func.assigned:
        return False
    if "__slots__" in cls.body_names and attr not in _slot_names(cls):
        return False
    for current in analysis.structure.class_bases(cls):
        if current.body_names & _ATTRIBUTE_HOOKS:
            return False
        if attr in current.body_names and not _literal_default(current, attr):
            return False
    return True


def _slot_names(cls: ClassInfo) -> frozenset[str]:
    """The names of ``__slots__ = ('name', 'conn')`` in the class body: a slot the
    instance stores is read and written like a ``__dict__`` entry."""
    names: set[str] = set()
    for statement in block(cls.node.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign):  # ``__slots__: List[str] = [...]``
                targets = [small.target]
            else:
                continue
            if not (
                any(isinstance(t, cst.Name) and t.value == "__slots__" for t in targets)
                and isinstance(small.value, (cst.Tuple, cst.List))
            ):
                continue
            for element in small.value.elements:
                if isinstance(element.value, cst.SimpleString):
                    value = element.value.evaluated_value
                    if isinstance(value, str):
                        names.add(value)
    return frozenset(names)


#: methods that run on every attribute store or read
_ATTRIBUTE_HOOKS = frozenset({"__setattr__", "__getattribute__", "__getattr__"})


def _set_at_construction(
    target: cst.Attribute, analysis: ModuleAnalysis, func: FunctionInfo
) -> bool:
    """Is ``self.attr`` set only in ``__init__`` (or to a class-level literal): a setting
    the constructor fixed, such as a configured limit, so a read finds it with the type
    it was given? An attribute other methods store (``self.balance``) holds whatever a
    thread stored last."""
    cls = func.cls
    if cls is None:
        return False
    key = analysis.symbols.key_of(target, func)
    assigned = list(analysis.symbols.attribute_values.get(key, {}).values()) if key else []
    if not assigned:
        return _literal_default(cls, target.attr.value)
    return all(where.name == "__init__" or _is_literal(value) for value, where in assigned)


#: builtins that make a fresh container; ``dict()`` with no argument, ``{}``, ``[]``...
_DICT_MAKERS = frozenset({"dict"})
_CONTAINER_MAKERS = frozenset({"dict", "list", "set"})


def is_own_container(
    expr: cst.BaseExpression,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    makers: frozenset[str] = _CONTAINER_MAKERS,
) -> bool:
    """A dict (list, set) the function or its class made, not a caller's object: a local
    every binding of which in the function is an empty display or ``dict()``, or a plain
    ``self.attr`` every assignment of which in the module is one (``self.cache =
    dict()`` in ``__init__``)."""
    if isinstance(expr, cst.Name):
        if not func.is_local(expr.value) or expr.value in func.params:
            return False
        made = local_values(expr.value, func)
        return bool(made) and all(_makes_container(v, analysis, func, makers) for v in made or ())
    if not plain_self_attribute(expr, analysis, func):
        return False
    key = analysis.symbols.key_of(expr, func)
    if key is None or key in analysis.symbols.copied_attributes:
        return False  # a copy may be rebound or handed on unseen
    assigned = analysis.symbols.attribute_values.get(key, {}).values()
    return bool(assigned) and all(
        _makes_container(value, analysis, where, makers) for value, where in assigned
    )


def _makes_container(
    value: cst.BaseExpression, analysis: ModuleAnalysis, func: FunctionInfo, makers: frozenset[str]
) -> bool:
    """``{}``, ``[...]``, ``{a, b}``, ``dict()``: a fresh container of one of ``makers``."""
    if isinstance(value, (cst.Dict, cst.List, cst.Set)):
        made = {cst.Dict: "dict", cst.List: "list", cst.Set: "set"}[type(value)]
        return made in makers
    if isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Name):
        name = value.func.value
        return name in makers and means_builtin(name, func)
    return False


def _literal_default(cls: ClassInfo, attr: str) -> bool:
    """Does the class body bind ``attr`` only to literals (``locked = False``)?"""
    found = False
    for statement in block(cls.node.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            targets: list[cst.BaseExpression] = []
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign):
                targets = [target.target for target in small.targets]
                value = small.value
            elif isinstance(small, cst.AnnAssign):
                targets, value = [small.target], small.value
            if not any(isinstance(t, cst.Name) and t.value == attr for t in targets):
                continue
            if value is not None and not _is_literal(value):
                return False
            found = True
    return found  # bound elsewhere (a ``def``, inside an ``if``): not known to be plain


def _is_literal(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.Name):
        return value.value in ("True", "False", "None")
    return isinstance(value, _LITERALS)


def value_cannot_raise(
    value: cst.BaseExpression,
    analysis: ModuleAnalysis,
    func: FunctionInfo,
    keys: Keys | None = None,
) -> bool:
    """Realistically cannot raise: names, literals, tuples of such values, ``+``/``-``/
    ``*`` of them and division by a non-zero literal, comparisons, truth tests and
    ``and``/``or``/``not`` of them, ``a if t else b``, a plain ``self.attr`` the class
    sets, a module's attribute (``sys.stdout``), ``own[key]`` with a key taken from
    ``own``, and the calls of ``_call_cannot_raise``. Not: a caller's object's
    attribute or subscript, any other call."""
    keys = keys or {}

    def safe(inner: cst.BaseExpression) -> bool:
        return value_cannot_raise(inner, analysis, func, keys)

    if isinstance(value, (cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(value, cst.UnaryOperation):
        if isinstance(value.operator, cst.Not):
            return safe(value.expression)
        return isinstance(value.operator, (cst.Minus, cst.Plus)) and isinstance(
            value.expression, (cst.Integer, cst.Float, cst.Imaginary)
        )
    if isinstance(value, cst.BinaryOperation):
        if isinstance(value.operator, _SAFE_OPERATORS):
            return safe(value.left) and safe(value.right)
        if isinstance(value.operator, _DIVISIONS):
            return safe(value.left) and _nonzero_constant(value.right)
        return isinstance(value.operator, cst.Power) and _nonzero_constant(value)
    if isinstance(value, cst.BooleanOperation):
        return safe(value.left) and safe(value.right)
    if isinstance(value, cst.Comparison):
        return safe(value.left) and all(
            safe(target.comparator)
            and (
                not isinstance(target.operator, (cst.In, cst.NotIn))
                or is_own_container(target.comparator, analysis, func)
            )
            for target in value.comparisons
        )
    if isinstance(value, (cst.Tuple, cst.List)) or (
        isinstance(value, cst.Dict) and not value.elements
    ):
        return all(
            not isinstance(element, cst.StarredElement) and safe(element.value)
            for element in value.elements
        )
    if isinstance(value, cst.Attribute):
        return (
            _module_attribute(value, func)
            or (
                plain_self_attribute(value, analysis, func)
                and _set_at_construction(value, analysis, func)
            )
            or int_counter(value, analysis, func)
        )
    if isinstance(value, cst.Subscript):
        return is_own_container(value.value, analysis, func) and _known_key(value, keys)
    if isinstance(value, cst.Call):
        return _call_cannot_raise(value, analysis, func, keys)
    if isinstance(value, cst.IfExp):
        return safe(value.test) and safe(value.body) and safe(value.orelse)
    return False


#: ``/``, ``//``, ``%``: safe when the divisor is a non-zero literal
_DIVISIONS = (cst.Divide, cst.FloorDivide, cst.Modulo)


def _nonzero_constant(value: cst.BaseExpression) -> bool:
    """``1000``, ``10**9``, ``2.5``: a non-zero number written as literals."""
    if isinstance(value, (cst.Integer, cst.Float)):
        return bool(value.evaluated_value)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Power):
        return (
            isinstance(value.left, cst.Integer)
            and isinstance(value.right, cst.Integer)
            and bool(value.left.evaluated_value)
            and 0 <= value.right.evaluated_value <= 64
        )
    return False


def _module_attribute(value: cst.Attribute, func: FunctionInfo) -> bool:
    """``sys.stdout``: an attribute of a module bound by ``import module``."""
    if not isinstance(value.value, cst.Name):
        return False
    name = value.value.value
    scope: FunctionInfo | None = func
    while scope is not None:
        if name in scope.modules:
            return True
        if not scope.is_module and scope.is_local(name):
            return False
        scope = scope.parent
    return False


#: methods of a dict that cannot raise with a hashable key: ``d.get(k)``,
#: ``d.pop(k, default)``, and the views
_DICT_METHODS = {"get": (1, 2), "pop": (2,), "keys": (0,), "values": (0,), "items": (0,)}
#: (method, argument count) -> the containers on which it cannot fail: ``clear()``,
#: ``copy()``, a list's ``append(x)``, a set's ``add(x)`` / ``discard(x)`` of a
#: hashable ``x`` (an element taken from a container, a literal...)
_MUTATORS = {
    ("clear", 0): _CONTAINER_MAKERS,
    ("copy", 0): _CONTAINER_MAKERS,
    ("append", 1): frozenset({"list"}),
    ("add", 1): frozenset({"set"}),
    ("discard", 1): frozenset({"set"}),
}
#: methods of a ``threading.Event`` (which take no lock a caller may hold)
_EVENT_METHODS = frozenset({"set", "clear", "is_set", "isSet"})
#: conversions of a number computed from literals and local values
_NUMBER_CALLS = frozenset({"int", "float", "abs", "round"})


def _call_cannot_raise(
    value: cst.Call, analysis: ModuleAnalysis, func: FunctionInfo, keys: Keys
) -> bool:
    """A clock read with no argument, ``len(own)``, ``int(a - b)``, ``own.get(key)``,
    ``own.pop(key, None)``, ``event.set()``: calls of known code that cannot fail on
    the values they get."""
    if any(arg.keyword is not None or arg.star for arg in value.args):
        return False
    args = [arg.value for arg in value.args]
    if not all(value_cannot_raise(arg, analysis, func, keys) for arg in args):
        return False
    callee = value.func
    if isinstance(callee, cst.Name) and means_builtin(callee.value, func):
        if callee.value == "len":
            return len(args) == 1 and is_own_container(args[0], analysis, func)
        if callee.value in _CONTAINER_MAKERS:
            return not args  # ``dict()``: a new empty container
        if callee.value in _NUMBER_CALLS:
            return len(args) == 1 and isinstance(args[0], (cst.BinaryOperation, cst.Integer))
        return False
    if isinstance(callee, cst.Attribute):
        method = callee.attr.value
        counts = _DICT_METHODS.get(method)
        if counts is not None and len(args) in counts:
            return is_own_container(callee.value, analysis, func, _DICT_MAKERS) and (
                not args or hashable_key(args[0], func, keys)
            )
        if (
            method in _EVENT_METHODS
            and not args
            and analysis.symbols.kind_of(callee.value, func) is Kind.EVENT
        ):
            return True
        makers = _MUTATORS.get((method, len(args)))
        if makers is not None and is_own_container(callee.value, analysis, func, makers):
            return method not in ("add", "discard") or hashable_key(args[0], func, keys)
    qualified = analysis.structure.qualified_name(callee, func)
    if len(args) == 1 and isinstance(args[0], cst.Integer):
        return qualified in _SAFE_INTEGER_CALLS
    return not args and qualified in _SAFE_CALLS


#: annotations of a parameter whose value is hashable
_HASHABLE_TYPES = frozenset({"str", "int", "bytes", "float", "bool", "Hashable"})


def hashable_key(
    key: cst.BaseExpression, func: FunctionInfo, keys: Keys, _seen: frozenset[str] = frozenset()
) -> bool:
    """A key that cannot make a dict raise ``TypeError``: a literal, a name taken from a
    container's keys, a parameter annotated ``str`` (``int``, ``bytes``...: a type
    checker holds every rebinding to it), a local bound only to strings built with a
    literal (``login + ":" + digest``, an f-string), or a tuple of such keys. A caller's
    unannotated argument may be a list."""
    if isinstance(key, (cst.Integer, cst.Float, cst.SimpleString, cst.FormattedString)):
        return True
    if isinstance(key, cst.Tuple):
        return all(
            not isinstance(e, cst.StarredElement) and hashable_key(e.value, func, keys, _seen)
            for e in key.elements
        )
    if isinstance(key, cst.BinaryOperation):
        return _builds_string(key)
    if not isinstance(key, cst.Name) or key.value in _seen:
        return False
    if key.value in keys or key.value in ("True", "False", "None"):
        return True
    if key.value in func.params:
        return _annotated_hashable(key.value, func)
    made = local_values(key.value, func) if func.is_local(key.value) else None
    seen = _seen | {key.value}
    return bool(made) and all(hashable_key(value, func, {}, seen) for value in made or ())


def _builds_string(value: cst.BaseExpression) -> bool:
    """``a + ":" + b``, ``"%s:%s" % (a, b)``: a chain of ``+`` with a string literal in
    it, or ``%`` formatting a literal, makes a string (or raises before the lock)."""
    if not isinstance(value, cst.BinaryOperation):
        return isinstance(value, (cst.SimpleString, cst.FormattedString))
    if isinstance(value.operator, cst.Modulo):
        return isinstance(value.left, cst.SimpleString)
    if not isinstance(value.operator, cst.Add):
        return False
    return _builds_string(value.left) or _builds_string(value.right)


def _annotated_hashable(name: str, func: FunctionInfo) -> bool:
    annotation = parameter_annotation(name, func)
    return isinstance(annotation, cst.Name) and annotation.value in _HASHABLE_TYPES


#: Handlers that catch every exception a caller can reasonably expect: bare ``except:``,
#: ``BaseException`` and ``Exception`` (only ``KeyboardInterrupt`` and ``SystemExit`` pass).
_CATCH_ALL = frozenset({"BaseException", "Exception"})


def catches_all(caught: cst.BaseExpression | None) -> bool:
    """``except:``, ``except Exception:``, ``except (OSError, BaseException):``."""
    return caught is None or catches_one_of(caught, _CATCH_ALL)


def in_try_taking(node: cst.CSTNode, names: frozenset[str], analysis: ModuleAnalysis) -> bool:
    """Is ``node`` in the body of a ``try`` (within its function) that has a bare handler
    or one for one of ``names``?"""
    current: cst.CSTNode | None = node
    while current is not None and not isinstance(current, cst.FunctionDef):
        parent = analysis.parent_of(current)
        if (
            isinstance(parent, cst.Try)
            and current is parent.body
            and any(
                handler.type is None or catches_one_of(handler.type, names)
                for handler in parent.handlers
            )
        ):
            return True
        current = parent
    return False


def catches_one_of(caught: cst.BaseExpression | None, names: frozenset[str]) -> bool:
    """Does the handler's type name one of ``names`` (``except OSError:``,
    ``except (ValueError, socket.error):``, alone or in a tuple)?"""
    if isinstance(caught, cst.Tuple):
        return any(catches_one_of(element.value, names) for element in caught.elements)
    name = caught.attr.value if isinstance(caught, cst.Attribute) else None
    if isinstance(caught, cst.Name):
        name = caught.value
    return name in names
