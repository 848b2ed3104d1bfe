"""What the rest of the project tells one module: phase 2's input to a re-analysis.

A module on its own cannot know that ``main.py`` submits its ``process`` function to a
thread pool, or that the ``registry_lock`` it imports is a ``threading.Lock``. The
project join (``tsafe_lint.project``) works that out from every file's summary and hands
it back as a ``ProjectContext``; everything in it is plain, hashable data so that it can
key the cache.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExternalEntry:
    """A function of this module that another module runs on a thread."""

    function: str  # local qualified name: "process", "Worker.run"
    verb: str  # "submitted to a thread pool", ...
    origin: str  # where the thread starts: "pkg/main.py:12"
    many: bool  # several threads at once
    #: the call into another object of this module's class that brought the thread:
    #: "'self._protocol' in 'Conn.send' at pkg/conn.py:793" ("" for a plain call)
    through: str = ""
    holder: str = ""  # the attribute that holds that object: "pkg.conn.Conn._protocol"
    #: what makes several entries one thread ("" for a thread of its own): the calls one
    #: coroutine awaits in turn (``await loop.run_in_executor(None, f)``, then ``g``)
    thread: str = ""


def awaited_in_turn(coroutine: str) -> str:
    """The thread identity of the calls one coroutine awaits one after another."""
    return f"the calls '{coroutine}' awaits in turn"


@dataclass(frozen=True)
class ProjectContext:
    """Facts from other modules; the empty context means "analyse the module alone"."""

    imported_kinds: tuple[tuple[str, str], ...] = ()  # (qualified name, Kind value)
    entries: tuple[ExternalEntry, ...] = ()
    #: classes of the package, defined in other modules, that the module binds objects of
    #: and whose iteration methods return copies (``own_classes``)
    copying_classes: tuple[str, ...] = ()
    #: classes of the package, defined in other modules, named like a threading primitive
    #: that the module binds objects of: (qualified name, the kind of their objects, ""
    #: for none) (``primitive_classes``)
    made_kinds: tuple[tuple[str, str], ...] = ()
    #: attributes the module's classes inherit from bases in other modules of the
    #: package, with the kinds those bases make: (class, attribute, Kind value)
    inherited_kinds: tuple[tuple[str, str, str], ...] = ()
    #: what the module's deferred imports may load that loads nothing new: project
    #: modules (and their names) whose eager imports need nothing outside the project
    #: that the module's own did not load (``import_closure``)
    safe_imports: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.imported_kinds
            or self.entries
            or self.copying_classes
            or self.made_kinds
            or self.inherited_kinds
            or self.safe_imports
        )

    def as_json(self) -> dict[str, object]:
        return {
            "imported_kinds": [list(pair) for pair in self.imported_kinds],
            "entries": [
                [e.function, e.verb, e.origin, e.many, e.through, e.holder, e.thread]
                for e in self.entries
            ],
            "copying_classes": list(self.copying_classes),
            "made_kinds": [list(pair) for pair in self.made_kinds],
            "inherited_kinds": [list(triple) for triple in self.inherited_kinds],
            "safe_imports": list(self.safe_imports),
        }


EMPTY_CONTEXT = ProjectContext()
