"""Which names and attributes hold locks, conditions, executors, ... (resolved, not guessed).

A symbol is identified by a key:
- ``("global", name)``: a module global;
- ``("attr", class_qualname, attr)``: an attribute of the module's class, reached as
  ``self.attr``, ``cls.attr``, ``type(self).attr``, ``Cls.attr`` or through an instance
  stored in a global;
- ``("local", function_qualname, name)``: a local (or closure) variable;
- ``("use", scope, "a.b.c")``: an object reached through something the analysis cannot
  type (a parameter's attribute, another object's lock), known only by how it is used
  (``usage.py``); the scope is the class for ``self.…`` chains, else the function or
  module where the chain's first name lives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis.kinds import (
    CONTEXT_LOCALS,
    FUTURE_METHODS,
    LOCKLIKE,
    Kind,
    kind_of_factory,
    kind_of_final_name,
)
from tsafe_lint.analysis.scopes import (
    ClassInfo,
    FunctionInfo,
    ModuleStructure,
    block,
    dotted_name,
    is_docstring,
)
from tsafe_lint.analysis.tree import NOT_RUN, names_bound_by, single_bindings, walk

SymbolKey = tuple[str, ...]
#: a value assigned to an attribute, and the function that assigns it
AssignedValue = tuple[cst.BaseExpression, "FunctionInfo"]


def _made_by_factory_keyword(
    call: cst.Call, func: FunctionInfo, structure: ModuleStructure
) -> Kind | None:
    """The kind a ``factory=``/``default_factory=`` keyword names, when it is a known
    concurrency factory (``threading.RLock``), whatever the declaring call is."""
    factory = argument(call, None, "default_factory") or argument(call, None, "factory")
    if factory is None:
        return None
    return kind_of_factory(structure.qualified_name(factory, func))


def _unsubscripted(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``queue.Queue[_T]`` -> ``queue.Queue``."""
    return expr.value if isinstance(expr, cst.Subscript) else expr


#: The standard queues whose subclasses inherit ``mutex`` and its Conditions.
_QUEUE_CLASSES = frozenset({"queue.Queue", "queue.LifoQueue", "queue.PriorityQueue"})
_QUEUE_CONDITIONS = ("not_empty", "not_full", "all_tasks_done")


@dataclass
class SymbolInfo:
    """What is known of a symbol: its kind or the module class it is an instance of."""

    key: SymbolKey
    display: str
    kind: Kind | None = None
    instance_of: ClassInfo | None = None
    underlying: SymbolKey | None = None
    created_at: cst.CSTNode | None = None
    created_in: FunctionInfo | None = None
    fresh: bool = False  # made here by a factory call (not an alias, not a parameter)
    alias_of: SymbolKey | None = None  # ``lock = self._lock``: the same object
    evidence: str | None = None  # why the kind was inferred from use (``usage.py``)
    #: a list or tuple of locks (``self.locks = [mp_lock, th_lock]``): the kind a loop
    #: over it gives its variable (``Lock`` when any element is not reentrant)
    element_kind: Kind | None = None
    #: a dict of locks made on first use (``defaultdict(threading.Lock)``): the kind of its
    #: values, held by ``with self._locks[key]:`` (its keys are anything)
    value_kind: Kind | None = None
    #: made by a base class of another module (``ProjectContext.inherited_kinds``)
    inherited: bool = False

    @property
    def is_parameter(self) -> bool:
        return isinstance(self.created_at, cst.Param)

    @property
    def made_by(self) -> cst.Call | None:
        """The call whose value the symbol was bound to (``x = threading.Lock()``)."""
        node = self.created_at
        if isinstance(node, (cst.Assign, cst.AnnAssign)) and isinstance(node.value, cst.Call):
            return node.value
        return None


def display_name(key: SymbolKey) -> str:
    """How a message names a symbol: ``lock``, ``Account._lock``."""
    if key[0] == "attr":
        return f"{key[1].rsplit('.', 1)[-1]}.{key[2]}" if len(key) == 3 else key[1]
    return key[-1]


#: Methods of a container that return one of its elements.
_ELEMENT_READS = frozenset({"get", "pop"})
#: Builtins that copy what they are handed into a new list or tuple, in the same order or
#: sorted: a loop over the copy visits the same elements.
_COPIES = frozenset({"list", "tuple", "sorted"})
#: Builtins that make empty containers whose loop visits their elements (a dict's
#: visits its keys); ``collections.deque`` too.
_SEQUENCES = frozenset({"list", "set"})


