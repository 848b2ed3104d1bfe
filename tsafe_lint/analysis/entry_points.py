"""Code that runs on other threads by contract: callbacks and handlers that a library
calls on threads of its own, though the module never writes ``Thread(...)``.

Each table below is the one place an entry point is declared (adding one is one line);
docs/evidence.md mirrors them. ``threads.py`` turns the callback tables into thread
starts and ``reachability.py`` the request handlers into entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from tsafe_lint.analysis.events import Regions
from tsafe_lint.analysis.scopes import ClassInfo, FunctionInfo, ModuleStructure, decorated_with
from tsafe_lint.analysis.symbols import argument


@dataclass(frozen=True)
class Callback:
    """A call that hands ``target`` to code that runs it on another thread."""

    how: str  # ThreadStart.how
    position: int  # the callback's positional index
    keyword: str  # ... or its keyword
    verb: str  # how a message says it runs
    #: one callback per object or per task, each on whichever thread finishes it: the
    #: callbacks of several objects run at once
    many: bool = True


#: Functions (qualified names) whose callback argument runs on another thread.
CALLBACK_FUNCTIONS: dict[str, Callback] = {
    "weakref.finalize": Callback(
        "finalize", 1, "func", "run by weakref.finalize on whichever thread collects the object"
    ),
}


def keeps_its_object_alive(call: cst.Call) -> bool:
    """``weakref.finalize(self, self._cleanup)``: the callback is a bound method of the
    object (or the object is one of its arguments), so the finalizer's registry keeps the
    object alive (the Python docs warn against it). It is never collected: the callback
    runs only when called, or at exit from ``atexit`` on the main thread, not on
    whichever thread collects it."""
    obj = argument(call, 0, "obj")
    func = argument(call, 1, "func")
    if obj is None or func is None:
        return False
    if isinstance(func, cst.Attribute) and func.value.deep_equals(obj):
        return True
    return any(
        arg.keyword is None and not arg.star and arg.value.deep_equals(obj) for arg in call.args[2:]
    )


#: Methods of thread-pool futures whose callback runs on the pool's worker thread.
FUTURE_CALLBACKS: dict[str, Callback] = {
    "add_done_callback": Callback(
        "add_done_callback", 0, "fn", "run as a done callback on a thread pool's worker"
    ),
}

#: Servers that run each request's handler on a thread of its own: the handler class is
#: the second argument of the constructor (``ThreadingTCPServer(addr, Handler)``).
THREADING_SERVERS = frozenset(
    {
        "socketserver.ThreadingTCPServer",
        "socketserver.ThreadingUDPServer",
        "socketserver.ThreadingUnixStreamServer",
        "socketserver.ThreadingUnixDatagramServer",
        "http.server.ThreadingHTTPServer",
    }
)
#: A module's own server class that derives from one of these is threading too.
THREADING_MIXINS = frozenset({"socketserver.ThreadingMixIn", *THREADING_SERVERS})

#: The methods of a request handler the server calls, one handler object per request.
HANDLER_METHODS = frozenset({"handle", "setup", "finish"})
HANDLER_PREFIXES = ("do_",)  # http.server: do_GET, do_POST, ...

HANDLER_VERB = "run for each request by the threading server"

#: Route decorators of web frameworks (Flask, FastAPI, Bottle: ``@app.route("/")``,
#: ``@router.get("/items")``): the server runs the view for each request, on as many
#: threads as it has (Flask's development server and the WSGI servers in production are
#: threaded; FastAPI runs a plain ``def`` endpoint in a thread pool). Known by the method's
#: name and a URL rule as its first argument (a string that starts with ``/``).
ROUTE_METHODS = frozenset({"route", "get", "post", "put", "delete", "patch", "api_route"})
ROUTE_VERB = "a web view, run for each request on the server's threads"
#: A WSGI application: ``def application(environ, start_response)`` (or a class's
#: ``__call__(self, environ, start_response)``), which threaded servers call for each
#: request.
WSGI_PARAMS = ("environ", "start_response")
WSGI_VERB = "a WSGI application, run for each request on the server's threads"

#: Decorators that hand every call of the function to the GUI's main thread and (for
#: most) wait for it there (qtutils' ``@inmain_decorator()``, Kivy's ``@mainthread``):
#: whatever thread calls it, the body runs on the main thread, so a thread's call chain
#: stops there. Known by the decorator's final name.
MAIN_THREAD_DECORATORS = frozenset({"inmain_decorator", "mainthread", "run_in_main_thread"})

#: ``logging.Handler.handle`` holds the handler's own lock around ``emit``: state that
#: only ``emit`` (and helpers only it calls) touches is serialised by that lock.
LOCKED_BY_BASE: dict[str, frozenset[str]] = {
    "logging.Handler": frozenset({"emit"}),
}


def many_callbacks() -> frozenset[str]:
    """The ``ThreadStart.how`` of callbacks that run on several threads at once."""
    return frozenset(
        cb.how for cb in (*CALLBACK_FUNCTIONS.values(), *FUTURE_CALLBACKS.values()) if cb.many
    )


def verbs() -> dict[str, str]:
    """``ThreadStart.how`` -> message wording, for the callbacks of the tables."""
    return {cb.how: cb.verb for cb in (*CALLBACK_FUNCTIONS.values(), *FUTURE_CALLBACKS.values())}


def _is_threading_server(structure: ModuleStructure, expr: cst.BaseExpression) -> bool:
    scope = structure.module_scope
    if structure.qualified_name(expr, scope) in THREADING_SERVERS:
        return True
    if isinstance(expr, (cst.Name, cst.Attribute)):
        name = expr.value if isinstance(expr, cst.Name) else None
        cls = structure.class_named(name, scope) if name is not None else None
        if cls is not None:
            return any(structure.is_subclass_of(cls, mixin) for mixin in THREADING_MIXINS)
    return False


def request_handlers(
    structure: ModuleStructure, regions: Regions
) -> Iterator[tuple[FunctionInfo, cst.Call]]:
    """``(handler method, server construction)`` for each handler class the module hands
    to a threading server: several requests run its methods at once, each on an object
    of its own."""
    for any_call in regions.calls:
        call = any_call.call
        if not _is_threading_server(structure, call.func):
            continue
        handler = argument(call, 1, "RequestHandlerClass")
        if not isinstance(handler, cst.Name):
            continue
        cls = structure.class_named(handler.value, any_call.func)
        if cls is None:
            continue
        for owner in structure.class_bases(cls):
            for name, method in owner.methods.items():
                if name in HANDLER_METHODS or name.startswith(HANDLER_PREFIXES):
                    yield method, call


def web_entry_points(
    structure: ModuleStructure,
) -> Iterator[tuple[FunctionInfo, cst.CSTNode, str]]:
    """``(view, where, verb)`` for each function a web server calls per request: a
    function under a route decorator with a URL rule, and a WSGI application. Not an
    ``async def``: the event loop runs it, on one thread."""
    for func in structure.functions:
        node = func.node
        if func.is_async or not isinstance(node, cst.FunctionDef):
            continue
        for decorator in node.decorators:
            if _is_route(decorator.decorator):
                yield func, decorator.decorator, ROUTE_VERB
                break
        else:
            if _is_wsgi_application(func):
                yield func, node, WSGI_VERB


def _is_route(expr: cst.BaseExpression) -> bool:
    """``app.route("/items")``, ``router.get("/items/{id}")``."""
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)):
        return False
    if expr.func.attr.value not in ROUTE_METHODS or not expr.args:
        return False
    rule = expr.args[0]
    if rule.keyword is not None or not isinstance(rule.value, cst.SimpleString):
        return False
    value = rule.value.evaluated_value
    return isinstance(value, str) and value.startswith("/")


def _is_wsgi_application(func: FunctionInfo) -> bool:
    """``def application(environ, start_response)`` at module level, or ``__call__(self,
    environ, start_response)``."""
    params = tuple(func.params)
    if func.cls is None:
        return func.parent is not None and func.parent.is_module and params == WSGI_PARAMS
    return func.name == "__call__" and params[1:] == WSGI_PARAMS


def runs_on_main_thread(func: FunctionInfo) -> bool:
    """Is ``func`` decorated to run on the GUI's main thread whoever calls it
    (``@inmain_decorator()``, ``@mainthread``)?"""
    return decorated_with(func, MAIN_THREAD_DECORATORS)


def locked_by_base(structure: ModuleStructure, cls: ClassInfo) -> frozenset[str]:
    """The methods of ``cls`` that its library base class calls under a lock of its own."""
    found: set[str] = set()
    for base, methods in LOCKED_BY_BASE.items():
        if structure.is_subclass_of(cls, base):
            found |= methods
    return frozenset(found)
