"""The per-file summary record: what one module tells the others (phase 1 of the project
analysis). ``summarize.py`` builds it.

A summary is plain JSON-able data, so that it can be cached by file content and
computed in worker processes: the module's functions and imports, its typed globals
(which names are locks), the threads it starts on other modules' functions, the calls
its functions make (with the locks held), the locks each function takes, its classes'
bases and its finalizers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: A call from a function: (callee, locks held, line, column). The callee is
#: ``"local:NAME"`` for the module's own functions, else a fully qualified imported name.
Call = tuple[str, list[str], int, int]
#: A blocking acquisition: (lock, reentrant, locks already held, line, column, restores:
#: it takes back a lock its function released first, so a caller holding it is no
#: re-entry; ``analysis.acquisitions.restoring``).
Acquire = tuple[str, bool, list[str], int, int, bool]


@dataclass
class FileSummary:
    path: str
    module: str
    functions: list[str] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)
    typed_globals: dict[str, str] = field(default_factory=dict)
    # local functions that run on threads started in this module: name -> [verb, line, many]
    thread_functions: dict[str, list[Any]] = field(default_factory=dict)
    # threads started here on other modules' functions: [qualified target, verb, line, many]
    external_starts: list[list[Any]] = field(default_factory=list)
    calls: dict[str, list[Call]] = field(default_factory=dict)
    # calls on another object of an imported class, reached through an attribute:
    # caller -> [[qualified method, receiver ("self._protocol"), line, the attribute
    # that holds the object ("pkg.conn.Conn._protocol")]]
    object_calls: dict[str, list[list[Any]]] = field(default_factory=dict)
    acquires: dict[str, list[Acquire]] = field(default_factory=dict)
    # imported names used where a lock, condition or pool would be: ``with x:``, ``x.m()``
    lock_uses: list[str] = field(default_factory=list)
    # code the interpreter runs inside any code of a thread (``__del__``, gc, weakref and
    # signal callbacks): function -> [how a message names it, when it runs]
    finalizers: dict[str, list[str]] = field(default_factory=dict)
    # the locks of ``acquires`` known to be plain ``threading.Lock`` objects
    plain_locks: list[str] = field(default_factory=list)
    # the module's classes -> their bases, each a class of the module or a qualified name
    class_bases: dict[str, list[str]] = field(default_factory=dict)
    # the other modules' names of its own package this module binds a call of to a name or
    # an attribute (``rooms = ThreadSafeDict()``): the join says which copy on iteration
    bound_calls: list[str] = field(default_factory=list)
    # the module's classes whose iteration methods return copies (``own_classes``)
    copying_classes: list[str] = field(default_factory=list)
    # the module's classes named like a threading primitive (``Lock``, ``Event``) -> the
    # kind of their objects, "" for none (``primitive_classes``)
    primitive_classes: dict[str, str] = field(default_factory=dict)
    # the module's classes -> the kinds of the attributes their code makes (``self._lock =
    # threading.Lock()``): a subclass in another module inherits them (``Kind`` values)
    attribute_kinds: dict[str, dict[str, str]] = field(default_factory=dict)
    # globals imported by value that the module's functions rebind (``global NAME`` then a
    # store): [local name, real name, line, column] (``flag_copies``)
    rebound_imports: list[list[Any]] = field(default_factory=list)
    # the real names of the module globals its ``while`` tests read
    polled_globals: list[str] = field(default_factory=list)
    # what the module's unconditional top-level imports may load, and what the imports
    # inside its functions may (``import_candidates``): the join says which deferred
    # imports load nothing the module has not loaded already (``import_closure``)
    eager_imports: list[str] = field(default_factory=list)
    deferred_imports: list[str] = field(default_factory=list)
    # the names the module's top level binds ("*" for a star import's unknown ones)
    top_names: list[str] = field(default_factory=list)
    analysed: bool = True  # False: only syntax-checked (no threading vocabulary)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileSummary:
        summary = cls(**data)
        summary.calls = {
            k: [(c[0], list(c[1]), int(c[2]), int(c[3])) for c in v]
            for k, v in summary.calls.items()
        }
        summary.acquires = {
            k: [(a[0], bool(a[1]), list(a[2]), int(a[3]), int(a[4]), bool(a[5])) for a in v]
            for k, v in summary.acquires.items()
        }
        return summary
