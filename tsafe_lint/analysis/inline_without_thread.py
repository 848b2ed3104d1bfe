"""Work an object runs on its caller's thread only when it has no thread of its own.

``if self._thread is None: self.scan_once()`` in a method the users call runs inline
the work that the object's own thread (``self._thread = Thread(target=self._run)``,
whose loop calls ``scan_once``) does otherwise. On one object the two never run
together: when the handle holds a thread the inline call is not made, and when it is
``None`` there is no such thread (nanopredict's CpG monitor, ninety-third set: three
TS105 judged false). That holds while one ``__init__`` of the classes that share the
handle (every class deriving from the farthest base of the one that starts the thread,
siblings included) is the only code of this module that binds it, ``None`` first, then
the thread: a method, another ``__init__``, another receiver, a ``setattr``,
``__setattr__``, ``vars()`` or ``__dict__`` makes the whole handle fail. Code of other
modules is not looked at.

The call (on ``self``) keeps its reach, as a view of its entry (``Entry.absent``):
callers on threads of their own still race with each other there. Only the pairing of
that view with the object's own thread is dropped, and only for the object's own state:
a private attribute of the object (``self._counts``), or any attribute of an object it
holds in a private attribute (``self._counter.covered``, or ``self.tally._names``),
each attribute bound in this module only on ``self`` and only to what the binding makes
(``None``, a literal, a display, a builtin container, or a class of the module with no
``__new__``, metaclass or class decorator), never reached through a container's
elements. A public attribute may be bound by another module; state handed in, a
class-body value and a global may be another object's too. Neither side may reach
another object of the classes that share the handle (a parent, a mirror), and no method
of those classes may call one of their methods on anything but ``self`` or such an
attribute (``self._parent._record(name)``): those pairs still count. TS102 and TS103 on
``+=`` or on a value stored from elsewhere never get here (the attribute is not bound to
what the binding makes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure, final_name
from tsafe_lint.analysis.symbols import SymbolKey
from tsafe_lint.analysis.threads import ThreadStart, family_handle, own_attribute
from tsafe_lint.analysis.tree import walk

if TYPE_CHECKING:
    from tsafe_lint.analysis.reachability import Entry, ThreadReach

#: Nodes whose code is not the function's own; lambdas are walked (a ``setattr`` in one).
_OWN_CODE_ONLY = (cst.FunctionDef, cst.ClassDef)
#: Calls that build a new container.
_BUILDERS = frozenset(
    {"dict", "list", "set", "frozenset", "tuple", "bytearray", "deque", "defaultdict"}
    | {"OrderedDict", "Counter"}
)
_FRESH_DISPLAYS = (
    cst.Dict,
    cst.List,
    cst.Set,
    cst.Tuple,
    cst.DictComp,
    cst.ListComp,
    cst.SetComp,
    cst.Integer,
    cst.Float,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
)

Pair = Callable[["Entry", "Entry"], bool]


class InlineWithoutThread:
    """The module's calls made only while an object has no thread of its own, and which
    state such a path and that thread never share."""

    def __init__(self, structure: ModuleStructure, starts: list[ThreadStart]) -> None:
        self.structure = structure
        #: "the thread in Base._thread" -> every class deriving from ``Base`` (siblings
        #: too: an object of any of them has that one handle), for the labels whose every
        #: start passes ``_set_once``
        self._families: dict[str, set[str]] = {}
        labelled = [(start.handle, _label(start.handle, structure)) for start in starts]
        failed: set[str] = set()
        for handle, label in labelled:
            if handle is None or label is None or label in failed:
                continue
            family = self._families.get(label) or _derived(structure, handle)
            if family and self._set_once(handle.rpartition(".")[2], family):
                self._families[label] = family
            else:
                failed.add(label)
                self._families.pop(label, None)
        #: id of each call made only while ``self.<handle>`` is unset -> its thread's label
        self.calls: dict[int, str] = dict(self._gated_calls()) if self._families else {}
        self._fresh: dict[tuple[str, str], bool] = {}
        self._member_names: dict[frozenset[str], set[str]] = {}
        self._crossing: dict[tuple[int, frozenset[str]], bool] = {}
        self._by_entry: dict[tuple[int, str], set[FunctionInfo]] | None = None

    @cached_property
    def _stores(self) -> _Stores:
        """Built only for a module that stores a thread into a handle."""
        return _Stores(self.structure)

    def exclusive(self, key: SymbolKey, reach: ThreadReach) -> Pair | None:
        """For one object's attribute ``key``: do two entries never run on the object
        that owns it, one being its own thread and the other a path taken only while that
        thread does not exist? None when no call is gated."""
        if not self.calls or key[0] != "attr":
            return None

        def never_together(one: Entry, other: Entry) -> bool:
            for thread, path in ((one, other), (other, one)):
                label = thread.per_object
                if (
                    label
                    and label == path.absent
                    and self._owned(key, self._families.get(label, set()), thread, path, reach)
                ):
                    return True
            return False

        return never_together

    def _owned(
        self, key: SymbolKey, family: set[str], thread: Entry, path: Entry, reach: ThreadReach
    ) -> bool:
        """Is ``key`` the state of the one object both entries would share: an attribute
        of an object of ``family`` that neither entry reached through another object of
        the family (a parent, a mirror), or of an object such an object holds in an
        attribute it binds only to what it builds (not to an element of a container), and
        with a private name on the way (another module could bind a public one)?"""
        if any(cls in family for cls in reach.own_entered(thread)) or any(
            cls in family for cls in reach.own_entered(path)
        ):
            return False
        if self._crosses(thread, family, reach) or self._crosses(path, family, reach):
            return False
        owner, attr = key[1], key[-1]
        if not self.fresh(owner, attr):
            return False
        if owner in family:
            return attr.startswith("_")
        if not thread.holders or not path.holders:
            return False
        for holder in thread.holders | path.holders:
            cls, _, name = holder.rpartition(".")
            if cls not in family or holder in reach.elements or not self.fresh(cls, name):
                return False
            if not name.startswith("_"):
                return False  # another module may bind a public holder
        return True

    def _crosses(self, entry: Entry, family: set[str], reach: ThreadReach) -> bool:
        """Does code ``entry`` runs (a view: past its gate) reach into an object that may
        be another of ``family``'s: a name of the family's methods or attributes read,
        written or called on anything but the function's own ``self``, an attribute of
        a family object bound only to what it builds, or a local bound only to one
        (``self._parent._counts[k] = 1``, ``link.parent._record(k)``); or, in the
        family's methods, a call of a callable ``self`` holds in an attribute it was
        handed (``self._on_item(k)``, maybe a parent's bound method)?"""
        members = self._members(frozenset(family))
        for func in self._reached(entry, reach):
            if func.is_module:
                continue
            key = (id(func), frozenset(family))
            if key not in self._crossing:
                self._crossing[key] = self._reaches_out(func, family, members)
            if self._crossing[key]:
                return True
        return False

    def _reaches_out(self, func: FunctionInfo, family: set[str], members: set[str]) -> bool:
        self_name = func.self_name if func.cls is not None else None
        own_methods = (
            {m for cls in self.structure.class_bases(func.cls) for m in cls.methods}
            if func.cls is not None
            else set()
        )
        for node in walk(func.node, _OWN_CODE_ONLY):
            if isinstance(node, cst.Attribute) and node.attr.value in members:
                receiver = node.value
                if isinstance(receiver, cst.Name) and (
                    receiver.value == self_name or receiver.value in self._imported
                ):
                    continue  # its own object, or a module (``os.close``)
                if (
                    func.cls is not None
                    and func.cls.qualname in family
                    and self._own_receiver(receiver, func, self_name or "", func.cls)
                    and not self._holds_peer(receiver, func, family)
                ):
                    continue
                return True
            if (
                isinstance(node, cst.Call)
                and self_name is not None
                and func.cls is not None
                and func.cls.qualname in family
                and (called := own_attribute(node.func, self_name)) is not None
                and called not in own_methods
                and not self.fresh(func.cls.qualname, called)
            ):
                return True
        return False

    def _own_receiver(
        self,
        receiver: cst.BaseExpression,
        method: FunctionInfo,
        self_name: str,
        cls: ClassInfo,
    ) -> bool:
        """``self``, ``self.<attr>`` bound only to what it builds, or a local bound only
        to such an attribute."""
        if isinstance(receiver, cst.Name) and receiver.value == self_name:
            return True
        attr = own_attribute(receiver, self_name)
        if attr is not None:
            return self.fresh(cls.qualname, attr)
        if not isinstance(receiver, cst.Name):
            return False
        values = [
            value
            for node in walk(method.node, _OWN_CODE_ONLY)
            for target, value in _bindings(node)
            if isinstance(target, cst.Name) and target.value == receiver.value
        ]
        return bool(values) and all(
            value is not None
            and (held := own_attribute(value, self_name)) is not None
            and self.fresh(cls.qualname, held)
            for value in values
        )

    def _holds_peer(
        self, receiver: cst.BaseExpression, func: FunctionInfo, family: set[str]
    ) -> bool:
        """Is ``receiver`` ``self.<attr>`` bound to a new object of the family itself
        (``self._child = Monitor(...)``): another object, with a thread of its own?"""
        attr = own_attribute(receiver, func.self_name or "")
        if attr is None:
            return False
        return any(
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and value.func.value in family
            for _, value in self._stores.on_self.get(attr, ())
        )

    @cached_property
    def _imported(self) -> set[str]:
        """The names the module's imports bind, in any of its scopes (modules and what
        they export)."""
        return {name for func in self.structure.functions for name in func.imports}

    def _members(self, family: frozenset[str]) -> set[str]:
        """The names of ``family``'s methods and of the attributes its methods bind on
        ``self``."""
        if family not in self._member_names:
            classes = [self.structure.classes[n] for n in family if n in self.structure.classes]
            names = {method for cls in classes for method in cls.methods}
            names |= {
                attr
                for attr, stores in self._stores.on_self.items()
                if any(f.cls is not None and f.cls.qualname in family for f, _ in stores)
            }
            self._member_names[family] = names
        return self._member_names[family]

    def _reached(self, entry: Entry, reach: ThreadReach) -> set[FunctionInfo]:
        """The functions ``entry`` (a view: past its gate) runs, by entry identity."""
        if self._by_entry is None:
            self._by_entry = {}
            for func, entries in reach.entries.items():
                for raw in entries:
                    self._by_entry.setdefault(_identity(raw), set()).add(func)
        return self._by_entry.get(_identity(entry), set())

    def fresh(self, owner: str, attr: str) -> bool:
        """Is ``owner.attr`` an attribute each object binds on itself in this module, and
        only to values made there: no store of it on another receiver, in a class body,
        by ``setattr`` or through ``__dict__``?"""
        key = (owner, attr)
        if key not in self._fresh:
            cls = self.structure.classes.get(owner)
            self._fresh[key] = cls is not None and self._stores.fresh(
                _family(self.structure, cls), attr, self.structure
            )
        return self._fresh[key]

    def _set_once(self, attr: str, family: set[str]) -> bool:
        """Does one ``__init__`` of ``family`` bind ``self.<attr>``, ``None`` first if
        at all and then the thread, and no other code of the module?"""
        stores = self._stores.of(attr, family)
        if stores is None or not stores:
            return False
        funcs = {func for func, _ in stores}
        if len(funcs) != 1 or next(iter(funcs)).name != "__init__":
            return False
        values = [value for _, value in stores]
        made = [value for value in values if not _is_none(value)]
        return len(made) == 1 and values[-1] is made[0] and isinstance(made[0], cst.Call)

    def _gated_calls(self) -> Iterator[tuple[int, str]]:
        for func in self.structure.functions:
            if func.cls is None or func.self_name is None:
                continue
            for node in walk(func.node, _OWN_CODE_ONLY):
                if not isinstance(node, cst.If):
                    continue
                attr, branch = _unset_branch(node, func.self_name)
                if attr is None or branch is None:
                    continue
                label = _label(f"{func.cls.qualname}.{attr}", self.structure)
                if label not in self._families:
                    continue
                for call in walk(branch, (*_OWN_CODE_ONLY, cst.Lambda)):
                    if isinstance(call, cst.Call) and _on_self(call, func.self_name):
                        yield id(call), label


def _identity(entry: Entry) -> tuple[int, str]:
    """Which walk an entry or a copy of it stands for: a view without an object's thread
    by its entry and that thread, any other by the entry it was copied from."""
    if entry.absent:
        return entry.alias, entry.absent
    return entry.alias or id(entry), ""


class _Stores:
    """Every binding of an attribute in the module, by attribute name: (the function,
    the value) for ``self.attr = value`` in a method (value None when not known), and
    whether anything else binds it (another receiver, ``setattr``, ``__dict__``) or a
    class body does."""

    def __init__(self, structure: ModuleStructure) -> None:
        self.structure = structure
        self.on_self: dict[str, list[tuple[FunctionInfo, cst.BaseExpression | None]]] = {}
        self.elsewhere: set[str] = set()
        #: (class, name) bound in the class body: one value for every object
        self.class_level: set[tuple[str, str]] = set()
        #: a ``setattr`` with a computed name, ``__setattr__``, ``__dict__``, ``vars()``:
        #: any attribute may be bound
        self.anything = False
        for func in structure.functions:
            self_name = func.self_name if func.cls is not None else None
            for node in walk(func.node, _OWN_CODE_ONLY):
                for target, value in _bindings(node):
                    self._record(func, self_name, target, value)
                self._note_dynamic(node)
        for cls in structure.classes.values():
            for statement in cls.node.body.body:
                if isinstance(statement, _OWN_CODE_ONLY):
                    continue
                for node in walk(statement, _OWN_CODE_ONLY):
                    for target, _ in _bindings(node):
                        if isinstance(target, cst.Name):
                            self.class_level.add((cls.qualname, target.value))

    def _record(
        self,
        func: FunctionInfo,
        self_name: str | None,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
    ) -> None:
        if self_name is not None and own_attribute(target, self_name) is not None:
            assert isinstance(target, cst.Attribute)
            self.on_self.setdefault(target.attr.value, []).append((func, value))
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._record(func, self_name, element.value, None)
        elif isinstance(target, cst.StarredElement):
            self._record(func, self_name, target.value, None)
        elif isinstance(target, cst.Attribute):
            self.elsewhere.add(target.attr.value)
        # ``x.attr[k] = v`` changes what ``attr`` holds, it does not bind it

    def _note_dynamic(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Call):
            called = final_name(node.func)
            if called in ("setattr", "delattr"):
                literal = node.args[1].value if len(node.args) > 1 else None
                if isinstance(literal, cst.SimpleString) and isinstance(
                    literal.evaluated_value, str
                ):
                    self.elsewhere.add(literal.evaluated_value)
                else:
                    self.anything = True
            elif called in ("__setattr__", "__delattr__", "vars"):
                self.anything = True
        elif isinstance(node, cst.Attribute) and node.attr.value == "__dict__":
            self.anything = True

    def of(
        self, attr: str, family: set[str]
    ) -> list[tuple[FunctionInfo, cst.BaseExpression | None]] | None:
        """The bindings of ``self.attr`` by the methods of ``family``, in source order;
        None when something else may bind it."""
        if self.anything or attr in self.elsewhere:
            return None
        if any((cls, attr) in self.class_level for cls in family):
            return None
        return [
            (func, value)
            for func, value in self.on_self.get(attr, [])
            if func.cls is not None and func.cls.qualname in family
        ]

    def fresh(self, family: set[str], attr: str, structure: ModuleStructure) -> bool:
        stores = self.of(attr, family)
        return bool(stores) and all(
            value is not None and _made_here(value, structure) for _, value in stores or ()
        )


def _bindings(node: cst.CSTNode) -> Iterator[tuple[cst.BaseExpression, cst.BaseExpression | None]]:
    """What ``node`` binds, each with the value when it is one whole value."""
    if isinstance(node, cst.Assign):
        for target in node.targets:
            yield target.target, node.value
    elif isinstance(node, cst.AnnAssign) and node.value is not None:
        yield node.target, node.value
    elif isinstance(node, (cst.AugAssign, cst.For, cst.CompFor)):
        yield node.target, None
    elif isinstance(node, cst.WithItem) and node.asname is not None:
        yield node.asname.name, None
    elif isinstance(node, cst.Del):
        yield node.target, None


def _made_here(value: cst.BaseExpression, structure: ModuleStructure) -> bool:
    """A value the binding itself makes: ``None``, a literal, a display, a builtin
    container's constructor, or a class of the module that makes a new object on each
    call (no ``__new__``, no metaclass, no class decorator, in it or its bases). A
    display's elements may still be objects made elsewhere: what the analysis reaches
    through a container's elements is not taken as the object's own."""
    if _is_none(value) or isinstance(value, _FRESH_DISPLAYS):
        return True
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    if final_name(func) in _BUILDERS:
        return True  # ``dict()``, ``collections.defaultdict(list)``
    cls = structure.classes.get(func.value) if isinstance(func, cst.Name) else None
    return cls is not None and all(_plain_class(base) for base in structure.class_bases(cls))


def _plain_class(cls: ClassInfo) -> bool:
    node = cls.node
    return not node.decorators and not node.keywords and "__new__" not in cls.methods


def _is_none(value: cst.BaseExpression | None) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


def _on_self(call: cst.Call, self_name: str) -> bool:
    """``self.method(...)``: the call stays on the object whose handle was tested."""
    return own_attribute(call.func, self_name) is not None


def _label(handle: str | None, structure: ModuleStructure) -> str | None:
    named = family_handle(handle, structure)
    return f"the thread in {named}" if named is not None else None


def _derived(structure: ModuleStructure, handle: str) -> set[str]:
    """Every class deriving from the farthest base of the handle's class, itself
    included: the classes whose objects have that handle."""
    owner = structure.classes.get(handle.rpartition(".")[0])
    if owner is None:
        return set()
    *_, farthest = structure.class_bases(owner)
    return {
        cls.qualname for cls in structure.classes.values() if farthest in structure.class_bases(cls)
    }


def _family(structure: ModuleStructure, cls: ClassInfo) -> set[str]:
    """``cls``, its bases and the classes deriving from it: the classes whose methods may
    run on one of its objects."""
    family = {base.qualname for base in structure.class_bases(cls)}
    for other in structure.classes.values():
        if cls in structure.class_bases(other):
            family.add(other.qualname)
    return family


def _unset_branch(node: cst.If, self_name: str) -> tuple[str | None, cst.CSTNode | None]:
    """The attribute ``node`` tests and the branch that runs while it is unset:
    ``if self.h is None:`` / ``if not self.h:`` -> the body; ``if self.h is not None:``
    / ``if self.h:`` -> the ``else`` (or ``elif``)."""
    test = node.test
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return own_attribute(test.expression, self_name), node.body
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        operator = test.comparisons[0].operator
        if isinstance(operator, cst.Is):
            return own_attribute(test.left, self_name), node.body
        if isinstance(operator, cst.IsNot):
            return own_attribute(test.left, self_name), node.orelse
        return None, None
    return own_attribute(test, self_name), node.orelse