def element_read(value: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """The container when ``value`` reads one of its elements: ``c[k]``, ``c.get(k)``,
    ``c.get(k, None)``, ``c.pop(k)``, ``c.pop(k, None)``, ``c.pop()`` (a default other
    than ``None`` may be an object of another class; a slice is a container)."""
    if isinstance(value, cst.Subscript):
        single = len(value.slice) == 1 and isinstance(value.slice[0].slice, cst.Index)
        return value.value if single else None
    if not (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in _ELEMENT_READS
    ):
        return None
    args = value.args
    if any(arg.keyword is not None or arg.star for arg in args) or len(args) > 2:
        return None
    if len(args) == 2 and not (
        isinstance(args[1].value, cst.Name) and args[1].value.value == "None"
    ):
        return None
    return value.func.value


def means_builtin(name: str, func: FunctionInfo) -> bool:
    """Does ``name`` in ``func`` mean the builtin: bound by no import, assignment,
    definition or parameter of ``func``, the scopes around it or the module?"""
    current: FunctionInfo | None = func
    while current is not None:
        if name in current.imports or name in current.assigned or name in current.params:
            return False
        current = current.parent
    return True


class SymbolTable:
    """Resolves expressions to symbol keys and knows each symbol's kind."""

    def __init__(
        self,
        structure: ModuleStructure,
        external: dict[str, Kind] | None = None,
        made: dict[str, Kind | None] | None = None,
        inherited: dict[str, dict[str, Kind]] | None = None,
    ) -> None:
        self.structure = structure
        #: the package's own classes named like a threading primitive, imported from
        #: other modules: the kind of their objects (``primitive_classes``)
        self.made = made or {}
        self.symbols: dict[SymbolKey, SymbolInfo] = {}
        imported = set(structure.module_scope.imports.values())
        # a request's own objects behind a module-level name (``flask.session``): only
        # those the module imports, so that other modules resolve no more names
        context = {name: kind for name, kind in CONTEXT_LOCALS.items() if name in imported}
        self.external = {**context, **(external or {})}
        self._used = False  # are there symbols known by use only (``("use", ...)`` keys)?
        #: every value assigned to each attribute (``self.a = v``, ``a = v`` in a class
        #: body), with where: ``attribute_classes.py`` infers attribute classes from them
        self.attribute_values: dict[SymbolKey, dict[cst.CSTNode, AssignedValue]] = {}
        #: attributes that hold an instance of an imported class, by its real name
        #: (``("attr", "Conn", "_protocol")`` -> ``pkg.parser.Protocol``)
        self.imported_classes: dict[SymbolKey, str] = {}
        #: every value stored into an attribute's container (``self.a[k] = v``), with
        #: where, and the attributes copied into another name (``r = self.a``): an
        #: alias can fill the container unseen (``attribute_classes.py``)
        self.element_values: dict[SymbolKey, dict[cst.CSTNode, AssignedValue]] = {}
        self.copied_attributes: set[SymbolKey] = set()
        #: container attributes filled by ``+=``/``|=``, returned, or handed on inside a
        #: tuple, list, set or dict display (``attribute_classes._escaped``)
        self.escaped_containers: set[SymbolKey] | None = None
        #: the one module class of every element of a container attribute
        self.element_classes: dict[SymbolKey, ClassInfo] = {}
        #: per function: each assignment target's value (``_assigned_value``)
        self._assigned_values: dict[FunctionInfo, dict[int, cst.BaseExpression]] = {}
        #: per function: ``plain_assignments``
        self._plain_assignments: dict[FunctionInfo, dict[str, list[cst.BaseExpression] | None]] = {}
        self._single_bindings: dict[FunctionInfo, dict[str, cst.CSTNode]] = {}
        for qualified, kind in self.external.items():
            key: SymbolKey = ("ext", qualified)
            self.symbols[key] = SymbolInfo(key, qualified.rsplit(".", 1)[-1], kind)
        self._inherited_queue_locks()
        self._inherited_attributes(inherited or {})
        for _ in range(2):  # a second pass resolves references to later definitions
            self._collect()
        #: the class each attribute's own constructor call gives it (``_lock =
        #: WriteLock()`` in a class body), before ``attribute_classes.py`` weighs every
        #: assignment: an injected replacement (``set_lock(lock)``) does not unmake the
        #: default object's class
        self.constructed_classes: dict[SymbolKey, ClassInfo] = {
            key: info.instance_of
            for key, info in self.symbols.items()
            if key[0] == "attr" and info.instance_of is not None
        }

    def _inherited_queue_locks(self) -> None:
        """A subclass of ``queue.Queue`` inherits its lock and the three Conditions built
        on it: ``self.mutex``, ``self.not_empty``, ``self.not_full`` and
        ``self.all_tasks_done``. Holding one of them holds them all (an overridden
        ``put`` that holds ``not_full`` may ``not_empty.notify()``)."""
        module = self.structure.module_scope
        for cls in self.structure.classes.values():
            bases = {
                self.structure.qualified_name(_unsubscripted(base.value), module)
                for base in cls.node.bases
            }
            if not bases & _QUEUE_CLASSES:
                continue
            mutex: SymbolKey = ("attr", cls.qualname, "mutex")
            self.symbols[mutex] = SymbolInfo(mutex, f"{cls.node.name.value}.mutex", Kind.LOCK)
            for name in _QUEUE_CONDITIONS:
                key: SymbolKey = ("attr", cls.qualname, name)
                self.symbols[key] = SymbolInfo(
                    key, f"{cls.node.name.value}.{name}", Kind.CONDITION, underlying=mutex
                )

    def _inherited_attributes(self, inherited: dict[str, dict[str, Kind]]) -> None:
        """The attributes a base class of another module of the package makes
        (``self._semaphore = Semaphore(1)`` in ``robots.Robot.__init__``) have their kind in
        the subclass too; an assignment of the subclass's own replaces it."""
        for qualname, attributes in inherited.items():
            if qualname not in self.structure.classes:
                continue
            for attr, kind in attributes.items():
                key: SymbolKey = ("attr", qualname, attr)
                self.symbols[key] = SymbolInfo(key, display_name(key), kind, inherited=True)

    # -- resolution --------------------------------------------------------------
    def key_of(self, expr: cst.BaseExpression, func: FunctionInfo) -> SymbolKey | None:
        """The symbol ``expr`` denotes when evaluated in ``func``, if it is one we track."""
        if self.external:
            qualified = self.structure.qualified_name(expr, func)
            if qualified is not None and qualified in self.external:
                return ("ext", qualified)
        if isinstance(expr, cst.Name):
            return self._name_key(expr.value, func)
        if isinstance(expr, cst.Attribute):
            cls = self.class_of_receiver(expr.value, func)
            if cls is not None:
                return self._attr_key(cls, expr.attr.value)
            if self._used:
                used = self.use_key(expr, func)
                if used in self.symbols:
                    return used
        return None

    def receiver_key(self, expr: cst.BaseExpression, func: FunctionInfo) -> SymbolKey | None:
        """The key of ``expr`` as a receiver of method calls: its symbol, or its use key."""
        return self.key_of(expr, func) or self.use_key(expr, func)

    def use_key(self, expr: cst.BaseExpression, func: FunctionInfo) -> SymbolKey | None:
        """``("use", scope, "a.b.c")`` for a chain of names and attributes."""
        text = dotted_name(expr)
        if text is None:
            return None
        root, _, rest = text.partition(".")
        method = method_scope(func)
        if (
            method is not None
            and method.cls is not None
            and root == method.self_name
            and (method is func or not func.is_local(root))
        ):
            return ("use", method.cls.qualname, "self." + rest if rest else "self")
        scope = func.binding_function(root)
        return ("use", scope.qualname if scope is not None else "<module>", text)

    def add_inferred(self, info: SymbolInfo) -> None:
        """Record a symbol typed by its use (``usage.py``)."""
        self.symbols[info.key] = info
        if info.key[0] == "use":
            self._used = True

    def _name_key(self, name: str, func: FunctionInfo) -> SymbolKey:
        scope = func.binding_function(name)
        return ("local", scope.qualname, name) if scope is not None else ("global", name)

    def _attr_key(self, cls: ClassInfo, attr: str, depth: int = 0) -> SymbolKey:
        for current in self.structure.class_bases(cls):
            key: SymbolKey = ("attr", current.qualname, attr)
            if key in self.symbols or attr in current.body_names:
                if depth < 3 and attr in current.methods:
                    return self._property_lock(cls, current, attr, depth) or key
                return key
        return ("attr", cls.qualname, attr)

    def _overridden(self, owner: ClassInfo, attr: str) -> bool:
        """Does a subclass of ``owner`` in the module define ``attr`` again? Then the
        owner's own methods may read another lock through it."""
        return any(
            cls is not owner
            and attr in cls.body_names
            and owner in list(self.structure.class_bases(cls))
            for cls in self.structure.classes.values()
        )

    def _property_lock(
        self, cls: ClassInfo, owner: ClassInfo, attr: str, depth: int
    ) -> SymbolKey | None:
        """A read-only property that only returns one of the object's locks is that lock
        (``@property def synchronizer(self): return self._cv``): ``with
        self.synchronizer:`` holds ``self._cv`` (pytrain-ogr, ninetieth set). Not one
        with a setter or deleter, whose value can be replaced, one a subclass defines
        again, nor a getter that does more than return."""
        getter = owner.methods[attr]
        if not getter.is_property or getter.self_name is None:
            return None
        if len(_definitions(owner, attr)) != 1 or self._overridden(owner, attr):
            return None
        assert isinstance(getter.node, cst.FunctionDef)
        statements = [s for s in block(getter.node.body) if not is_docstring(s)]
        if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine):
            return None
        returned = statements[0].body[0]
        value = returned.value if isinstance(returned, cst.Return) else None
        if not (
            isinstance(value, cst.Attribute)
            and isinstance(value.value, cst.Name)
            and value.value.value == getter.self_name
            and value.attr.value != attr
        ):
            return None
        key = self._attr_key(cls, value.attr.value, depth + 1)
        info = self.symbols.get(key)
        return key if info is not None and info.kind in LOCKLIKE else None

    def class_of_receiver(
        self, receiver: cst.BaseExpression, func: FunctionInfo
    ) -> ClassInfo | None:
        """The module class whose attributes ``receiver.x`` reaches, if known."""
        method = method_scope(func)
        if isinstance(receiver, cst.Name):
            if (
                method is not None
                and receiver.value == method.self_name
                and method.cls
                and (method is func or not func.is_local(receiver.value))
            ):
                return method.cls
            cls = self.structure.class_named(receiver.value, func)
            if cls is not None and not func.is_local(receiver.value):
                return cls
            info = self.symbols.get(self._name_key(receiver.value, func))
            if info is not None:
                return info.instance_of
            return self._element_local_class(receiver.value, func)
        if (
            isinstance(receiver, cst.Call)
            and isinstance(receiver.func, cst.Name)
            and receiver.func.value == "type"
            and len(receiver.args) == 1
            and method is not None
            and isinstance(receiver.args[0].value, cst.Name)
            and receiver.args[0].value.value == method.self_name
        ):
            return method.cls
        if isinstance(receiver, cst.Attribute):
            key = self.key_of(receiver, func)
            info = self.symbols.get(key) if key else None
            if info is not None:
                return info.instance_of
        if isinstance(receiver, cst.Subscript) and self.element_classes:
            key = self.key_of(receiver.value, func)
            return self.element_classes.get(key) if key is not None else None
        return None

    def bound_once(self, name: str, func: FunctionInfo) -> cst.CSTNode | None:
        """The node that binds local ``name`` when ``func`` binds it exactly once (and it
        is no parameter): the one value it can hold."""
        node = func.node
        if not isinstance(node, cst.FunctionDef) or name in func.params:
            return None
        known = self._single_bindings.get(func)
        if known is None:
            known = self._single_bindings[func] = single_bindings(node)
        return known.get(name)

    def _element_local_class(self, name: str, func: FunctionInfo) -> ClassInfo | None:
        """``for mbox in self.boxes.values(): mbox.m()`` (or over a copy of them, or over a
        list, set or deque attribute itself), or ``mbox = self.boxes.pop(key, None); mbox.m()``:
        the class of the elements of a container attribute (``element_classes``), for a
        local bound only there."""
        bound = self.bound_once(name, func) if self.element_classes else None
        if isinstance(bound, cst.AssignTarget):
            if not isinstance(bound.target, cst.Name):
                return None  # ``a, b = self.boxes[k]``, ``state.box = ...``: not the element
            container = element_read(self._assigned_value(bound, func))
            key = self.key_of(container, func) if container is not None else None
            return self.element_classes.get(key) if key is not None else None
        if not isinstance(bound, cst.For) or not isinstance(bound.target, cst.Name):
            return None
        values = bound.iter
        if (
            isinstance(values, cst.Call)
            and isinstance(values.func, cst.Name)
            and values.func.value in _COPIES
            and len(values.args) == 1
            and not values.args[0].star
            and means_builtin(values.func.value, func)
        ):
            values = values.args[0].value  # a copy: ``list(self.boxes.values())``
        if (
            isinstance(values, cst.Call)
            and not values.args
            and isinstance(values.func, cst.Attribute)
            and values.func.attr.value == "values"
        ):
            key = self.key_of(values.func.value, func)
        elif isinstance(values, cst.Attribute):
            key = self.key_of(values, func)  # ``for item in self.items``: a list or a set
            if key is None or not self._sequence(key):
                return None
        else:
            return None
        return self.element_classes.get(key) if key is not None else None

    def _sequence(self, key: SymbolKey) -> bool:
        """Does every value assigned to the attribute make an empty list, set or deque (so
        a loop over it gives its elements, not the keys of a dict)?"""
        assigned = self.attribute_values.get(key)
        if not assigned:
            return False
        for value, func in assigned.values():
            if isinstance(value, (cst.List, cst.Set)) and not value.elements:
                continue
            if isinstance(value, cst.Call) and not value.args:
                callee = value.func
                name = callee.value if isinstance(callee, cst.Name) else None
                if name in _SEQUENCES and means_builtin(name, func):
                    continue
                if self.structure.qualified_name(callee, func) == "collections.deque":
                    continue
            return False
        return True

    def plain_assignments(self, func: FunctionInfo) -> dict[str, list[cst.BaseExpression] | None]:
        """Per local of ``func``'s own code: the values of its ``name = value`` statements,
        or None when it is bound any other way too (a loop, a ``with``, an unpacking, an
        augmented or annotated assignment, several targets, ``global``, a ``case``
        capture). Parameters and nested functions' locals are not looked at. Computed
        once per function."""
        known = self._plain_assignments.get(func)
        if known is not None:
            return known
        found: dict[str, list[cst.BaseExpression] | None] = {}
        plain_targets: set[int] = set()
        node = func.node
        if isinstance(node, cst.FunctionDef):
            for part in walk(node.body, skip=NOT_RUN):
                if (
                    isinstance(part, cst.Assign)
                    and len(part.targets) == 1
                    and isinstance(part.targets[0].target, cst.Name)
                ):
                    plain_targets.add(id(part.targets[0]))
                    values = found.setdefault(part.targets[0].target.value, [])
                    if values is not None:
                        values.append(part.value)
                elif id(part) not in plain_targets:
                    for name in names_bound_by(part):
                        found[name] = None
        self._plain_assignments[func] = found
        return found

    def _assigned_value(
        self, target: cst.AssignTarget, func: FunctionInfo
    ) -> cst.BaseExpression | None:
        """The value of the ``name = value`` statement that ``target`` belongs to (the
        function's statements are indexed once)."""
        known = self._assigned_values.get(func)
        if known is None:
            known = self._assigned_values[func] = {
                id(each): node.value
                for node in walk(func.node)
                if isinstance(node, cst.Assign)
                for each in node.targets
            }
        return known.get(id(target))

    def info(self, expr: cst.BaseExpression, func: FunctionInfo) -> SymbolInfo | None:
        key = self.key_of(expr, func)
        return self.symbols.get(key) if key is not None else None

    def kind_of(self, expr: cst.BaseExpression, func: FunctionInfo) -> Kind | None:
        """The kind of object ``expr`` evaluates to, from a factory call or a typed symbol."""
        info = self.info(expr, func)
        if info is not None:
            return info.kind
        if isinstance(expr, cst.Call):
            return self._value_info(expr, func)[0]
        return None

    # -- typing ------------------------------------------------------------------
    def value_info(
        self, value: cst.BaseExpression, func: FunctionInfo
    ) -> tuple[Kind | None, ClassInfo | None, SymbolKey | None]:
        """(kind, instance_of, underlying lock) of the object ``value`` evaluates to."""
        return self._value_info(value, func)

    def recollect(self) -> None:
        """Type the names again (local copies of attributes whose class was inferred)."""
        self._collect()

    def _value_info(
        self, value: cst.BaseExpression, func: FunctionInfo
    ) -> tuple[Kind | None, ClassInfo | None, SymbolKey | None]:
        """(kind, instance_of, underlying lock) of the object ``value`` evaluates to."""
        if isinstance(value, cst.Call):
            qualified = self.structure.qualified_name(value.func, func)
            kind = kind_of_factory(qualified)
            if kind is Kind.CONDITION:
                lock_arg = argument(value, 0, "lock")
                underlying = self.key_of(lock_arg, func) if lock_arg is not None else None
                return kind, None, underlying
            if kind is not None:
                return kind, None, None
            if qualified in self.made:  # the project's own class: what its body makes
                return self.made[qualified], None, None
            attribute = value.func.attr.value if isinstance(value.func, cst.Attribute) else None
            final = kind_of_final_name(qualified, attribute)
            if final is not None:
                return final, None, None
            if isinstance(value.func, cst.Name) and not func.is_local(value.func.value):
                cls = self.structure.class_named(value.func.value, func)
                if cls is not None:
                    return None, cls, None
            returned = self._annotated_return(value.func, func)
            if returned is not None:
                return None, returned, None
            made = _made_by_factory_keyword(value, func, self.structure)
            if made is not None:
                # a declared member (``dataclasses.field(default_factory=Lock)``, attrs'
                # ``attr.ib(factory=Lock)``, atom's ``Value(factory=RLock)``): each
                # instance gets what the factory makes
                return made, None, None
            if isinstance(value.func, cst.Attribute) and value.func.attr.value in FUTURE_METHODS:
                receiver = self.kind_of(value.func.value, func)
                if receiver in (Kind.THREAD_POOL, Kind.PROCESS_POOL):
                    return Kind.FUTURE, None, None
            return None, None, None
        if isinstance(value, (cst.Name, cst.Attribute)):
            info = self.info(value, func)
            if info is not None:
                return info.kind, info.instance_of, info.underlying
        if isinstance(value, cst.IfExp):
            return self._given_or_made(value.body, value.orelse, func)
        if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
            return self._given_or_made(value.left, value.right, func)
        return None, None, None

    def _annotated_return(self, callee: cst.BaseExpression, func: FunctionInfo) -> ClassInfo | None:
        """The module class that a function of the module, called as ``callee``, says it
        returns (``def _engine_for(self, config) -> "DQEngine":``): ``engine =
        self._engine_for(config)`` holds one, and ``engine.apply(...)`` runs its method.
        Only a module-level function called by its name or a method called on ``self``;
        the annotation is the class's bare name, or that name in quotes."""
        target: FunctionInfo | None = None
        if isinstance(callee, cst.Name) and not func.is_local(callee.value):
            target = self.structure.function_named(callee.value)
            if target is not None and (target.cls is not None or target.is_module):
                target = None
        elif isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name):
            method = method_scope(func)
            if (
                method is not None
                and method.cls is not None
                and callee.value.value == method.self_name
                and (method is func or not func.is_local(callee.value.value))
            ):
                target = self.structure.method(method.cls, callee.attr.value)
        if target is None or not isinstance(target.node, cst.FunctionDef):
            return None
        returns = target.node.returns
        if returns is None:
            return None
        annotation = returns.annotation
        name: str | None = None
        if isinstance(annotation, cst.Name):
            name = annotation.value
        elif isinstance(annotation, cst.SimpleString):
            text = annotation.evaluated_value
            if isinstance(text, str) and text.isidentifier():
                name = text
        if name is None or target.parent is None:
            return None
        return self.structure.class_named(name, target.parent)

    def _given_or_made(
        self, first: cst.BaseExpression, second: cst.BaseExpression, func: FunctionInfo
    ) -> tuple[Kind | None, ClassInfo | None, SymbolKey | None]:
        """``lock if lock is not None else threading.RLock()``, ``lock or Lock()``: the
        caller's object or one made here; what is made here says which kind the caller
        is expected to give."""
        for made, given in ((first, second), (second, first)):
            if isinstance(given, cst.Name) and given.value in func.params:
                kind, _, underlying = self._value_info(made, func)
                if kind is not None:
                    return kind, None, underlying
        return None, None, None

    def _record(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        func: FunctionInfo,
        cls_body: ClassInfo | None,
        annotation: cst.BaseExpression | None = None,
        node: cst.CSTNode | None = None,
    ) -> None:
        if (
            isinstance(target, (cst.Tuple, cst.List))
            and isinstance(value, (cst.Tuple, cst.List))
            and len(target.elements) == len(value.elements)
        ):
            for target_element, value_element in zip(target.elements, value.elements):
                self._record(target_element.value, value_element.value, func, cls_body, node=node)
            return
        if isinstance(target, cst.Subscript):
            self._record_element_value(target, value, func, node)
            return
        if isinstance(value, cst.Attribute):
            copied = self.key_of(value, func)
            if copied is not None and copied[0] == "attr":
                self.copied_attributes.add(copied)
        if cls_body is not None and isinstance(target, cst.Name):
            key: SymbolKey | None = ("attr", cls_body.qualname, target.value)
        else:
            key = self.key_of(target, func)
        if key is None:
            return
        if key[0] == "attr" and value is not None and node is not None:
            self.attribute_values.setdefault(key, {})[node] = (value, func)
        kind: Kind | None = None
        instance_of = underlying = None
        if value is not None:
            kind, instance_of, underlying = self._value_info(value, func)
            if kind is Kind.CONDITION and cls_body is not None:
                underlying = self._class_body_name(value, cls_body) or underlying
        if kind is None and instance_of is None and annotation is not None:
            kind = kind_of_factory(self.structure.qualified_name(annotation, func))
            if kind is None and isinstance(node, cst.Param) and node.name.value == "self":
                instance_of = self._annotated_class(annotation, func)
        element_kind = self._element_kind(value, func) if value is not None else None
        value_kind = (
            self._defaultdict_of_locks(value, func) if isinstance(value, cst.Call) else None
        )
        if kind is None and instance_of is None and element_kind is None and value_kind is None:
            return
        existing = self.symbols.get(key)
        if (
            existing is not None
            and not existing.inherited
            and existing.created_at is not node
            and existing.kind != kind
            and not self._shadows_class_body(existing, func, cls_body)
        ):
            # Conflicting definitions: keep the first, it is the one most code sees (a
            # base class's of another module: the class's own code sees its own).
            return
        alias_of = (
            self.key_of(value, func) if isinstance(value, (cst.Name, cst.Attribute)) else None
        )
        self.symbols[key] = SymbolInfo(
            key,
            display_name(key),
            kind,
            instance_of,
            underlying,
            node,
            func,
            fresh=isinstance(value, cst.Call),
            alias_of=alias_of if alias_of != key else None,
            evidence=self._named_factory(key, kind, value, func),
            element_kind=element_kind,
            value_kind=value_kind,
        )

    def _class_body_name(self, made: cst.BaseExpression, cls: ClassInfo) -> SymbolKey | None:
        """The class attribute a Condition made in a class body is built on, when its lock
        argument is a name the body bound before (``_lock = RLock()`` then ``_condition =
        Condition(lock=_lock)``: in a class body the name is the class's, not a global;
        grpcio's channel cache, seventy-second set: four findings judged false)."""
        lock_arg = argument(made, 0, "lock") if isinstance(made, cst.Call) else None
        if not isinstance(lock_arg, cst.Name):
            return None
        key: SymbolKey = ("attr", cls.qualname, lock_arg.value)
        return key if key in self.symbols else None

    @staticmethod
    def _shadows_class_body(
        existing: SymbolInfo, func: FunctionInfo, cls_body: ClassInfo | None
    ) -> bool:
        """Does a store in ``__init__`` give each object an attribute of its own over the
        class body's (``_lock = Lock()`` for the class's ``cls._lock``, then ``self._lock =
        RLock()``)? The methods then see the object's (routilux's registries, seventieth
        set: four findings took ``self._lock`` for the class's plain Lock)."""
        made_in = existing.created_in
        return (
            cls_body is None
            and func.name == "__init__"
            and made_in is not None
            and made_in.is_module
            and isinstance(existing.created_at, (cst.Assign, cst.AnnAssign))
        )

    def _annotated_class(
        self, annotation: cst.BaseExpression, func: FunctionInfo
    ) -> ClassInfo | None:
        """The module class a ``self`` parameter's annotation names: a decorator's
        wrapper (``def wrapper(self: "Connection", ...)``) runs as a method of that class.
        Other annotations are not read: they often name an interface (``conn:
        ConnectionInterface``), and its subclasses in the module are not the object."""
        name = annotation
        if isinstance(annotation, cst.SimpleString):
            text = annotation.evaluated_value
            if not isinstance(text, str) or not text.isidentifier():
                return None
            name = cst.Name(text)
        if not isinstance(name, cst.Name) or func.is_local(name.value):
            return None
        return self.structure.class_named(name.value, func)

    def _record_element_value(
        self,
        target: cst.Subscript,
        value: cst.BaseExpression | None,
        func: FunctionInfo,
        node: cst.CSTNode | None,
    ) -> None:
        """``self.readers[socket] = reader``: a value stored into an attribute's container."""
        if value is None or node is None or not isinstance(target.value, cst.Attribute):
            return
        key = self.key_of(target.value, func)
        if key is not None and key[0] == "attr":
            self.element_values.setdefault(key, {})[node] = (value, func)

    def _element_kind(self, value: cst.BaseExpression, func: FunctionInfo) -> Kind | None:
        """The kind of every element of a literal list or tuple of locks, or of a filtered
        copy of one (``[lk for lk in [a, b] if lk is not None]``): ``Lock`` if any is a
        Lock, ``RLock`` if all are RLocks; None for anything else."""
        if isinstance(value, (cst.ListComp, cst.GeneratorExp)):
            loop = value.for_in
            if (
                loop.inner_for_in is None
                and isinstance(loop.target, cst.Name)
                and isinstance(value.elt, cst.Name)
                and value.elt.value == loop.target.value
            ):
                return self._element_kind(loop.iter, func)
            return None
        if not isinstance(value, (cst.List, cst.Tuple)) or not value.elements:
            return None
        kinds = set()
        for element in value.elements:
            if isinstance(element, cst.StarredElement):
                return None
            info = self.info(element.value, func)
            if info is None or info.kind not in (Kind.LOCK, Kind.RLOCK):
                return None
            kinds.add(info.kind)
        return Kind.LOCK if Kind.LOCK in kinds else Kind.RLOCK

    def _defaultdict_of_locks(self, value: cst.Call, func: FunctionInfo) -> Kind | None:
        """``defaultdict(threading.Lock)`` or ``defaultdict(lambda: RLock())``: a lock per
        key, made on first use (``with self._locks[key]:``)."""
        qualified = self.structure.qualified_name(value.func, func)
        if qualified != "collections.defaultdict" or not value.args:
            return None
        factory = value.args[0].value
        if isinstance(factory, cst.Lambda) and isinstance(factory.body, cst.Call):
            if factory.body.args:
                return None
            factory = factory.body.func
        kind = kind_of_factory(self.structure.qualified_name(factory, func))
        return kind if kind in (Kind.LOCK, Kind.RLOCK) else None

    def _named_factory(
        self,
        key: SymbolKey,
        kind: Kind | None,
        value: cst.BaseExpression | None,
        func: FunctionInfo,
    ) -> str | None:
        """The evidence for a kind known only by its factory's last name (``ctx.Lock()``,
        ``etcd.Lock(...)``): it may be some other library's lock."""
        if kind is None or not isinstance(value, cst.Call):
            return None
        qualified = self.structure.qualified_name(value.func, func)
        attribute = value.func.attr.value if isinstance(value.func, cst.Attribute) else None
        if (
            kind_of_factory(qualified) is not None
            or qualified in self.made
            or kind_of_final_name(qualified, attribute) is None
        ):
            return None
        made_by = dotted_name(value.func) or "a factory"
        return f"'{display_name(key)}' is taken for a {kind.value}: it is made by '{made_by}()'"

    def _collect(self) -> None:
        for func in self.structure.functions:
            if not func.is_module:
                self._collect_params(func)
            self._collect_block(func.body(), func, None)

    def _collect_params(self, func: FunctionInfo) -> None:
        node = func.node
        assert isinstance(node, cst.FunctionDef)
        for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            if param.annotation is not None:
                self._record(param.name, None, func, None, param.annotation.annotation, param)

    def _collect_block(
        self,
        statements: Sequence[cst.BaseStatement],
        func: FunctionInfo,
        cls_body: ClassInfo | None,
    ) -> None:
        for statement in statements:
            self._collect_statement(statement, func, cls_body)

    def _collect_statement(
        self, statement: cst.BaseStatement, func: FunctionInfo, cls_body: ClassInfo | None
    ) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        self._record(target.target, small.value, func, cls_body, node=small)
                elif isinstance(small, cst.AnnAssign):
                    self._record(
                        small.target,
                        small.value,
                        func,
                        cls_body,
                        small.annotation.annotation,
                        node=small,
                    )
            return
        if isinstance(statement, cst.FunctionDef):
            return
        if isinstance(statement, cst.ClassDef):
            cls = self.structure.classes.get(self._class_qualname(statement, func, cls_body))
            if cls is not None:
                self._collect_block(block(statement.body), func, cls)
            return
        if isinstance(statement, cst.With):
            for item in statement.items:
                if item.asname is not None:
                    self._record(item.asname.name, item.item, func, cls_body, node=item)
        if isinstance(statement, cst.For) and isinstance(statement.target, cst.Name):
            self._record_element(statement.target, statement.iter, func, statement)
        for suite in suites(statement):
            self._collect_block(block(suite), func, cls_body)

    def _record_element(
        self, target: cst.Name, iterable: cst.BaseExpression, func: FunctionInfo, node: cst.For
    ) -> None:
        """``for lock in self.locks:`` over a list of locks: ``lock`` is one of them."""
        info = self.info(iterable, func)
        if info is None or info.element_kind is None:
            return
        key = self.key_of(target, func)
        if key is not None and key not in self.symbols:
            self.symbols[key] = SymbolInfo(
                key, display_name(key), info.element_kind, created_at=node, created_in=func
            )

    def _class_qualname(
        self, node: cst.ClassDef, func: FunctionInfo, cls_body: ClassInfo | None
    ) -> str:
        if cls_body is not None:
            return f"{cls_body.qualname}.{node.name.value}"
        if func.is_module:
            return node.name.value
        return f"{func.qualname}.<locals>.{node.name.value}"


def _definitions(cls: ClassInfo, name: str) -> list[cst.FunctionDef]:
    """The functions of ``cls``'s body named ``name``: a property's getter, setter and
    deleter are three."""
    return [
        statement
        for statement in block(cls.node.body)
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name
    ]


def method_scope(func: FunctionInfo) -> FunctionInfo | None:
    """The method whose ``self`` is visible in ``func`` (itself, or an enclosing method)."""
    current: FunctionInfo | None = func
    while current is not None and not current.is_module:
        if current.cls is not None:
            return current
        current = current.parent
    return None


def argument(call: cst.Call, position: int | None, keyword: str) -> cst.BaseExpression | None:
    """The argument passed as ``keyword=`` or at ``position`` (positional), if any."""
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
        elif arg.star == "":
            if positional == position:
                return arg.value
            positional += 1
    return None


def counts_signals(info: SymbolInfo | None) -> bool:
    """Is it a semaphore made with nothing to take (``Semaphore(0)``)? Its ``acquire()``
    waits for another thread's ``release()``, a completion signal (a callback releases
    it when the result is in), not a lock taken to be given back."""
    if info is None or info.kind not in (Kind.SEMAPHORE, Kind.BOUNDED_SEMAPHORE):
        return False
    made = info.made_by
    if made is None:
        return False
    value = argument(made, 0, "value")
    return isinstance(value, cst.Integer) and value.value == "0"


def suites(statement: cst.BaseStatement) -> list[cst.BaseSuite]:
    """The nested suites of a compound statement, in source order."""
    found: list[cst.BaseSuite] = []
    if isinstance(statement, (cst.If, cst.While, cst.For, cst.With)):
        found.append(statement.body)
        orelse = getattr(statement, "orelse", None)
        while isinstance(orelse, cst.If):
            found.append(orelse.body)
            orelse = orelse.orelse
        if isinstance(orelse, cst.Else):
            found.append(orelse.body)
    elif isinstance(statement, (cst.Try, cst.TryStar)):
        found.append(statement.body)
        found.extend(handler.body for handler in statement.handlers)
        if statement.orelse is not None:
            found.append(statement.orelse.body)
        if statement.finalbody is not None:
            found.append(statement.finalbody.body)
    elif isinstance(statement, cst.Match):
        found.extend(case.body for case in statement.cases)
    return found
